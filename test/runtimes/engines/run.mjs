#!/usr/bin/env node
/**
 * `npm run test:runtimes`: the same training run, bundled with the core by esbuild, in every
 * JavaScript runtime this project supports, each installed from npm as a devDependency:
 *   node      this process's Node (the reference)
 *   bun       the `bun` package (its binary ships in @oven/bun-<platform>)
 *   deno      the `deno` package (@deno/<platform>)
 *   workerd   Cloudflare's runtime, the `workerd` package (@cloudflare/workerd-<platform>), via `workerd test`
 *   quickjs   QuickJS without JIT, compiled to WebAssembly (quickjs-emscripten-core with the
 *             @jitl/quickjs-wasmfile-release-sync variant), driven from this process
 *   chromium  the real-browser tests' Chromium (test/browser/chromium.mjs: CHROMIUM_PATH, else the
 *             one the npm package @sparticuz/chromium ships, else Debian's /usr/bin/chromium)
 *             through playwright-core, in a dedicated worker of a cross-origin-isolated page
 *             served on 127.0.0.1
 * Each trains a small LSTM online with BP(λ) on the js, wasm and workers backends in float64 and
 * float32 (program.ts) and reports a checksum of the parameters; every float64 checksum must
 * equal Node's js float64 one bit for bit, and every float32 checksum Node's js float32 one.
 * A backend the runtime cannot run falls back (workers → wasm → js) and the report says why.
 * A runtime that cannot be found or started fails the run and is reported as such.
 * Prints a table of runtime, version, backends used, checksums and status.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CHROMIUM_ARGS } from '../../browser/chromium-args.mjs';
import { findChromium } from '../../browser/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const require = createRequire(join(root, 'package.json'));
const TIMEOUT_MS = 120_000;

let dir;
/** runtime name → { version, report } or { version?, error } */
const results = new Map();

/** The options of the core bundle (scripts/build-browser.mjs), plus node:* left as imports for the lazy backends. */
const common = { absWorkingDir: root, bundle: true, platform: 'browser', target: 'es2022', minify: true, legalComments: 'none', logLevel: 'warning', external: ['node:*'] };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bp-lambda-runtimes-'));
  const esm = (entry, outfile) => build({ ...common, format: 'esm', entryPoints: [entry], outfile: join(dir, outfile) });
  await Promise.all([
    esm('test/runtimes/engines/entry-cli.ts', 'engines.mjs'),
    esm('src/tensor/workers/node-worker.ts', 'workers/node-worker.js'),
    esm('src/tensor/workers/web-worker.ts', 'web-worker.js'),
    esm('test/runtimes/engines/entry-workerd.ts', 'workerd.mjs'),
    esm('test/runtimes/engines/entry-browser.ts', 'browser.mjs'),
    // QuickJS runs a script, not a module: the workers backend's import.meta (never reached there,
    // QuickJS has no threads) is empty in that format, as esbuild would otherwise warn
    build({ ...common, format: 'iife', logOverride: { 'empty-import-meta': 'silent' }, entryPoints: ['test/runtimes/engines/entry-quickjs.ts'], outfile: join(dir, 'quickjs.js') }),
  ]);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
});

