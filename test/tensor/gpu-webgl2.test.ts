import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { Arr } from '../../src/tensor/dtype.ts';
import type { WireArray, WireCase } from './browser/gpu-entry.ts';
import { findChromium } from '../browser/chromium.mjs';
import { assertClose, FLOAT32_ACCUMULATION, gemmCaseArb, gemmProblem, jacobianCaseArb, jacobianProblem, refGemm, refJacobianMatmul, refRoundings } from './reference.ts';

// The gpu.js backend's GLSL path, in a real browser: headless Chromium (WebGL2 on
// SwiftShader) through playwright-core, the one the browser tests use (test/browser/chromium.mjs:
// CHROMIUM_PATH, the npm package's, or Debian's). Skipped where none is usable.
const chromium = (() => {
  try {
    return findChromium();
  } catch {
    return undefined;
  }
})();

const wire = (a: Arr): WireArray => ({ dtype: a instanceof Float32Array ? 'float32' : 'float64', values: Array.from(a) });

/** A Jacobian as JSON for page.evaluate: every typed array becomes a WireArray. */
function toWire(v: unknown): unknown {
  if (v instanceof Float64Array || v instanceof Float32Array) return wire(v);
  if (Array.isArray(v)) return v.map(toWire);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x)]));
  return v;
}

describe('gpu.js backend in headless Chromium', { skip: chromium === undefined ? 'no Chromium found' : false, timeout: 60_000 }, () => {
  it('webgl2 and webgl modes against the float64 reference', async () => {
    const [{ build }, { chromium: playwright }] = await Promise.all([import('esbuild'), import('playwright-core')]);
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./browser/gpu-entry.ts', import.meta.url))],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const gemms = fc.sample(gemmCaseArb({ maxM: 8, maxN: 8, maxK: 10 }), { numRuns: 10, seed: 11 }).map(gemmProblem);
    const jacs = fc.sample(jacobianCaseArb({ maxBatch: 3, maxSize: 7, maxCols: 20 }), { numRuns: 14, seed: 12 }).map((c) => jacobianProblem(c));
    const cases: WireCase[] = [
      ...gemms.map((p): WireCase => ({ op: 'gemm', ...p.c, A: wire(p.A), B: wire(p.B), C: wire(p.C) })),
      ...jacs.map((p): WireCase => ({ op: 'jacobian', J: toWire(p.J), X: wire(p.X), Y: wire(p.Y), cols: p.c.cols, alpha: p.c.alpha, beta: p.c.beta })),
    ];
    const browser = await playwright.launch({ executablePath: chromium!.executablePath, env: chromium!.env, args: ['--no-sandbox', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
    try {
      const page = await browser.newPage();
      const warnings: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'warning' || msg.type() === 'error') warnings.push(msg.text());
      });
      await page.setContent('<!doctype html><html><body></body></html>');
      await page.addScriptTag({ content: bundle.outputFiles[0].text });
      for (const mode of ['webgl2', 'webgl'] as const) {
        const result = await page.evaluate(
          ([m, c]) => (globalThis as unknown as { runGpuCases: (m: string, c: WireCase[]) => Promise<{ mode: string; outputs: number[][] }> }).runGpuCases(m, c),
          [mode, cases] as const,
        );
        assert.equal(result.mode, mode);
        // gpu.js falls back to its cpu mode (with a console warning) when a kernel fails to compile
        assert.deepEqual(warnings.filter((w) => /fall/i.test(w)), [], 'gpu.js fell back to the CPU');
        gemms.forEach((p, i) => {
          const { transA, transB, M, N, K, alpha, beta } = p.c;
          const want = refGemm(transA, transB, M, N, K, alpha, p.A, p.B, beta, p.C);
          assertClose(`${mode} gemm ${JSON.stringify(p.c)}`, Float64Array.from(result.outputs[i]), want.value, want.bound, FLOAT32_ACCUMULATION(p.c.dtype, K));
        });
        jacs.forEach((p, i) => {
          const want = refJacobianMatmul(p.J, p.X, p.Y, p.c.cols, p.c.alpha, p.c.beta);
          assertClose(`${mode} jacobianMatmul ${JSON.stringify(p.c)}`, Float64Array.from(result.outputs[gemms.length + i]), want.value, want.bound, FLOAT32_ACCUMULATION(p.c.dtype, refRoundings(p.J)));
        });
      }
    } finally {
      await browser.close();
    }
  });
});
