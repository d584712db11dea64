import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGpuBackend } from '../../src/tensor/gpu-backend.ts';
import { checkGemm, checkJacobianMatmul, FLOAT32_ACCUMULATION, FORMS, gemmProblem, gemmProperty, jacobianProblem, jacobianProperty } from './reference.ts';

// gpu.js modes that run in Node without a GPU or the native `gl` addon: 'cpu' (kernels
// translated to JavaScript) and 'webasm' (WebAssembly, f32x4 SIMD), which 'gpu' picks here.
// Every new shape compiles a kernel, so the property runs are kept short.
for (const mode of ['cpu', 'webasm'] as const) {
  describe(`gpu.js backend, mode ${mode} (float32 kernels)`, async () => {
    const gpu = await createGpuBackend({ mode, maxKernels: 16 });

    it('runs in the requested mode', () => {
      assert.equal(gpu.mode, mode);
      assert.equal(gpu.name, `gpujs-${mode}`);
    });

    it('gemm against the float64 reference (all trans combinations, both dtypes)', () => {
      gemmProperty(gpu, FLOAT32_ACCUMULATION, { maxM: 9, maxN: 9, maxK: 12, numRuns: 40 });
    });

    it('jacobianMatmul against the float64 reference (dense and every structured form)', () => {
      jacobianProperty(gpu, FLOAT32_ACCUMULATION, { maxBatch: 3, maxSize: 8, maxCols: 20, numRuns: 40 });
    });

    it('trace-sized problems, a cached kernel reused across calls', () => {
      for (const form of FORMS) {
        for (const seed of [1, 2]) {
          checkJacobianMatmul(gpu, jacobianProblem({ form, batch: 3, size: 6, cols: 6 * 13 + 1, alpha: 0.9, beta: seed === 2 ? 0.5 : 0, dtype: 'float64', seed }), FLOAT32_ACCUMULATION);
        }
      }
      checkGemm(gpu, gemmProblem({ transA: true, transB: false, M: 1, N: 40, K: 30, alpha: 1, beta: 1, dtype: 'float32', seed: 5 }), FLOAT32_ACCUMULATION);
    });

    it('dispose', () => {
      gpu.dispose();
    });
  });
}

describe('gpu.js backend: mode selection', () => {
  it("'gpu' and 'wasm' pick the WebAssembly kernels in Node without the gl addon", async () => {
    for (const mode of ['gpu', 'wasm'] as const) {
      const gpu = await createGpuBackend({ mode });
      assert.equal(gpu.mode, 'webasm');
      gpu.dispose();
    }
  });

  it('modes without a context here, and the async-only webgpu, fail with an error', async () => {
    await assert.rejects(createGpuBackend({ mode: 'webgl2' }), /not supported/);
    await assert.rejects(createGpuBackend({ mode: 'webgpu' as 'gpu' }), /asynchronous/);
  });
});
