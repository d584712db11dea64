import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JsBackend } from '../../src/tensor/js-backend.ts';
import { WasmBackend, type WasmKernelOptions } from '../../src/tensor/wasm-backend.ts';
import { compileKernels, wasmKernelsSupported } from '../../src/tensor/wasm/load.ts';
import type { Arr, DType } from '../../src/tensor/dtype.ts';
import { assertSameBits, filler, jacobianCaseArb, jacobianProblem, make } from './reference.ts';

/** The wasm memory of a backend (test-only peek at the instance). */
function memoryOf(be: WasmBackend): WebAssembly.Memory {
  return (be as unknown as { kernels: { exports: { memory: WebAssembly.Memory } } }).kernels.exports.memory;
}

describe('WebAssembly backend: arrays in wasm memory (alloc, zero-copy kernels)', { skip: !wasmKernelsSupported() }, async () => {
  const module = await compileKernels();
  const fresh = (o: WasmKernelOptions = {}) => new WasmBackend(module, o);
  const js = new JsBackend();

  it('alloc returns zeroed views of wasm memory that stay valid when later calls need more scratch than is left', () => {
    const be = fresh();
    const a = be.alloc('float64', 1000);
    const f = be.alloc('float32', 333);
    assert.ok(a instanceof Float64Array && f instanceof Float32Array);
    assert.equal(a.buffer, memoryOf(be).buffer);
    assert.equal(f.buffer, memoryOf(be).buffer);
    assert.ok(a.every((v) => v === 0) && f.every((v) => v === 0));
    a.fill(3);
    f.fill(-2);
    // a gemm whose packed left operand (128 rows × K) exceeds the scratch reserve: runs
    // without growing the memory (on the JS kernels), same bits
    const M = 130, N = 5, K = 20000;
    const A = filler(1)(make('float64', M * K));
    const B = filler(2)(make('float64', K * N));
    const C1 = new Float64Array(M * N);
    const C2 = new Float64Array(M * N);
    const bytes = memoryOf(be).buffer.byteLength;
    be.gemm(false, false, M, N, K, 0.5, A, B, 0, C1);
    js.gemm(false, false, M, N, K, 0.5, A, B, 0, C2);
    assertSameBits('gemm', C1, C2);
    assert.equal(memoryOf(be).buffer.byteLength, bytes, 'the memory did not grow');
    assert.equal(a.length, 1000, 'not detached');
    assert.ok(a.every((v) => v === 3) && f.every((v) => v === -2), 'contents kept');
    // more than the reserved room: an ordinary array, still correct
    const big = be.alloc('float64', 1 << 22);
    assert.notEqual(big.buffer, memoryOf(be).buffer);
    assert.equal(a.length, 1000);
  });

  it('jacobianMatmul on arrays from alloc (read and written in place) is bit-identical to the JS backend', () => {
    fc.assert(
      fc.property(jacobianCaseArb({ maxBatch: 3, maxSize: 13, maxCols: 40 }), (c) => {
        const be = fresh();
        const inMem = (dtype: DType, length: number): Arr => be.alloc(dtype, length);
        const p = jacobianProblem(c, inMem);
        assert.ok(p.X.buffer === memoryOf(be).buffer && p.Y.buffer === memoryOf(be).buffer, 'X and Y in wasm memory');
        const X = p.X.slice();
        const Y = p.Y.slice();
        js.jacobianMatmul(p.J, X, Y, c.cols, c.alpha, c.beta);
        be.jacobianMatmul(p.J, p.X, p.Y, c.cols, c.alpha, c.beta);
        assertSameBits('jacobianMatmul', p.Y, Y);
      }),
      { numRuns: 150 },
    );
  });

  it('f32x4: in place and staged give the same bits', () => {
    fc.assert(
      fc.property(jacobianCaseArb({ maxBatch: 3, maxSize: 13, maxCols: 40 }), (c) => {
        c = { ...c, dtype: 'float32' };
        const be = fresh({ float32: 'f32x4' });
        const staged = fresh({ float32: 'f32x4' });
        const p = jacobianProblem(c, (dtype, length) => be.alloc(dtype, length));
        assert.ok(p.X.buffer === memoryOf(be).buffer && p.Y.buffer === memoryOf(be).buffer, 'X and Y in wasm memory');
        const X = p.X.slice();
        const Y = p.Y.slice();
        staged.jacobianMatmul(p.J, X, Y, c.cols, c.alpha, c.beta);
        be.jacobianMatmul(p.J, p.X, p.Y, c.cols, c.alpha, c.beta);
        assertSameBits('jacobianMatmul f32x4', p.Y, Y);
      }),
      { numRuns: 100 },
    );
  });

  it('row-vector products (M < 4) with B in wasm memory are bit-identical to the JS backend', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const M of [1, 2, 3]) {
        for (const transA of [false, true]) {
          for (const [N, K] of [[1, 1], [7, 5], [930, 300], [33, 4]]) {
            for (const beta of [0, 0.5]) {
              const be = fresh();
              const A = filler(M * 31 + N)(make('float64', M * K));
              const B = filler(K)(be.alloc(dtype, K * N));
              assert.equal(B.buffer, memoryOf(be).buffer);
              const C1 = filler(5)(make(dtype, M * N));
              const C2 = C1.slice();
              be.gemm(transA, false, M, N, K, -0.7, A, B, beta, C1);
              js.gemm(transA, false, M, N, K, -0.7, A, B, beta, C2);
              assertSameBits(`gemm ${dtype} M=${M} N=${N} K=${K}`, C1, C2);
            }
          }
        }
      }
    }
  });
});
