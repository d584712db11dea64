#!/usr/bin/env node
/**
 * The package as a consumer gets it (`npm run check:package`): installs bp-lambda into throwaway
 * consumer projects under the system's temporary folder, from a tarball (`npm pack`) and from git
 * (`git+file://` of this repository: the committed HEAD, built by the `prepare` script while npm
 * packs the clone), and in each:
 *   1. checks what shipped: dist/ (JavaScript and declarations), README.md, LICENSE, CHANGELOG.md;
 *   2. `npx bp-lambda --version` prints the version of package.json;
 *   3. imports every Node entry point and trains a few steps (core, backends with wasm, ndarray);
 *   4. type-checks a file that imports every entry point, with no @types package installed, and
 *      then the README's TypeScript examples (each `## ` section's ```ts blocks as one module,
 *      after a prelude declaring the names they leave free), with @types/ndarray installed for the
 *      example that builds an ndarray itself; each with TypeScript 5.0 and 5.9, strict, without
 *      skipLibCheck, under moduleResolution nodenext, bundler and node10 (esModuleInterop, as
 *      `tsc --init` sets it: the examples default-import ndarray, a CommonJS package).
 * Needs the npm registry (typescript@5.0, typescript@5.9, ndarray, ndarray-ops, @types/ndarray).
 * Usage: node scripts/check-package.mjs [--from tarball|git|both] [--keep]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** TypeScript versions a consumer may use (npm aliases, so both live in one project). */
export const TYPESCRIPTS = { ts50: '~5.0.4', ts59: '~5.9.2' };
/** Module settings a consumer may use: [moduleResolution, module]. */
export const RESOLUTIONS = [
  ['nodenext', 'nodenext'],
  ['bundler', 'esnext'],
  ['node10', 'esnext'],
];

/** Names the README's examples use without defining them (their context in prose). */
export const README_PRELUDE = `import type { SeqBatch as ReadmeSeqBatch, Tensor as ReadmeTensor } from 'bp-lambda';
declare const batch: ReadmeSeqBatch;
declare const heldOutBatch: ReadmeSeqBatch;
declare const batchSize: number;
declare const tensor: ReadmeTensor;
declare function nextObservation(): Promise<{ x: Float64Array; y: Float64Array | null }>;
export {};
`;

/** Every entry point, used so that each declaration file is read. */
const ENTRY_POINTS = `import { createModel, createLearner, trainSequence, Tensor, type SeqBatch } from 'bp-lambda';
import { useBackend, createBackend, type BackendChoice } from 'bp-lambda/backends';
import { fromNdarray, toNdarray, copyToNdarray, type NdArrayView } from 'bp-lambda/ndarray';
import { modelFromSafetensors, modelToSafetensors } from 'bp-lambda/pytorch';
import * as browser from 'bp-lambda/browser';
import * as browserNdarray from 'bp-lambda/browser/ndarray';
import * as gpu from 'bp-lambda/browser/gpu-backend';
const model = createModel({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 1 });
const learner = createLearner('bp-lambda', model, { loss: 'mse', lambda: 1, gamma: 1 });
declare const b: SeqBatch;
const loss: number = trainSequence(learner, b).loss;
const choice: BackendChoice = 'wasm';
await useBackend(choice);
await createBackend('js');
const view: NdArrayView = toNdarray(new Tensor([2], new Float64Array(2)));
const t: Tensor = fromNdarray(view.transpose(0), 'float32');
copyToNdarray(t, view).get(0);
const fns: unknown[] = [browser.createModel, browserNdarray.fromNdarray, gpu.createGpuBackend, loss, modelFromSafetensors(modelToSafetensors(model)).outputSize];
export { fns };
`;

