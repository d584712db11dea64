import type { Arr } from '../dtype.ts';
import { jacobianDiagonal, jacobianLeft, jacobianRowScale, planJacobian, type Jacobian } from '../jacobian.ts';
import { scaleBlock } from './gemm-range.ts';
import { packedMatmul, packRows, paddedRows, zeroPadding } from './packed-matmul.ts';
import { SLOT, type Workspace } from './workspace.ts';

/**
 * Examples b0..b1−1, columns c0..c1−1 of the trace kernel
 *   Y_b (n×cols) ← alpha·J_b·X_b + beta·Y_b
 * (X_b at X[b·n·cols ..], row k of X_b at offset k·cols). One packed-panel product per
 * example, using the form's structure (MATH.md §4.5, jacobian.ts):
 * - dense:      Y_b = alpha·J_b·X_b.
 * - structured: the plan of `planJacobian`: a shared left operand packed once for all
 *               examples with per-example row scales (rows whose scales are zero in a whole
 *               4-row block are not computed), or a per-example materialised left operand
 *               over the first K rows of X_b; the diagonal term is folded into the same
 *               accumulators.
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
  if (J.kind === 'dense') {
    const L = ws.float64(SLOT.left, np * n);
    zeroPadding(n, n, L);
    scale.fill(alpha, 0, np);
    for (let b = b0; b < b1; b++) {
      packRows(J.data, b * n * n, n, n, n, L, 0);
      packedMatmul(n, n, L, X, b * per + c0, cols, Y, b * per + c0, cols, width, scale, beta, null, null);
    }
    return;
  }
  const plan = planJacobian(J);
  const K = plan.K;
  const L = ws.float64(SLOT.left, np * K);
  const rows = ws.float64(SLOT.rows, n * K);
  zeroPadding(n, K, L);
  scale.fill(0, n, np);
  const diag = plan.hasDiagonal ? ws.float64(SLOT.diag, np) : null;
  if (diag !== null) diag.fill(0, n, np);
  if (plan.shared) {
    jacobianLeft(J, plan, 0, rows);
    packRows(rows, 0, K, n, K, L, 0);
  }
  for (let b = b0; b < b1; b++) {
    if (!plan.shared) {
      jacobianLeft(J, plan, b, rows);
      packRows(rows, 0, K, n, K, L, 0);
    }
    jacobianRowScale(J, plan, b, alpha, scale);
    if (diag !== null) jacobianDiagonal(J, plan, b, diag);
    packedMatmul(n, K, L, X, b * per + c0, cols, Y, b * per + c0, cols, width, scale, beta, diag, diag === null ? null : plan.diagRows);
  }
}
