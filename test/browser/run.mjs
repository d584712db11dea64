#!/usr/bin/env node
/**
 * Real-browser tests (npm run test:browser): headless Chromium (see chromium.mjs: the npm
 * package's, else Debian's) driven by playwright-core, against the demo server
 * (examples/web/serve.mjs) on 127.0.0.1.
 *   - the demo page trains BP(λ) for λ ∈ {0, 0.5, 1} in Web Workers; alignment of λ = 1
 *     rises above a threshold and beats λ = 0; a screenshot goes to $BP_LAMBDA_FIGURE_DIR/web.png
 *     (default .tmp/figures/, ignored by git; `npm run figures:web` writes docs/figures/web.png)
 *   - invalid settings show the library's own messages; the controls are keyboard reachable
 *   - the gpu.js backend on WebGL2 (SwiftShader) computes the trace update of the JS backend
 *     within float32 tolerance (bundled into the page, and as published in dist/browser/
 *     with gpu.js's own browser build), and trains in a worker
 *   - a page served with a strict Content-Security-Policy (no 'unsafe-eval') runs the core
 *     bundle, and eval / new Function are blocked there
 * Not matched by the unit-test glob (*.test.ts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../examples/web/serve.mjs';
import { findChromium } from './chromium.mjs';
import { CHROMIUM_ARGS } from './chromium-args.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const figureDir = resolve(root, process.env.BP_LAMBDA_FIGURE_DIR ?? join('.tmp', 'figures'));


let server;
let context;
let profile;

before(async () => {
  const browser = findChromium();
  console.log(`# Chromium: ${browser.source} (${browser.executablePath})`);
  server = await startServer({ port: 0, quiet: true });
  profile = mkdtempSync(join(tmpdir(), 'bp-lambda-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: browser.executablePath, env: browser.env, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1100, height: 900 } });
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** A new page that fails the test on uncaught page errors. */
async function open(path) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto(server.url + path);
  return { page, errors, response };
}

async function waitForPhase(page, phases, timeout) {
  await page.waitForFunction((ps) => ps.includes(window.bpLambdaDemo?.state().phase), phases, { timeout, polling: 250 });
  return page.evaluate(() => window.bpLambdaDemo.state());
}

const tail = (points, k = 3) => points.slice(-k).reduce((a, p) => a + p.alignment, 0) / Math.min(k, points.length);

