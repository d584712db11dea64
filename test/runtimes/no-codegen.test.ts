import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import * as lib from '../../src/index.ts';
import { trainFixture } from './fixture.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('runtimes: the browser bundle trains under node --disallow-code-generation-from-strings, with the same numbers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bp-lambda-nocodegen-'));
  try {
    // the browser bundle (as scripts/build-browser.mjs builds it) and the fixture, plain JS
    const common = { absWorkingDir: root, bundle: true, format: 'esm', target: 'es2022', logLevel: 'silent' } as const;
    await build({ ...common, entryPoints: ['src/index.ts'], outfile: join(dir, 'bp-lambda.js'), platform: 'browser', minify: true });
    await build({ ...common, entryPoints: ['test/runtimes/fixture.ts'], outfile: join(dir, 'fixture.mjs'), platform: 'neutral' });
    assert.doesNotMatch(readFileSync(join(dir, 'fixture.mjs'), 'utf8'), /\bimport\b/, 'the fixture bundle imports nothing');
    writeFileSync(
      join(dir, 'main.mjs'),
      [
        "import * as lib from './bp-lambda.js';",
        "import { trainFixture } from './fixture.mjs';",
        'let evalBlocked = false;',
        "try { (0, eval)('1'); } catch (e) { evalBlocked = e instanceof EvalError; }",
        'let functionBlocked = false;',
        "try { new Function('return 1'); } catch (e) { functionBlocked = e instanceof EvalError; }",
        'process.stdout.write(JSON.stringify({ evalBlocked, functionBlocked, runs: trainFixture(lib) }));',
      ].join('\n'),
    );
    const child = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', join(dir, 'main.mjs')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(child.status, 0, child.stderr);
    const out = JSON.parse(child.stdout);
    assert.equal(out.evalBlocked, true, 'eval must be refused in that process (else the test proves nothing)');
    assert.equal(out.functionBlocked, true);
    // JSON round-trips doubles exactly: the bundle computes what the sources compute
    assert.deepStrictEqual(out.runs, trainFixture(lib));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
