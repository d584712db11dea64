#!/usr/bin/env node
/**
 * Rewrites the relative `.ts` import paths of the emitted declaration files to `.js`.
 *
 * The sources import each other as `./x.ts` (run straight by tsx; `rewriteRelativeImportExtensions`
 * turns them into `./x.js` in the emitted JavaScript), but tsc keeps `./x.ts` in the `.d.ts`
 * files. TypeScript 5.x happens to accept that in a library's declarations; TypeScript 4.x
 * rejects it (TS2691), and so may other readers of declaration files. `./x.js` is the form
 * every TypeScript since 4.7 resolves to `./x.d.ts` (node16/nodenext resolution, and bundler
 * resolution from 5.0).
 *
 * Every rewritten path is checked: its `.d.ts` must exist, and no relative `.ts` path may remain.
 * Usage: node scripts/dts-extensions.mjs [dist]   (run by `npm run build` after tsc)
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `from '…'`, `import('…')` and `import '…'` specifiers that are relative and end in .ts. */
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"\n]*?)\.ts\2/g;

/** The declaration text with `./x.ts` specifiers turned into `./x.js`, and the targets named. */
export function rewriteDeclaration(text) {
  const targets = [];
  const out = text.replace(SPECIFIER, (_m, lead, quote, path) => {
    targets.push(path);
    return `${lead}${quote}${path}.js${quote}`;
  });
  return { text: out, targets };
}

function* declarationFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* declarationFiles(p);
    else if (e.name.endsWith('.d.ts')) yield p;
  }
}

/** Rewrites every .d.ts under `dist` in place (atomically per file); returns the number rewritten. */
export function rewriteDeclarations(dist) {
  let changed = 0;
  const problems = [];
  for (const file of declarationFiles(dist)) {
    const before = readFileSync(file, 'utf8');
    const { text, targets } = rewriteDeclaration(before);
    for (const t of targets) {
      const target = resolve(dirname(file), `${t}.d.ts`);
      if (!existsSync(target)) problems.push(`${relative(root, file)}: '${t}.ts' has no declaration file ${relative(root, target)}`);
    }
    const left = text.match(/(['"])\.\.?\/[^'"\n]*\.ts\1/);
    if (left) problems.push(`${relative(root, file)}: a relative .ts path is left: ${left[0]}`);
    if (text !== before) {
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, text);
      renameSync(partial, file);
      changed++;
    }
  }
  if (problems.length) throw new Error(`dts-extensions:\n  ${problems.join('\n  ')}`);
  return changed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dist = resolve(root, process.argv[2] ?? 'dist');
  const n = rewriteDeclarations(dist);
  console.log(`dts-extensions: ${n} declaration files now import ./x.js instead of ./x.ts`);
}
