import type { Arr, DType } from './dtype.ts';
import type { Backend } from './backend.ts';
import type { Jacobian } from './jacobian.ts';
import { JsBackend } from './js-backend.ts';
import { checkGemmArgs, checkJacobianMatmulArgs } from './validate.ts';
import { compileKernels, wasmKernelsSupported } from './wasm/load.ts';
import { WasmRangeKernels, type WasmKernelOptions } from './wasm/wasm-kernels.ts';

export type { WasmKernelOptions } from './wasm/wasm-kernels.ts';

/**
 * Single-threaded WebAssembly SIMD backend (assembly/kernels.ts, embedded in
 * wasm/kernels.wasm.ts). Float64 results are bit-identical to the pure-JS backend.
 * Browsers need 'wasm-unsafe-eval' in a Content-Security-Policy to compile it; the
 * factory falls back to the pure-JS backend where WebAssembly SIMD is unavailable.
 */
export class WasmBackend implements Backend {
  readonly name: string;
  readonly fallback?: string;
  private readonly kernels: WasmRangeKernels;

  /** `fallback`: set when this backend stands in for another (see Backend.fallback). */
  constructor(module: WebAssembly.Module, options: WasmKernelOptions = {}, fallback?: string) {
    if (fallback !== undefined) this.fallback = fallback;
    this.kernels = new WasmRangeKernels(module, options);
    this.name = options.float32 === 'f32x4' ? 'wasm-f32x4' : 'wasm';
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr): void {
    checkGemmArgs(M, N, K, A, B, C);
    this.kernels.gemmRange(transA, transB, M, N, K, alpha, A, B, beta, C, 0, M, 0, N);
  }

  jacobianMatmul(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number): void {
    checkJacobianMatmulArgs(J, X, Y, cols);
    this.kernels.jacobianMatmulRange(J, X, Y, cols, alpha, beta, 0, J.batch, 0, cols);
  }

  /**
   * Working buffers inside wasm memory: the trace kernel and row-vector products then read
   * and write them in place instead of copying them in and out on every call. The memory
   * is grown once, at the first call, and never again (see WasmRangeKernels.alloc).
   */
  alloc(dtype: DType, length: number): Arr {
    return this.kernels.alloc(dtype, length);
  }
}

/**
 * The WebAssembly SIMD backend, or the pure-JS backend (name 'js') where WebAssembly SIMD
 * cannot be used (pass `fallback: false` to get an error instead); the fallback says why in
 * its `fallback` property. `standingInFor`: the note of a backend this one replaces (used by
 * createBackend('workers') where threads are unavailable).
 */
export async function createWasmBackend(options: WasmKernelOptions & { fallback?: boolean } = {}, standingInFor?: string): Promise<Backend> {
  const fallback = options.fallback ?? true;
  try {
    if (!wasmKernelsSupported()) throw new Error('WebAssembly with SIMD is not available in this runtime');
    return new WasmBackend(await compileKernels(), options, standingInFor);
  } catch (e) {
    if (!fallback) throw e;
    const note = `wasm → js: ${e instanceof Error ? e.message : String(e)}`;
    return new JsBackend(standingInFor === undefined ? note : `${standingInFor}; ${note}`);
  }
}
