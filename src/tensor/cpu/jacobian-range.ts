import type { Arr } from '../dtype.ts';
import type { Jacobian } from '../jacobian.ts';
import { scaleBlock } from './gemm-range.ts';
import { packedMatmul, packRows, paddedRows, zeroPadding } from './packed-matmul.ts';
import { SLOT, type Workspace } from './workspace.ts';

/**
 * Examples b0..b1−1, columns c0..c1−1 of the trace kernel
 *   Y_b (n×cols) ← alpha·J_b·X_b + beta·Y_b
 * (X_b at X[b·n·cols ..], row k of X_b at offset k·cols). One packed-panel product per
 * example, using each form's structure (MATH.md §4.5):
 * - dense:       Y_b = alpha·J_b·X_b.
 * - diag-shared: Y_b = diag(alpha·d_b)·(W·X_b); W is packed once for all examples and
 *                rows with d_b[i] = 0 in a whole 4-row block are not computed.
 * - lstm:        [Y_h; Y_c] = alpha·([A_b; C_b]·X_h + [D1_b ⊙ X_c; D2_b ⊙ X_c]): one
 *                n×H product (half the flops of dense) plus the diagonal term folded into
 *                the same accumulators.
 */
export function jacobianMatmulRange(
  ws: Workspace,
  J: Jacobian,
  X: Arr,
  Y: Arr,
  cols: number,
  alpha: number,
  beta: number,
  b0: number,
  b1: number,
  c0: number,
  c1: number,
): void {
  const n = J.n;
  const per = n * cols;
  const width = c1 - c0;
  if (b1 <= b0 || width <= 0 || n === 0) return;
  if (alpha === 0) {
    // Y_b ← beta·Y_b without reading X (BLAS semantics of alpha = 0).
    for (let b = b0; b < b1; b++) scaleBlock(Y, cols, b * n, (b + 1) * n, c0, c1, beta);
    return;
  }
  const np = paddedRows(n);
  const scale = ws.float64(SLOT.scale, np);
  switch (J.kind) {
    case 'dense': {
      const L = ws.float64(SLOT.left, np * n);
      zeroPadding(n, n, L);
      scale.fill(alpha, 0, np);
      for (let b = b0; b < b1; b++) {
        packRows(J.data, b * n * n, n, n, n, L, 0);
        packedMatmul(n, n, L, X, b * per + c0, cols, Y, b * per + c0, cols, width, scale, beta, null, null);
      }
      return;
    }
    case 'diag-shared': {
      const L = ws.float64(SLOT.left, np * n);
      packRows(J.W, 0, n, n, n, L, 0);
      zeroPadding(n, n, L);
      scale.fill(0, n, np);
      for (let b = b0; b < b1; b++) {
        for (let i = 0; i < n; i++) scale[i] = alpha * J.d[b * n + i];
        packedMatmul(n, n, L, X, b * per + c0, cols, Y, b * per + c0, cols, width, scale, beta, null, null);
      }
      return;
    }
    case 'lstm': {
      const H = n >> 1;
      const L = ws.float64(SLOT.left, np * H);
      zeroPadding(n, H, L);
      scale.fill(alpha, 0, np);
      const diag = ws.float64(SLOT.diag, np);
      const diagRows = ws.int32(SLOT.diag, np);
      // Row i of the stacked product pairs with row H + (i mod H) of X (the c part).
      for (let i = 0; i < n; i++) diagRows[i] = H + (i < H ? i : i - H);
      for (let b = b0; b < b1; b++) {
        packRows(J.A, b * H * H, H, H, H, L, 0);
        packRows(J.C, b * H * H, H, H, H, L, H);
        for (let r = 0; r < H; r++) {
          diag[r] = J.D1[b * H + r];
          diag[H + r] = J.D2[b * H + r];
        }
        packedMatmul(n, H, L, X, b * per + c0, cols, Y, b * per + c0, cols, width, scale, beta, diag, diagRows);
      }
      return;
    }
  }
}
