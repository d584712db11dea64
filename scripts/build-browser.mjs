#!/usr/bin/env node
/**
 * Browser bundles (esbuild), written to dist/browser/:
 *   bp-lambda.js     the CSP-safe core (src/index.ts): ESM, minified, no Node built-ins, no
 *                    runtime dependencies, no code generation from strings
 *   ndarray.js       the ndarray adapter (src/ndarray.ts), `ndarray` and `ndarray-ops` left as imports
 *   gpu-backend.js   the gpu.js backend (src/tensor/gpu-backend.ts), `gpu.js` left as an import;
 *                    identifiers are minified but not the syntax, because gpu.js parses its
 *                    kernels' source text and only understands a subset of JavaScript
 * Each bundle is scanned for `new Function` / `eval(` (the core must have neither) and its raw
 * and gzipped sizes are printed. With --web it also builds the demo page's scripts into
 * examples/web/dist/ (see examples/web/). Usage:
 *   node scripts/build-browser.mjs [--web] [--only-web] [--json]
 * Importable: buildCore(outdir), buildWeb(outdir) resolve to the size reports.
 */
import { build } from 'esbuild';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Size budget of the core bundle, gzipped (bytes): 48 kB since 0.2. The 0.1 core was 15 kB; the
 * engine-independent math tables, the GRU, the blocked computations, inference, per-example
 * masks, learner save and restore, batches from arrays and the training loop's client `fit`
 * took it to about 40 kB. The PyTorch interop and the testing helpers are separate entry points.
 */
export const CORE_GZIP_BUDGET = 48 * 1024;

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

/** Code generation from strings: what a strict CSP (no 'unsafe-eval') forbids. */
export function findCodeGeneration(text) {
  const hits = [];
  for (const re of [/new\s+Function\s*\(/g, /(^|[^.\w$])eval\s*\(/g, /\bFunction\s*\(\s*["'`]/g]) {
    for (const m of text.matchAll(re)) hits.push(text.slice(Math.max(0, m.index - 30), m.index + 40));
  }
  return hits;
}

function sizeOf(file) {
  const buf = readFileSync(file);
  return { file: relative(root, file), bytes: buf.length, gzip: gzipSync(buf, { level: 9 }).length };
}

/** Builds the three library bundles into `outdir`; throws if the core generates code or imports Node. */
export async function buildCore(outdir = join(root, 'dist/browser')) {
  const reports = [];
  await build({ ...common, entryPoints: { 'bp-lambda': 'src/index.ts' }, outdir, minify: true });
  await build({ ...common, entryPoints: { ndarray: 'src/ndarray.ts' }, outdir, minify: true, external: ['ndarray', 'ndarray-ops'] });
  const gpuEntry = join(root, 'src/tensor/gpu-backend.ts');
  if (existsSync(gpuEntry)) {
    await build({ ...common, entryPoints: { 'gpu-backend': gpuEntry }, outdir, minifyIdentifiers: true, minifyWhitespace: true, minifySyntax: false, keepNames: false, external: ['gpu.js'] });
  }
  for (const name of ['bp-lambda', 'ndarray', 'gpu-backend']) {
    const file = join(outdir, `${name}.js`);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const codegen = findCodeGeneration(text);
    const nodeImports = [...text.matchAll(/\bfrom\s*["'](node:[^"']+|fs|path|worker_threads|module|zlib)["']/g)].map((m) => m[1]);
    reports.push({ ...sizeOf(file), codegen, nodeImports });
  }
  const core = reports[0];
  if (core.codegen.length) throw new Error(`build-browser: the core bundle generates code from strings:\n  ${core.codegen.join('\n  ')}`);
  if (core.nodeImports.length) throw new Error(`build-browser: the core bundle imports Node built-ins: ${core.nodeImports.join(', ')}`);
  return reports;
}

/** Builds the demo page's scripts (main thread + training worker) into examples/web/dist/. */
export async function buildWeb(outdir = join(root, 'examples/web/dist')) {
  rmSync(outdir, { recursive: true, force: true }); // chunk names change with their contents
  await build({
    ...common,
    entryPoints: { app: 'examples/web/app.ts', worker: 'examples/web/worker.ts' },
    outdir,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    minifyWhitespace: true,
    minifyIdentifiers: true,
    // gpu.js compiles its kernels from their source text: keep the syntax it parses
    minifySyntax: false,
    sourcemap: false,
  });
  const reports = ['app', 'worker'].map((n) => sizeOf(join(outdir, `${n}.js`)));
  const chunks = readdirSync(outdir).filter((f) => f.startsWith('chunk-')).map((f) => sizeOf(join(outdir, f)));
  const total = [...reports, ...chunks];
  reports.push({ file: `${relative(root, outdir)}/* (${total.length} files; gpu.js chunk loaded only for the WebGL2 backend)`, bytes: total.reduce((a, r) => a + r.bytes, 0), gzip: total.reduce((a, r) => a + r.gzip, 0) });
  return reports;
}

function kB(n) {
  return `${(n / 1024).toFixed(1)} kB`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = new Set(process.argv.slice(2));
  const out = {};
  if (!args.has('--only-web')) out.library = await buildCore();
  if (args.has('--web') || args.has('--only-web')) out.web = await buildWeb();
  if (args.has('--json')) console.log(JSON.stringify(out, null, 2));
  else {
    for (const r of [...(out.library ?? []), ...(out.web ?? [])]) {
      const extra = r.codegen?.length ? `  (code generation: ${r.codegen.length} site(s))` : '';
      console.log(`${r.file.padEnd(34)} ${kB(r.bytes).padStart(9)}  ${kB(r.gzip).padStart(8)} gzipped${extra}`);
    }
    const core = out.library?.[0];
    if (core) {
      const ok = core.gzip <= CORE_GZIP_BUDGET;
      console.log(`core bundle: ${kB(core.gzip)} gzipped (budget ${kB(CORE_GZIP_BUDGET)}) ${ok ? 'OK' : 'OVER BUDGET'}; no new Function / eval; no Node built-ins`);
    }
  }
}