test('demo page: BP(λ) trains online in workers; alignment for λ = 1 rises and beats λ = 0', async () => {
  const { page, errors } = await open('?autostart=1');
  const state = await waitForPhase(page, ['done', 'error'], 100_000);
  assert.deepEqual(errors, []);
  assert.equal(state.phase, 'done', state.status);
  assert.deepEqual(state.runs.map((r) => r.lambda), [0, 0.5, 1]);
  for (const r of state.runs) {
    assert.equal(r.seq, 300);
    assert.equal(r.backend, 'js');
    assert.ok(r.points.every((p) => Number.isFinite(p.alignment)));
  }
  const [l0, , l1] = state.runs;
  const a0 = tail(l0.points);
  const a1 = tail(l1.points);
  const first1 = l1.points[0].alignment;
  console.log(`# alignment after 300 sequences: λ=0 ${a0.toFixed(3)}, λ=0.5 ${tail(state.runs[1].points).toFixed(3)}, λ=1 ${a1.toFixed(3)} (λ=1 at the start: ${first1.toFixed(3)})`);
  assert.ok(a1 > 0.5, `alignment for λ = 1 should exceed 0.5, got ${a1}`);
  assert.ok(a1 > first1 + 0.2, `alignment for λ = 1 should rise, ${first1} → ${a1}`);
  assert.ok(a1 > a0 + 0.2, `alignment for λ = 1 (${a1}) should exceed λ = 0's (${a0})`);
  // the table and status say so too
  assert.match(await page.textContent('#status'), /^Done after 300 sequences/);
  assert.equal(await page.locator('#summary tbody tr').count(), 3);

  // the GPU check button, for the screenshot
  await page.click('#gpucheck');
  await page.waitForFunction(() => /matches|MISMATCH|failed/.test(document.getElementById('gpu-result').textContent), null, { timeout: 30_000 });
  assert.match(await page.textContent('#gpu-result'), /GPU trace kernel matches \(gpu\.js mode webgl2/);
  mkdirSync(figureDir, { recursive: true });
  const partial = join(figureDir, `.web.${process.pid}.partial.png`);
  await page.screenshot({ path: partial, fullPage: true });
  renameSync(partial, join(figureDir, 'web.png')); // atomic: never a half-written figure
  await page.close();
});

test('demo page: invalid settings show the library messages, on the field, with focus', async () => {
  const { page, errors } = await open('');
  await page.fill('#lambdas', '0, 1.5');
  await page.press('#lambdas', 'Enter'); // the form submits from the keyboard
  await page.waitForFunction(() => document.getElementById('lambdas-error').textContent !== '');
  assert.equal(await page.textContent('#lambdas-error'), 'BpLambdaLearner: lambda: expected a number in [0, 1], received 1.5');
  assert.equal(await page.getAttribute('#lambdas', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'lambdas');
  assert.match(await page.textContent('#status'), /^Cannot start: .*lambda/);

  await page.fill('#lambdas', '0, 1');
  await page.fill('#gamma', '-0.1');
  await page.fill('#hidden', '2.5');
  await page.fill('#lr', 'fast');
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('gamma-error').textContent !== '');
  assert.equal(await page.textContent('#lambdas-error'), '');
  assert.equal(await page.textContent('#gamma-error'), 'BpLambdaLearner: gamma: expected a number in [0, 1], received -0.1');
  assert.match(await page.textContent('#hidden-error'), /^createModel: hiddenSize: .*2\.5/);
  assert.equal(await page.textContent('#lr-error'), 'synthesiser learning rate: expected a number, received "fast"');
  assert.equal(await page.evaluate(() => window.bpLambdaDemo.state().runs.length), 0, 'nothing started');

  // the state size, not H, is what the page caps: the LSTM's is 2H
  await page.fill('#gamma', '1');
  await page.fill('#lr', '0.001');
  await page.selectOption('#cell', 'lstm');
  await page.fill('#hidden', '40');
  await page.click('#start');
  await page.waitForFunction(() => document.getElementById('hidden-error').textContent.includes('state'));
  assert.equal(await page.textContent('#hidden-error'), 'hidden units: this page allows a state of at most 64 values (each trace holds n³ per example); 40 hidden units give the lstm cell 80');
  assert.equal(await page.textContent('#gamma-error'), '');
  assert.deepEqual(errors, []);
  await page.close();
});

test('demo page: keyboard focus order runs through every control, then the buttons', async () => {
  const { page } = await open('');
  await page.focus('#lambdas');
  const order = ['lambdas'];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => document.activeElement?.id ?? ''));
  }
  // Pause is disabled until training runs, so Tab skips it
  assert.deepEqual(order, ['lambdas', 'gamma', 'T', 'cell', 'hidden', 'lr', 'rnnLr', 'K', 'max', 'backend', 'start', 'reset', 'gpucheck']);
  for (const id of ['lambdas', 'gamma', 'T', 'cell', 'hidden', 'lr', 'rnnLr', 'K', 'max', 'backend']) {
    assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `#${id} has a label`);
  }
  // start, pause and reset by keyboard
  await page.fill('#max', '100000');
  await page.focus('#start');
  await page.keyboard.press('Enter');
  await waitForPhase(page, ['running'], 10_000);
  await page.waitForFunction(() => window.bpLambdaDemo.state().runs.every((r) => r.seq > 0), null, { timeout: 20_000 });
  await page.focus('#pause');
  await page.keyboard.press('Space');
  const paused = await waitForPhase(page, ['paused'], 5_000);
  assert.match(paused.status, /^Paused at \d+ \/ 100000/);
  await page.focus('#reset');
  await page.keyboard.press('Enter');
  const reset = await waitForPhase(page, ['idle'], 5_000);
  assert.equal(reset.runs.length, 0);
  await page.close();
});

