import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// the same extraction `npm run check:package` type-checks the README with
import { readmeExamples } from '../scripts/check-package.mjs';

/**
 * The README's runnable examples (the ```ts blocks marked `<!-- example: NAME -->`) run as they
 * are, against the sources: the package's entry points are mapped to src/, everything else
 * (ndarray, fast-check) resolves from the repository's node_modules. An example that throws
 * (several check their own results) fails here.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY_POINTS: Record<string, string> = {
  'bp-lambda': 'src/index.ts',
  'bp-lambda/testing': 'src/testing.ts',
  'bp-lambda/ndarray': 'src/ndarray.ts',
  'bp-lambda/backends': 'src/backends.ts',
  'bp-lambda/pytorch': 'src/pytorch.ts',
};

const examples = readmeExamples(readFileSync(join(root, 'README.md'), 'utf8')).filter((e) => e.section.startsWith('example: '));

test('the README has runnable examples of inference, batches, episodes, resuming, the testing helpers and fit', () => {
  assert.deepEqual(
    examples.map((e) => e.section),
    ['example: predict', 'example: batches', 'example: episodes', 'example: resume', 'example: testing', 'example: fit'],
  );
});

for (const { section, code } of examples) {
  test(`README ${section} runs`, async () => {
    const dir = join(root, '.tmp', 'readme-examples');
    mkdirSync(dir, { recursive: true });
    const source = code.replace(/from '(bp-lambda[^']*)'/g, (m: string, spec: string) => {
      const target = ENTRY_POINTS[spec];
      assert.ok(target, `${section}: unknown entry point ${spec}`);
      return `from ${JSON.stringify(pathToFileURL(join(root, target)).href)}`;
    });
    const file = join(dir, `${section.slice('example: '.length)}.ts`);
    writeFileSync(file, `${source}\nexport {};\n`);
    await import(pathToFileURL(file).href);
  });
}
