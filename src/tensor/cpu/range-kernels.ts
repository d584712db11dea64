import type { Arr } from '../dtype.ts';
import type { Jacobian } from '../jacobian.ts';
import { gemmRange } from './gemm-range.ts';
import { jacobianMatmulRange } from './jacobian-range.ts';
import { Workspace } from './workspace.ts';

/**
 * The two hot kernels restricted to a block of their output: what one thread computes.
 * Backends run them over the whole output (one thread) or hand blocks to several
 * threads. Implementations sum every element in the canonical order of
 * packed-matmul.ts, so any split of the output gives the same bits.
 */
export interface RangeKernels {
  /** Rows r0..r1−1 and columns c0..c1−1 of C ← alpha·op(A)·op(B) + beta·C. */
  gemmRange(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr, r0: number, r1: number, c0: number, c1: number): void;
  /** Examples b0..b1−1 and columns c0..c1−1 of Y_b ← alpha·J_b·X_b + beta·Y_b. */
  jacobianMatmulRange(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number, b0: number, b1: number, c0: number, c1: number): void;
}

/** The pure-JS range kernels with their own scratch space (one instance per thread). */
export class JsRangeKernels implements RangeKernels {
  private readonly ws = new Workspace();

  gemmRange(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr, r0: number, r1: number, c0: number, c1: number): void {
    gemmRange(this.ws, transA, transB, M, N, K, alpha, A, B, beta, C, r0, r1, c0, c1);
  }

  jacobianMatmulRange(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number, b0: number, b1: number, c0: number, c1: number): void {
    jacobianMatmulRange(this.ws, J, X, Y, cols, alpha, beta, b0, b1, c0, c1);
  }
}
