import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Backend } from '../../src/tensor/backend.ts';
import { JsBackend } from '../../src/tensor/js-backend.ts';
import { createWasmBackend } from '../../src/tensor/wasm-backend.ts';
import { createWorkersBackend, gemmChunks, jacobianChunks, type WorkersBackend } from '../../src/tensor/workers-backend.ts';
import { chunkBounds } from '../../src/tensor/workers/protocol.ts';
import {
  assertSameBits,
  checkJacobianMatmul,
  FLOAT64_ACCUMULATION,
  gemmCaseArb,
  gemmProblem,
  gemmProperty,
  jacobianCaseArb,
  jacobianProblem,
  jacobianProperty,
} from './reference.ts';

describe('workers backend', () => {
  // minParallelFlops: 0 sends even tiny problems to the workers (the path under test).
  let jsWorkers: WorkersBackend;
  let wasmWorkers: WorkersBackend;
  let threeWorkers: WorkersBackend;
  let f32Workers: WorkersBackend;
  let f32Single: Backend;
  const js = new JsBackend();

  before(async () => {
    [jsWorkers, wasmWorkers, threeWorkers, f32Workers, f32Single] = await Promise.all([
      createWorkersBackend({ workers: 1, kernels: 'js', minParallelFlops: 0 }),
      createWorkersBackend({ workers: 2, kernels: 'wasm', minParallelFlops: 0 }),
      createWorkersBackend({ workers: 3, kernels: 'js', minParallelFlops: 0 }),
      createWorkersBackend({ workers: 2, kernels: 'wasm', float32: 'f32x4', minParallelFlops: 0 }),
      createWasmBackend({ fallback: false, float32: 'f32x4' }),
    ]);
  });

  after(async () => {
    await Promise.all([jsWorkers.dispose(), wasmWorkers.dispose(), threeWorkers.dispose(), f32Workers.dispose()]);
  });

  it('gemm against the float64 reference (js and wasm kernels in the workers)', () => {
    assert.equal(jsWorkers.name, 'workers-js');
    assert.equal(wasmWorkers.name, 'workers-wasm');
    gemmProperty(jsWorkers, FLOAT64_ACCUMULATION, { maxM: 20, maxN: 20, maxK: 12, numRuns: 120 });
    gemmProperty(wasmWorkers, FLOAT64_ACCUMULATION, { maxM: 20, maxN: 20, maxK: 12, numRuns: 120 });
  });

  it('jacobianMatmul against the float64 reference, plain and shared (alloc) arrays', () => {
    jacobianProperty(jsWorkers, FLOAT64_ACCUMULATION, { maxBatch: 5, maxSize: 10, maxCols: 30, numRuns: 120 });
    jacobianProperty(wasmWorkers, FLOAT64_ACCUMULATION, { maxBatch: 5, maxSize: 10, maxCols: 30, numRuns: 120, alloc: (d, l) => wasmWorkers.alloc(d, l) });
  });

  it('the same bits whatever the number of workers, and as the single-threaded JS backend', () => {
    const backends = [jsWorkers, wasmWorkers, threeWorkers];
    fc.assert(
      fc.property(jacobianCaseArb({ maxBatch: 6, maxSize: 9, maxCols: 50 }), (c) => {
        const p = jacobianProblem(c);
        const want = p.Y.slice();
        js.jacobianMatmul(p.J, p.X, want, c.cols, c.alpha, c.beta);
        for (const be of backends) {
          const Y = p.Y.slice();
          be.jacobianMatmul(p.J, p.X, Y, c.cols, c.alpha, c.beta);
          assertSameBits(`${be.name} ×${be.workers}`, Y, want);
        }
      }),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(gemmCaseArb({ maxM: 30, maxN: 30, maxK: 10 }), (c) => {
        const p = gemmProblem(c);
        const want = p.C.slice();
        js.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, p.A, p.B, c.beta, want);
        for (const be of backends) {
          const C = p.C.slice();
          be.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, p.A, p.B, c.beta, C);
          assertSameBits(`${be.name} ×${be.workers}`, C, want);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('f32x4 kernels in the workers: the same bits as the single-threaded f32x4 wasm backend', () => {
    fc.assert(
      fc.property(jacobianCaseArb({ maxBatch: 5, maxSize: 9, maxCols: 60 }), (c) => {
        const p = jacobianProblem({ ...c, dtype: 'float32' });
        const want = p.Y.slice();
        f32Single.jacobianMatmul(p.J, p.X, want, c.cols, c.alpha, c.beta);
        f32Workers.jacobianMatmul(p.J, p.X, p.Y, c.cols, c.alpha, c.beta);
        assertSameBits('jacobianMatmul f32x4', p.Y, want);
      }),
      { numRuns: 60 },
    );
    fc.assert(
      fc.property(gemmCaseArb({ maxM: 30, maxN: 40, maxK: 20 }), (c) => {
        const p = gemmProblem({ ...c, dtype: 'float32' });
        const want = p.C.slice();
        f32Single.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, p.A, p.B, c.beta, want);
        f32Workers.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, p.A, p.B, c.beta, p.C);
        assertSameBits('gemm f32x4', p.C, want);
      }),
      { numRuns: 60 },
    );
  });

  it('alloc returns shared memory; outputs that are not shared are copied back', () => {
    const a = wasmWorkers.alloc('float32', 10);
    assert.ok(a instanceof Float32Array && a.buffer instanceof SharedArrayBuffer && a.length === 10);
    // a trace-sized problem with a plain (non-shared) Y and beta ≠ 0 (Y copied in and out)
    checkJacobianMatmul(wasmWorkers, jacobianProblem({ form: 'gated', batch: 3, size: 5, cols: 110, alpha: 0.9, beta: 0.5, dtype: 'float64', seed: 3 }), FLOAT64_ACCUMULATION);
  });

  it('small problems run inline with the default threshold, with the same results', async () => {
    const be = await createWorkersBackend({ workers: 1, kernels: 'js' });
    try {
      checkJacobianMatmul(be, jacobianProblem({ form: 'dense', batch: 2, size: 3, cols: 4, alpha: 1, beta: 0, dtype: 'float64', seed: 1 }), FLOAT64_ACCUMULATION);
    } finally {
      await be.dispose();
    }
    assert.throws(() => be.gemm(false, false, 1, 1, 1, 1, new Float64Array(1), new Float64Array(1), 0, new Float64Array(1)), /after dispose/);
  });

  it('chunk plans cover every output element exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), (first, cols, threads, isGemm) => {
        const plan = isGemm ? gemmChunks(first, cols, threads) : jacobianChunks(Math.max(first, 1), cols, threads);
        const rows = isGemm ? first : Math.max(first, 1);
        const seen = new Uint8Array(rows * cols);
        for (let i = 0; i < plan.count; i++) {
          const [r0, r1, c0, c1] = chunkBounds(plan, i, rows, cols);
          for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) seen[r * cols + c]++;
        }
        assert.ok(seen.every((v) => v === 1));
      }),
      { numRuns: 300 },
    );
  });
});
