import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JsBackend } from '../../src/tensor/js-backend.ts';
import { NaiveBackend } from '../../src/tensor/naive-backend.ts';
import { JsRangeKernels } from '../../src/tensor/cpu/range-kernels.ts';
import {
  assertSameBits,
  caseStateSize,
  checkJacobianMatmul,
  FLOAT64_ACCUMULATION,
  gemmCaseArb,
  gemmProblem,
  gemmProperty,
  jacobianCaseArb,
  jacobianProblem,
  jacobianProperty,
  make,
} from './reference.ts';

describe('JsBackend (blocked pure-JS kernels) against the float64 reference', () => {
  const js = new JsBackend();

  it('gemm: small sizes, every trans combination, both dtypes, alpha/beta incl. 0 and 1', () => {
    gemmProperty(js, FLOAT64_ACCUMULATION, { maxM: 13, maxN: 13, maxK: 13, numRuns: 300 });
  });

  it('gemm: sizes crossing the row-block (64) and transposed column-block (256) boundaries', () => {
    gemmProperty(js, FLOAT64_ACCUMULATION, { maxM: 70, maxN: 300, maxK: 5, numRuns: 20 });
  });

  it('jacobianMatmul: dense and structured forms (every plan), random batch, n, cols', () => {
    jacobianProperty(js, FLOAT64_ACCUMULATION, { maxBatch: 4, maxSize: 13, maxCols: 30, numRuns: 300 });
  });

  it('jacobianMatmul: the trace shape cols = n·(n+1)', () => {
    fc.assert(
      fc.property(jacobianCaseArb({ maxBatch: 3, maxSize: 10, maxCols: 1 }), (c) => {
        const n = caseStateSize(c);
        checkJacobianMatmul(js, jacobianProblem({ ...c, cols: n * (n + 1) }), FLOAT64_ACCUMULATION);
      }),
      { numRuns: 30 },
    );
  });

  it('the naive baseline agrees with the reference too', () => {
    const naive = new NaiveBackend();
    gemmProperty(naive, (dtype, K) => (dtype === 'float32' ? (K + 4) * 1.3e-7 : (K + 4) * 2.3e-16), { maxM: 9, maxN: 9, maxK: 9, numRuns: 100 });
    jacobianProperty(naive, (dtype, K) => (dtype === 'float32' ? (K + 4) * 1.3e-7 : (K + 4) * 2.3e-16), { maxBatch: 3, maxSize: 9, maxCols: 20, numRuns: 100 });
  });

  it('rejects wrong sizes and overlapping X, Y', () => {
    assert.throws(() => js.gemm(false, false, 2, 2, 2, 1, new Float64Array(3), new Float64Array(4), 0, new Float64Array(4)), /A needs 4/);
    const buf = new Float64Array(8);
    const J = { kind: 'dense' as const, batch: 1, n: 2, data: new Float64Array(4) };
    assert.throws(() => js.jacobianMatmul(J, buf.subarray(0, 4), buf.subarray(2, 6), 2, 1, 0), /overlap/);
    const structured = (over: object) => ({ kind: 'structured' as const, batch: 1, n: 4, block: 2, weights: new Float64Array(4), terms: [{ row: 1, col: 0, weight: 0, scale: new Float64Array(2) }], diagonals: [], ...over });
    const XY = () => [new Float64Array(8), new Float64Array(8)] as const;
    assert.throws(() => js.jacobianMatmul(structured({ block: 3 }), ...XY(), 2, 1, 0), /block size that divides n = 4, received 3/);
    assert.throws(() => js.jacobianMatmul(structured({ terms: [{ row: 2, col: 0, weight: 0, scale: new Float64Array(2) }] }), ...XY(), 2, 1, 0), /J\.terms\[0\]: row and col must be block indices below 2, received 2, 0/);
    assert.throws(() => js.jacobianMatmul(structured({ terms: [{ row: 0, col: 0, weight: 1, scale: new Float64Array(2) }] }), ...XY(), 2, 1, 0), /J\.terms\[0\]\.weight: expected an index below 1/);
    assert.throws(() => js.jacobianMatmul(structured({ diagonals: [{ row: 0, col: 1, scale: new Float64Array(1) }] }), ...XY(), 2, 1, 0), /J\.diagonals\[0\]\.scale needs 2 elements, received 1/);
  });
});

describe('range kernels: any split of the output gives the same bits (what the workers rely on)', () => {
  it('gemm split into random row and column blocks', () => {
    const whole = new JsRangeKernels();
    const parts = new JsRangeKernels();
    fc.assert(
      fc.property(gemmCaseArb({ maxM: 20, maxN: 20, maxK: 9 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 9 }), (c, rowStep, colStep) => {
        const p = gemmProblem(c);
        const C1 = p.C.slice();
        whole.gemmRange(c.transA, c.transB, c.M, c.N, c.K, c.alpha, p.A, p.B, c.beta, C1, 0, c.M, 0, c.N);
        const C2 = p.C.slice();
        for (let r = 0; r < c.M; r += rowStep) {
          for (let q = 0; q < c.N; q += colStep) {
            parts.gemmRange(c.transA, c.transB, c.M, c.N, c.K, c.alpha, p.A, p.B, c.beta, C2, r, Math.min(r + rowStep, c.M), q, Math.min(q + colStep, c.N));
          }
        }
        assertSameBits('gemm blocks', C2, C1);
      }),
      { numRuns: 150 },
    );
  });

  it('jacobianMatmul split into random example and column blocks', () => {
    const whole = new JsRangeKernels();
    const parts = new JsRangeKernels();
    fc.assert(
      fc.property(jacobianCaseArb({ maxBatch: 4, maxSize: 9, maxCols: 25 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 11 }), (c, bStep, colStep) => {
        const p = jacobianProblem(c);
        const Y1 = p.Y.slice();
        whole.jacobianMatmulRange(p.J, p.X, Y1, c.cols, c.alpha, c.beta, 0, c.batch, 0, c.cols);
        const Y2 = p.Y.slice();
        for (let b = 0; b < c.batch; b += bStep) {
          for (let q = 0; q < c.cols; q += colStep) {
            parts.jacobianMatmulRange(p.J, p.X, Y2, c.cols, c.alpha, c.beta, b, Math.min(b + bStep, c.batch), q, Math.min(q + colStep, c.cols));
          }
        }
        assertSameBits('jacobianMatmul blocks', Y2, Y1);
      }),
      { numRuns: 150 },
    );
  });

  it('float32 and float64 arrays holding the same values give the same float64 sums', () => {
    const js = new JsBackend();
    const A = make('float32', 12 * 7).map((_, i) => ((i * 37) % 11) / 8 - 0.6);
    const B = make('float32', 7 * 9).map((_, i) => ((i * 13) % 7) / 4 - 0.7);
    const C32 = make('float32', 12 * 9);
    const C64 = make('float64', 12 * 9);
    js.gemm(false, false, 12, 9, 7, 0.5, A, B, 0, C32);
    js.gemm(false, false, 12, 9, 7, 0.5, Float64Array.from(A), Float64Array.from(B), 0, C64);
    assertSameBits('f32 vs f64', C32, Float32Array.from(C64));
  });
});
