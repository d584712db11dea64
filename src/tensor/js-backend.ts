import type { Arr } from './dtype.ts';
import type { Backend } from './backend.ts';
import type { Jacobian } from './jacobian.ts';
import { JsRangeKernels } from './cpu/range-kernels.ts';
import { checkGemmArgs, checkJacobianMatmulArgs } from './validate.ts';

/**
 * The default backend: register-blocked, cache-aware pure-JS loops (cpu/packed-matmul.ts),
 * single-threaded, float64 accumulation for both element types, scratch space reused
 * across calls (no allocation once warm), no code generation (safe under a strict
 * Content-Security-Policy).
 */
export class JsBackend implements Backend {
  readonly name = 'js';
  readonly fallback?: string;

  /** `fallback`: set when this backend stands in for another (see Backend.fallback). */
  constructor(fallback?: string) {
    if (fallback !== undefined) this.fallback = fallback;
  }
  private readonly kernels = new JsRangeKernels();

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr): void {
    checkGemmArgs(M, N, K, A, B, C);
    this.kernels.gemmRange(transA, transB, M, N, K, alpha, A, B, beta, C, 0, M, 0, N);
  }

  jacobianMatmul(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number): void {
    checkJacobianMatmulArgs(J, X, Y, cols);
    this.kernels.jacobianMatmulRange(J, X, Y, cols, alpha, beta, 0, J.batch, 0, cols);
  }
}
