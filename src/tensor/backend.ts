import type { Arr, DType } from './dtype.ts';
import type { Jacobian } from './jacobian.ts';

/**
 * The kernels every hot loop of the engine goes through. Cells, learners and kernels call
 * these through `ops.ts`; they never pick or touch a backend themselves. All matrices are
 * row-major. A backend must accept Float64Array and Float32Array and compute in (at least)
 * the precision of its arguments; the float64 pure-JS backend is the reference.
 */
export interface Backend {
  readonly name: string;

  /**
   * Set when this backend stands in for one the runtime cannot run (no WebAssembly SIMD, no
   * threads): which backend was asked for and why it is not used, e.g.
   * "wasm → js: WebAssembly with SIMD is not available in this runtime". Results are the same
   * bits either way (float64, and float32 outside the wasm f32x4 mode).
   */
  readonly fallback?: string;

  /**
   * General matrix product, BLAS-style:
   *   C (M×N) ← alpha·op(A)·op(B) + beta·C,  op(A) is M×K, op(B) is K×N,
   * where op(X) = Xᵀ when the matching `trans` flag is set (then A is stored K×M, B is N×K).
   * With beta = 0, C's previous contents are ignored (NaN in C does not propagate).
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr): void;

  /**
   * Left-multiply every example's matrix by its state Jacobian (the trace/RTRL hot path):
   *   Y_b (n×cols) ← alpha·J_b·X_b + beta·Y_b   for b = 0..batch−1,
   * X and Y hold the batch contiguously (batch·n·cols). X and Y must not overlap.
   */
  jacobianMatmul(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number): void;

  /**
   * Optional: allocate a large working buffer in memory this backend can use without copying
   * (shared memory for a multi-threaded backend). Learners allocate trace and influence
   * buffers through `allocBuffer` in ops.ts, which falls back to a plain typed array.
   */
  alloc?(dtype: DType, length: number): Arr;
}