/** Runs a command; returns stdout, or throws with its output. */
function run(cmd, args, cwd, env = process.env) {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/**
 * The README's ```ts blocks, grouped by `## ` section: [{ section, code }]. A block right after
 * a line `<!-- example: NAME -->` is a self-contained, runnable example: it forms its own group,
 * section `example: NAME` (test/readme.test.ts runs these).
 */
export function readmeExamples(markdown) {
  const sections = new Map();
  let section = 'top';
  let block = null;
  let group = null;
  let example = null;
  for (const line of markdown.split('\n')) {
    const marker = block === null ? /^<!-- example: ([\w-]+) -->\s*$/.exec(line) : null;
    if (marker) example = `example: ${marker[1]}`;
    else if (block === null && line.startsWith('## ')) section = line.slice(3).trim();
    else if (block === null && /^```ts\s*$/.test(line)) {
      block = [];
      group = example ?? section;
      example = null;
    } else if (block !== null && /^```\s*$/.test(line)) {
      sections.set(group, [...(sections.get(group) ?? []), block.join('\n')]);
      block = null;
    } else if (block !== null) block.push(line);
    else if (line.trim() !== '') example = null;
  }
  return [...sections].map(([name, blocks]) => ({ section: name, code: blocks.join('\n\n') }));
}

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function tsconfig(moduleResolution, module, files) {
  return JSON.stringify({ compilerOptions: { target: 'ES2022', module, moduleResolution, strict: true, esModuleInterop: true, noEmit: true, skipLibCheck: false, types: [], lib: ['ES2022', 'DOM'] }, files }, null, 2);
}

/** Type-checks `files` in `dir` with every TypeScript and resolution; returns the failures. */
function typecheck(dir, files, label) {
  const failures = [];
  for (const ts of Object.keys(TYPESCRIPTS)) {
    for (const [resolution, module] of RESOLUTIONS) {
      const config = `tsconfig.${ts}.${resolution}.json`;
      writeFileSync(join(dir, config), tsconfig(resolution, module, files));
      try {
        run(process.execPath, [join(dir, 'node_modules', ts, 'bin', 'tsc'), '-p', config], dir);
        console.log(`  ok   ${label}: ${ts} (${run(process.execPath, [join(dir, 'node_modules', ts, 'bin', 'tsc'), '--version'], dir).trim()}), moduleResolution ${resolution}`);
      } catch (e) {
        failures.push(`${label}: ${ts}, moduleResolution ${resolution}:\n${e.message}`);
        console.log(`  FAIL ${label}: ${ts}, moduleResolution ${resolution}`);
      }
    }
  }
  return failures;
}

const SMOKE = `import { createModel, createLearner, trainSequence, predict, Tensor } from 'bp-lambda';
import { useBackend } from 'bp-lambda/backends';
import { fromNdarray, copyToNdarray } from 'bp-lambda/ndarray';
import { modelFromSafetensors, modelToSafetensors } from 'bp-lambda/pytorch';
import ndarray from 'ndarray';
const previous = await useBackend('wasm');
const model = createModel({ cell: 'lstm', inputSize: 2, hiddenSize: 4, outputSize: 1, seed: 1 });
const learner = createLearner('bp-lambda', model, { loss: 'mse', lambda: 0.9, gamma: 0.9 });
const x = fromNdarray(ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [3, 2]).transpose(1, 0));
const T = 3, B = 1;
const batch = { T, B, inputSize: 2, outputSize: 1, loss: 'mse', x: Array.from({ length: T }, (_, t) => x.data.subarray(t * 2, t * 2 + 2)), y: Array.from({ length: T }, () => new Float64Array([0.5])) };
const r = trainSequence(learner, batch);
const back = copyToNdarray(new Tensor([2, 3], x.data), ndarray(new Float64Array(6), [3, 2]).transpose(1, 0));
if (!Number.isFinite(r.loss) || back.get(0, 0) !== 1 || back.get(1, 0) !== 2) throw new Error('smoke run: wrong numbers');
const moved = modelFromSafetensors(modelToSafetensors(model));
if (predict(moved, batch.x).outputs[2][0] !== predict(model, batch.x).outputs[2][0]) throw new Error('smoke run: the safetensors round trip changed the model');
console.log('loss ' + r.loss.toFixed(6) + ', backend ' + (previous ? 'switched' : '?'));
`;

/** Installs `spec` into a fresh consumer project and runs every check; returns the failures. */
function checkConsumer(base, label, spec) {
  const dir = join(base, label);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `bp-lambda-consumer-${label}`, private: true, type: 'module' }, null, 2));
  console.log(`\n${label}: npm install ${spec}`);
  const aliases = Object.entries(TYPESCRIPTS).map(([alias, range]) => `${alias}@npm:typescript@${range}`);
  const t0 = performance.now();
  run('npm', ['install', '--no-audit', '--no-fund', spec, 'ndarray', 'ndarray-ops', ...aliases], dir);
  console.log(`  installed in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const failures = [];
  const installed = join(dir, 'node_modules', 'bp-lambda');
  for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/ndarray.d.ts', 'dist/backends.d.ts', 'dist/cli/main.js', 'dist/browser/bp-lambda.js', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
    if (!existsSync(join(installed, f))) failures.push(`${label}: the package lacks ${f}`);
  }
  console.log(`  ${failures.length ? 'FAIL' : 'ok  '} contents: dist/, README.md, LICENSE, CHANGELOG.md`);
  // exactly the command a user types (npx passes the options after the command name on to it)
  const version = run('npx', ['bp-lambda', '--version'], dir).trim();
  if (version !== pkg.version) failures.push(`${label}: npx bp-lambda --version printed ${JSON.stringify(version)}, expected ${pkg.version}`);
  console.log(`  ${version === pkg.version ? 'ok  ' : 'FAIL'} npx bp-lambda --version: ${version}`);
  writeFileSync(join(dir, 'smoke.mjs'), SMOKE);
  try {
    console.log(`  ok   smoke run (core, backends, ndarray): ${run(process.execPath, ['smoke.mjs'], dir).trim()}`);
  } catch (e) {
    failures.push(`${label}: smoke run: ${e.message}`);
    console.log('  FAIL smoke run');
  }
  writeFileSync(join(dir, 'entry-points.ts'), ENTRY_POINTS);
  failures.push(...typecheck(dir, ['entry-points.ts'], 'every entry point, no @types installed'));
  run('npm', ['install', '--no-audit', '--no-fund', '@types/ndarray'], dir);
  const files = [];
  for (const { section, code } of readmeExamples(readFileSync(join(root, 'README.md'), 'utf8'))) {
    const file = `readme-${slug(section)}.ts`;
    writeFileSync(join(dir, file), `${README_PRELUDE}\n${code}\n`);
    files.push(file);
  }
  failures.push(...typecheck(dir, files, `README examples (${files.join(', ')})`));
  return failures;
}

function main() {
  const argv = process.argv.slice(2);
  const fromIndex = argv.indexOf('--from');
  const from = fromIndex >= 0 ? argv[fromIndex + 1] : 'both';
  if (!['tarball', 'git', 'both'].includes(from)) throw new Error(`check-package: --from: expected tarball, git or both, received ${JSON.stringify(from)}`);
  const keep = argv.includes('--keep');
  const base = mkdtempSync(join(tmpdir(), 'bp-lambda-consumer-'));
  const failures = [];
  try {
    if (from !== 'git') {
      console.log('npm pack (runs the prepare script: the build)');
      const output = run('npm', ['pack', '--json', '--pack-destination', base], root);
      const packed = JSON.parse(output.slice(output.search(/^\[\s*\{/m))); // the build's own lines come first
      const tarball = join(base, packed[0].filename);
      console.log(`  ${packed[0].filename}: ${packed[0].entryCount} files, ${(packed[0].size / 1024).toFixed(0)} kB`);
      failures.push(...checkConsumer(base, 'tarball', tarball));
    }
    if (from !== 'tarball') {
      const head = run('git', ['rev-parse', '--short', 'HEAD'], root).trim();
      const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], root).trim() !== '';
      if (dirty) console.log(`note: uncommitted changes are not in a git install (it takes HEAD, ${head})`);
      failures.push(...checkConsumer(base, 'git', `git+${pathToFileURL(root).href}`));
    }
  } finally {
    if (keep) console.log(`\nconsumer projects kept in ${base}`);
    else rmSync(base, { recursive: true, force: true });
  }
  if (failures.length) {
    console.error(`\ncheck-package: ${failures.length} failure(s):\n\n${failures.join('\n\n')}`);
    process.exitCode = 1;
  } else console.log('\ncheck-package: all checks passed');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