after(() => {
  printTable();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The report line of a runtime's output. */
function parseReport(text) {
  const line = text.split('\n').find((l) => l.includes('BP_LAMBDA_REPORT '));
  if (!line) return null;
  return JSON.parse(line.slice(line.indexOf('BP_LAMBDA_REPORT ') + 'BP_LAMBDA_REPORT '.length));
}

/** First working binary among the candidates (`--version` runs), or a reason. */
function findBinary(name, candidates) {
  const tried = [];
  for (const file of candidates) {
    if (!existsSync(file)) {
      tried.push(`${file}: missing`);
      continue;
    }
    const v = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (v.status === 0) {
      const version = v.stdout.trim().split('\n')[0].replace(/ \(.*$/, '');
      return { file, version: /^\d/.test(version) ? `${name} ${version}` : version };
    }
    tried.push(`${file}: ${(v.error?.message ?? v.stderr ?? '').trim().split('\n')[0] || `exit ${v.status}`}`);
  }
  return { error: `${name} is not installed or does not start here (npm ci installs it as a devDependency): ${tried.join('; ')}` };
}

/** node_modules/.bin/<name>, then the platform package's binary (when install scripts did not run). */
function candidates(name, platformFiles) {
  const out = [join(root, 'node_modules', '.bin', name)];
  for (const f of platformFiles) {
    try {
      out.push(require.resolve(f));
    } catch {
      out.push(join(root, 'node_modules', f));
    }
  }
  return out;
}

const platform = `${process.platform}-${process.arch}`;
const PLATFORM_BINARIES = {
  bun: { 'linux-x64': ['@oven/bun-linux-x64/bin/bun'], 'linux-arm64': ['@oven/bun-linux-aarch64/bin/bun'], 'darwin-arm64': ['@oven/bun-darwin-aarch64/bin/bun'], 'darwin-x64': ['@oven/bun-darwin-x64/bin/bun'] },
  deno: { 'linux-x64': ['@deno/linux-x64-glibc/deno'], 'linux-arm64': ['@deno/linux-arm64-glibc/deno'], 'darwin-arm64': ['@deno/darwin-arm64/deno'], 'darwin-x64': ['@deno/darwin-x64/deno'] },
  workerd: { 'linux-x64': ['@cloudflare/workerd-linux-64/bin/workerd'], 'linux-arm64': ['@cloudflare/workerd-linux-arm64/bin/workerd'], 'darwin-arm64': ['@cloudflare/workerd-darwin-arm64/bin/workerd'], 'darwin-x64': ['@cloudflare/workerd-darwin-64/bin/workerd'] },
};

function runProcess(runtime, file, args, version) {
  const r = spawnSync(file, args, { cwd: dir, encoding: 'utf8', timeout: TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1' } });
  const report = parseReport(`${r.stdout}\n${r.stderr}`);
  if (!report) {
    const why = r.error ? r.error.message : `exit ${r.status}: ${`${r.stderr}\n${r.stdout}`.trim().split('\n').slice(-6).join(' | ')}`;
    results.set(runtime, { version, error: `no report (${why})` });
  } else results.set(runtime, { version, report });
}

function runBinary(runtime, argsFor) {
  const found = findBinary(runtime, candidates(runtime, PLATFORM_BINARIES[runtime][platform] ?? []));
  if (found.error) {
    results.set(runtime, { error: found.error });
    return;
  }
  runProcess(runtime, found.file, argsFor(found.file), found.version);
}

function check(runtime) {
  const r = results.get(runtime);
  assert.ok(r, `${runtime}: did not run`);
  assert.ok(!r.error, `${runtime}: ${r.error}`);
  assert.equal(r.report.runs.length, 6, `${runtime}: three backends × two dtypes`);
  for (const run of r.report.runs) assert.ok(Number.isFinite(run.finalLoss), `${runtime} ${run.backend} ${run.dtype}: finite loss`);
}

test('node: the bundle trains on js, wasm and workers; the backends agree bit for bit', () => {
  runProcess('node', process.execPath, ['engines.mjs'], process.version);
  check('node');
  const { runs } = results.get('node').report;
  assert.deepEqual(runs.map((r) => r.used), ['js', 'js', 'wasm', 'wasm', 'workers-wasm', 'workers-wasm'], 'Node runs every backend itself, no fallback');
  for (const dtype of ['float64', 'float32']) {
    const sums = new Set(runs.filter((r) => r.dtype === dtype).map((r) => r.checksum));
    assert.equal(sums.size, 1, `${dtype}: js, wasm and workers give the same parameters`);
  }
});

test('bun', () => {
  runBinary('bun', () => ['engines.mjs']);
  check('bun');
});

test('deno', () => {
  runBinary('deno', () => ['run', '--quiet', '--no-config', '--allow-read', 'engines.mjs']);
  check('deno');
});

test('workerd', () => {
  writeFileSync(
    join(dir, 'workerd.capnp'),
    [
      'using Workerd = import "/workerd/workerd.capnp";',
      'const config :Workerd.Config = (services = [(name = "main", worker = .main)]);',
      'const main :Workerd.Worker = (modules = [(name = "worker", esModule = embed "workerd.mjs")], compatibilityDate = "2024-09-23");',
      '',
    ].join('\n'),
  );
  runBinary('workerd', () => ['test', '--verbose', 'workerd.capnp']);
  check('workerd');
});

test('quickjs (no JIT, WebAssembly build)', async () => {
  let core;
  let variant;
  let version;
  try {
    core = await import('quickjs-emscripten-core');
    variant = (await import('@jitl/quickjs-wasmfile-release-sync')).default;
    version = `quickjs-emscripten ${JSON.parse(readFileSync(require.resolve('@jitl/quickjs-wasmfile-release-sync/package.json'), 'utf8')).version}`;
  } catch (e) {
    results.set('quickjs', { error: `quickjs-emscripten-core / @jitl/quickjs-wasmfile-release-sync not installed (npm ci installs them): ${e.message}` });
    check('quickjs');
    return;
  }
  const QuickJS = await core.newQuickJSWASMModuleFromVariant(variant);
  const runtime = QuickJS.newRuntime();
  runtime.setMemoryLimit(512 * 1024 * 1024);
  runtime.setMaxStackSize(4 * 1024 * 1024);
  runtime.setInterruptHandler(core.shouldInterruptAfterDeadline(Date.now() + TIMEOUT_MS));
  const vm = runtime.newContext();
  try {
    const evaluated = vm.evalCode(readFileSync(join(dir, 'quickjs.js'), 'utf8'), 'quickjs.js');
    if (evaluated.error) {
      const err = vm.dump(evaluated.error);
      evaluated.error.dispose();
      throw new Error(`evaluation failed: ${JSON.stringify(err)}`);
    }
    evaluated.value.dispose();
    const jobs = runtime.executePendingJobs();
    if (jobs.error) {
      const err = vm.dump(jobs.error);
      jobs.error.dispose();
      throw new Error(`pending jobs failed: ${JSON.stringify(err)}`);
    }
    const handle = vm.getProp(vm.global, 'bpLambdaReport');
    const text = vm.dump(handle);
    handle.dispose();
    if (typeof text !== 'string') throw new Error('no report left on globalThis');
    if (text.startsWith('ERROR ')) throw new Error(text.slice(6));
    results.set('quickjs', { version, report: JSON.parse(text) });
  } catch (e) {
    results.set('quickjs', { version, error: e.message });
  } finally {
    vm.dispose();
    runtime.dispose();
  }
  check('quickjs');
});

test('chromium (a dedicated worker of a cross-origin-isolated page)', async () => {
  let browser;
  try {
    browser = findChromium();
  } catch (e) {
    results.set('chromium', { error: e.message });
    check('chromium');
    return;
  }
  const { executablePath } = browser;
  const { chromium } = await import('playwright-core');
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>bp-lambda runtimes</title><script type="module" src="page.js"></script>\n');
  writeFileSync(
    join(dir, 'page.js'),
    "const w = new Worker('./browser.mjs', { type: 'module' });\nw.onmessage = (e) => { window.bpLambdaResult = e.data; };\nw.onerror = (e) => { window.bpLambdaResult = { error: e.message || 'worker error' }; };\n",
  );
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0].replace(/^\/+/, '') || 'index.html';
    const file = join(dir, name);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const type = name.endsWith('.html') ? 'text/html; charset=utf-8' : 'text/javascript; charset=utf-8';
    // cross-origin isolation: SharedArrayBuffer for the workers backend
    res.writeHead(200, { 'Content-Type': type, 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const profile = mkdtempSync(join(tmpdir(), 'bp-lambda-runtimes-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, env: browser.env, headless: true, args: CHROMIUM_ARGS });
    const version = `Chromium ${context.browser()?.version() ?? ''}`.trim();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.bpLambdaResult !== undefined, null, { timeout: TIMEOUT_MS, polling: 200 });
    const result = await page.evaluate(() => window.bpLambdaResult);
    const isolated = await page.evaluate(() => window.crossOriginIsolated);
    results.set('chromium', result.error ? { version, error: result.error } : { version: `${version}${isolated ? '' : ' (not cross-origin isolated)'}`, report: result.report });
  } catch (e) {
    results.set('chromium', { error: `Chromium did not run the page: ${e.message.split('\n')[0]}` });
  } finally {
    await context?.close();
    await new Promise((resolve) => server.close(resolve));
    rmSync(profile, { recursive: true, force: true });
  }
  check('chromium');
});

test('every runtime: float64 and float32 parameters equal Node\'s bit for bit, on every backend', () => {
  const reference = results.get('node')?.report;
  assert.ok(reference, 'the Node reference run failed');
  const expected = Object.fromEntries(reference.runs.filter((r) => r.backend === 'js').map((r) => [r.dtype, r.checksum]));
  const problems = [];
  for (const [runtime, r] of results) {
    if (r.error) {
      problems.push(`${runtime}: ${r.error}`);
      continue;
    }
    for (const run of r.report.runs) {
      if (run.checksum !== expected[run.dtype]) problems.push(`${runtime} ${run.backend} (${run.used}) ${run.dtype}: ${run.checksum} ≠ node ${expected[run.dtype]}`);
    }
    if (r.report.libraryMath !== reference.libraryMath) problems.push(`${runtime}: src/math checksum ${r.report.libraryMath} ≠ node ${reference.libraryMath}`);
  }
  assert.deepEqual(problems, []);
});

function printTable() {
  const lines = ['', 'runtime   version                      float64 checksum   float32 checksum   engine Math.*      backends used (fallbacks)'];
  for (const name of ['node', 'bun', 'deno', 'workerd', 'quickjs', 'chromium']) {
    const r = results.get(name);
    if (!r) {
      lines.push(`${name.padEnd(9)} not run`);
      continue;
    }
    if (r.error) {
      lines.push(`${name.padEnd(9)} ${(r.version ?? '').padEnd(28)} FAILED: ${r.error}`);
      continue;
    }
    const sums = (dtype) => [...new Set(r.report.runs.filter((x) => x.dtype === dtype).map((x) => x.checksum))].join(',');
    const used = r.report.runs.filter((x) => x.dtype === 'float64').map((x) => (x.fallback ? `${x.backend}→${x.used}` : x.used)).join(' ');
    lines.push(`${name.padEnd(9)} ${r.version.slice(0, 28).padEnd(28)} ${sums('float64').padEnd(18)} ${sums('float32').padEnd(18)} ${r.report.engineMath}   ${used}`);
    const notes = [...new Set(r.report.runs.map((x) => x.fallback).filter(Boolean))];
    for (const n of notes) lines.push(`          fallback: ${n}`);
  }
  console.log(lines.join('\n'));
}
