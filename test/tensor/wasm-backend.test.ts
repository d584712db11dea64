import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JsBackend } from '../../src/tensor/js-backend.ts';
import { createWasmBackend } from '../../src/tensor/wasm-backend.ts';
import { KERNELS_SOURCE_SHA256 } from '../../src/tensor/wasm/kernels.wasm.ts';
import {
  assertSameBits,
  checkGemm,
  checkJacobianMatmul,
  FLOAT32_ACCUMULATION,
  FLOAT64_ACCUMULATION,
  FORMS,
  gemmCaseArb,
  gemmProblem,
  gemmProperty,
  jacobianCaseArb,
  jacobianProblem,
  jacobianProperty,
} from './reference.ts';

describe('WebAssembly SIMD backend', async () => {
  const wasm = await createWasmBackend({ fallback: false });
  const wasm32 = await createWasmBackend({ fallback: false, float32: 'f32x4' });
  const js = new JsBackend();

  it('the embedded module was compiled from the current assembly/kernels.ts', () => {
    const source = readFileSync(new URL('../../assembly/kernels.ts', import.meta.url), 'utf8');
    assert.equal(createHash('sha256').update(source).digest('hex'), KERNELS_SOURCE_SHA256, 'run: node scripts/build-wasm.mjs');
  });

  it('gemm against the float64 reference (all trans combinations, both dtypes)', () => {
    assert.equal(wasm.name, 'wasm');
    gemmProperty(wasm, FLOAT64_ACCUMULATION, { maxM: 20, maxN: 24, maxK: 24, numRuns: 200 });
    gemmProperty(wasm, FLOAT64_ACCUMULATION, { maxM: 140, maxN: 60, maxK: 8, numRuns: 10 });
  });

  it('jacobianMatmul against the float64 reference (all forms, both dtypes)', () => {
    jacobianProperty(wasm, FLOAT64_ACCUMULATION, { maxBatch: 4, maxSize: 13, maxCols: 40, numRuns: 200 });
  });

  it('float64 arithmetic gives the same bits as the pure-JS backend', () => {
    fc.assert(
      fc.property(gemmCaseArb({ maxM: 24, maxN: 24, maxK: 24 }), (c) => {
        const p = gemmProblem(c);
        const C1 = p.C.slice();
        js.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, p.A, p.B, c.beta, C1);
        wasm.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, p.A, p.B, c.beta, p.C);
        assertSameBits('gemm', p.C, C1);
      }),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(jacobianCaseArb({ maxBatch: 4, maxSize: 12, maxCols: 40 }), (c) => {
        const p = jacobianProblem(c);
        const Y1 = p.Y.slice();
        js.jacobianMatmul(p.J, p.X, Y1, c.cols, c.alpha, c.beta);
        wasm.jacobianMatmul(p.J, p.X, p.Y, c.cols, c.alpha, c.beta);
        assertSameBits('jacobianMatmul', p.Y, Y1);
      }),
      { numRuns: 150 },
    );
  });

  it('column chunks: rows longer than one chunk of wasm memory', () => {
    for (const form of FORMS) {
      for (const beta of [0, 0.5]) {
        checkJacobianMatmul(wasm, jacobianProblem({ form, batch: 2, size: 4, cols: 70001, alpha: 0.7, beta, dtype: 'float64', seed: 7 }), FLOAT64_ACCUMULATION);
      }
    }
  });

  it('gemm in several column chunks and row blocks (long K, many rows)', () => {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      checkGemm(wasm, gemmProblem({ transA, transB, M: 6, N: 150, K: 600, alpha: 0.8, beta: 0.5, dtype: 'float64', seed: 21 }), FLOAT64_ACCUMULATION);
      checkGemm(wasm, gemmProblem({ transA, transB, M: 133, N: 70, K: 700, alpha: -1, beta: 0, dtype: 'float32', seed: 22 }), FLOAT64_ACCUMULATION);
    }
  });

  it('f32x4 option: float32 problems in float32 arithmetic, float64 problems unchanged', () => {
    assert.equal(wasm32.name, 'wasm-f32x4');
    gemmProperty(wasm32, (dtype, K) => (dtype === 'float32' ? FLOAT32_ACCUMULATION(dtype, K) : FLOAT64_ACCUMULATION(dtype, K)), { maxM: 20, maxN: 30, maxK: 24, numRuns: 150 });
    jacobianProperty(wasm32, (dtype, K) => (dtype === 'float32' ? FLOAT32_ACCUMULATION(dtype, K) : FLOAT64_ACCUMULATION(dtype, K)), { maxBatch: 4, maxSize: 13, maxCols: 40, numRuns: 150 });
  });
});
