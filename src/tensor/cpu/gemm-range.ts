import type { Arr } from '../dtype.ts';
import { packColumns, packedMatmul, packRows, paddedRows, zeroPadding } from './packed-matmul.ts';
import { SLOT, type Workspace } from './workspace.ts';

/** Rows of op(A) packed at once (bounds the packed copy to ROW_BLOCK·K values). */
const ROW_BLOCK = 64;
/** Columns of Bᵀ transposed at once when transB is set. */
const COL_BLOCK = 256;

/**
 * The block rows r0..r1−1, columns c0..c1−1 of the BLAS-style product
 *   C (M×N) ← alpha·op(A)·op(B) + beta·C
 * (see Backend.gemm for the storage conventions). Every element is summed in the
 * canonical order of packed-matmul.ts whatever the block, so a product split into blocks
 * across threads is bit-identical to the product computed at once.
 */
export function gemmRange(
  ws: Workspace,
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Arr,
  B: Arr,
  beta: number,
  C: Arr,
  r0: number,
  r1: number,
  c0: number,
  c1: number,
): void {
  if (r1 <= r0 || c1 <= c0) return;
  if (alpha === 0 || K === 0) {
    scaleBlock(C, N, r0, r1, c0, c1, beta);
    return;
  }
  if (r1 - r0 < 4) {
    // Fewer rows than one panel: row-vector kernels (GEMV-like), no 4× wasted lanes.
    for (let i = r0; i < r1; i++) {
      const a = ws.float64(SLOT.row, K);
      if (transA) for (let k = 0; k < K; k++) a[k] = A[k * M + i];
      else for (let k = 0; k < K; k++) a[k] = A[i * K + k];
      if (transB) rowTimesTransposed(a, K, B, C, i * N, c0, c1, alpha, beta);
      else rowTimesMatrix(ws, a, K, N, B, C, i * N, c0, c1, alpha, beta);
    }
    return;
  }
  const colBlock = transB ? COL_BLOCK : c1 - c0;
  for (let jc = c0; jc < c1; jc += colBlock) {
    const width = Math.min(colBlock, c1 - jc);
    let R: Arr = B;
    let rOff = jc;
    let ldr = N;
    if (transB) {
      // R (K×width) ← columns jc.. of op(B) = Bᵀ, i.e. R[k, j] = B[jc + j, k].
      const T = ws.float64(SLOT.right, K * width);
      for (let j = 0; j < width; j++) {
        const src = (jc + j) * K;
        for (let k = 0; k < K; k++) T[k * width + j] = B[src + k];
      }
      R = T;
      rOff = 0;
      ldr = width;
    }
    for (let ic = r0; ic < r1; ic += ROW_BLOCK) {
      const rows = Math.min(ROW_BLOCK, r1 - ic);
      const L = ws.float64(SLOT.left, paddedRows(rows) * K);
      if (transA) packColumns(A, 0, M, ic, rows, K, L, 0);
      else packRows(A, ic * K, K, rows, K, L, 0);
      zeroPadding(rows, K, L);
      const scale = ws.float64(SLOT.scale, paddedRows(rows));
      scale.fill(alpha, 0, paddedRows(rows));
      packedMatmul(rows, K, L, R, rOff, ldr, C, ic * N + jc, N, width, scale, beta, null, null);
    }
  }
}

/**
 * C[cRow + c] ← alpha·Σ_k a[k]·B[k, c] (+ beta·C) for c0 ≤ c < c1, B row-major K×N.
 * Streams B row by row into a float64 accumulator row; k is unrolled by 4 with the
 * additions kept in sequence, so the summation order stays the canonical one.
 */
function rowTimesMatrix(ws: Workspace, a: Float64Array, K: number, N: number, B: Arr, C: Arr, cRow: number, c0: number, c1: number, alpha: number, beta: number): void {
  const w = c1 - c0;
  const acc = ws.float64(SLOT.acc, w);
  acc.fill(0, 0, w);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const a0 = a[k], a1 = a[k + 1], a2 = a[k + 2], a3 = a[k + 3];
    const b0 = k * N + c0, b1 = b0 + N, b2 = b1 + N, b3 = b2 + N;
    for (let j = 0; j < w; j++) acc[j] = acc[j] + a0 * B[b0 + j] + a1 * B[b1 + j] + a2 * B[b2 + j] + a3 * B[b3 + j];
  }
  for (; k < K; k++) {
    const ak = a[k];
    const b0 = k * N + c0;
    for (let j = 0; j < w; j++) acc[j] += ak * B[b0 + j];
  }
  const o = cRow + c0;
  if (beta === 0) for (let j = 0; j < w; j++) C[o + j] = alpha * acc[j];
  else for (let j = 0; j < w; j++) C[o + j] = alpha * acc[j] + beta * C[o + j];
}

/**
 * C[cRow + c] ← alpha·Σ_k a[k]·B[c, k] (+ beta·C) for c0 ≤ c < c1, B stored N×K
 * (op(B) = Bᵀ): dot products of contiguous rows, four output columns at a time.
 */
function rowTimesTransposed(a: Float64Array, K: number, B: Arr, C: Arr, cRow: number, c0: number, c1: number, alpha: number, beta: number): void {
  let c = c0;
  for (; c + 4 <= c1; c += 4) {
    const b0 = c * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let k = 0; k < K; k++) {
      const ak = a[k];
      s0 += ak * B[b0 + k];
      s1 += ak * B[b1 + k];
      s2 += ak * B[b2 + k];
      s3 += ak * B[b3 + k];
    }
    const o = cRow + c;
    if (beta === 0) {
      C[o] = alpha * s0; C[o + 1] = alpha * s1; C[o + 2] = alpha * s2; C[o + 3] = alpha * s3;
    } else {
      C[o] = alpha * s0 + beta * C[o];
      C[o + 1] = alpha * s1 + beta * C[o + 1];
      C[o + 2] = alpha * s2 + beta * C[o + 2];
      C[o + 3] = alpha * s3 + beta * C[o + 3];
    }
  }
  for (; c < c1; c++) {
    const b0 = c * K;
    let s = 0;
    for (let k = 0; k < K; k++) s += a[k] * B[b0 + k];
    const o = cRow + c;
    C[o] = beta === 0 ? alpha * s : alpha * s + beta * C[o];
  }
}

/** C[i, c] ← beta·C[i, c] on a block (0 when beta = 0, whatever C held). */
export function scaleBlock(C: Arr, ld: number, r0: number, r1: number, c0: number, c1: number, beta: number): void {
  if (beta === 1) return;
  for (let i = r0; i < r1; i++) {
    const o = i * ld;
    if (beta === 0) C.fill(0, o + c0, o + c1);
    else for (let c = c0; c < c1; c++) C[o + c] *= beta;
  }
}