test('gpu.js on WebGL2 computes the same trace update as the JS backend (float32 tolerance)', async () => {
  const { page, errors } = await open('');
  const check = await page.evaluate(() => window.bpLambdaDemo.gpuCheck());
  console.log(`# gpu.js mode ${check.mode}: ${check.results.map((r) => `${r.kind} max|Δ| ${r.maxAbsDiff.toExponential(2)} (max|ref| ${r.maxAbsRef.toFixed(2)})`).join(', ')}`);
  assert.equal(check.mode, 'webgl2');
  const cellTypes = await page.evaluate(() => window.bpLambdaDemo.cellTypes);
  assert.ok(cellTypes.includes('gru'), `registered cells: ${cellTypes}`);
  assert.deepEqual(check.results.map((r) => r.kind), ['dense', ...cellTypes]);
  for (const r of check.results) {
    assert.ok(r.maxAbsDiff <= 1e-5 * Math.max(1, r.maxAbsRef), `${r.kind}: max |Δ| = ${r.maxAbsDiff}`);
    assert.ok(r.maxAbsDiff > 0 || r.maxAbsRef === 0, `${r.kind}: a float32 GPU result is expected to differ slightly from float64`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('the published bundles: dist/browser/gpu-backend.js with gpu.js\'s browser build computes the JS trace update', async () => {
  const { page, errors } = await open('gpu-lib.html');
  await page.waitForSelector('body[data-result]', { timeout: 30_000 });
  const report = await page.evaluate(() => window.gpuLibReport);
  assert.deepEqual(report.errors, []);
  assert.equal(report.mode, 'webgl2');
  assert.ok(report.cellTypes.includes('gru'), `registered cells: ${report.cellTypes}`);
  assert.deepEqual(report.results.map((r) => [r.kind, r.ok]), [['dense', true], ...report.cellTypes.map((t) => [t, true])]);
  assert.deepEqual(errors, []);
  await page.close();
});

test('demo page: a GRU trains on the gpu.js WebGL2 backend inside a worker', async () => {
  const { page, errors } = await open('?backend=webgl2&cell=gru&lambdas=0,1&hidden=6&T=6&max=12&autostart=1');
  const state = await waitForPhase(page, ['done', 'error'], 60_000);
  assert.equal(state.phase, 'done', state.status);
  for (const r of state.runs) {
    assert.equal(r.cell, 'gru');
    assert.equal(r.backend, 'gpujs-webgl2');
    assert.equal(r.seq, 12);
    assert.ok(r.points.every((p) => Number.isFinite(p.alignment) && Number.isFinite(p.loss) || p.seq === 0));
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test("strict CSP (no 'unsafe-eval'): eval is blocked and the core bundle trains BP(λ)", async () => {
  const { page, errors, response } = await open('csp.html');
  const csp = response.headers()['content-security-policy'];
  assert.ok(csp && /script-src 'self'/.test(csp) && !/unsafe-eval/.test(csp), `CSP header: ${csp}`);
  await page.waitForSelector('body[data-result]', { timeout: 30_000 });
  const report = await page.evaluate(() => window.cspReport);
  console.log(`# CSP page: ${await page.textContent('#result')}`);
  assert.equal(report.evalBlocked, true, 'eval must be blocked on this page (else the check proves nothing)');
  assert.equal(report.functionBlocked, true, 'new Function must be blocked on this page');
  assert.deepEqual(report.errors, []);
  assert.equal(report.bundleViolations, 0);
  assert.equal(report.trained, true);
  assert.equal(report.pass, true);
  assert.deepEqual(errors, []);
  await page.close();
});
