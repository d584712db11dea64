import { alloc, type Arr } from '../tensor/dtype.ts';
import type { Jacobian, StructuredJacobian } from '../tensor/jacobian.ts';
import { kernels } from '../tensor/ops.ts';

/**
 * Row vectors times state Jacobians, per example (docs/MATH.md §2):
 *
 *   out_b (R×n) = V_b (R×n) · J_b          for b = 0..batch−1,
 *
 * V and out hold the batch contiguously (batch·R·n values, row r of example b at (b·R + r)·n).
 * R = 1 is the BPTT step (a state gradient carried back through J_t); R = n builds products
 * of Jacobians row by row (Φ(t, τ−1) = Φ(t, τ)·J_τ in the blocked trace).
 *
 * For a structured J every term diag(d_b)·W_w in block (r, c) contributes
 * (V_b[:, r] ⊙ d_b)·W_w to out_b[:, c]; the terms that read one column block are summed into
 * one operand U (batch·R × P·m, the scaled rows side by side, one m-wide slot per weight) and
 * multiplied by the stacked weights in one product. Diagonals add V_b[:, r] ⊙ d_b.
 * Cost: one (batch·R × P·m)·(P·m × m) product per column block, plus O(batch·R·n·terms).
 * A dense J costs one R×n·n×n product per example. `out` must not overlap V.
 */
export class JacobianVjp {
  private U: Arr = new Float64Array(0);
  private P: Arr = new Float64Array(0);

  apply(J: Jacobian, V: Arr, rows: number, out: Arr): void {
    const { batch, n } = J;
    if (J.kind === 'dense') {
      const k = kernels();
      for (let b = 0; b < batch; b++) {
        const o = b * rows * n;
        k.gemm(false, false, rows, n, n, 1, V.subarray(o, o + rows * n), J.data.subarray(b * n * n, (b + 1) * n * n), 0, out.subarray(o, o + rows * n));
      }
      return;
    }
    out.fill(0, 0, batch * rows * n);
    const m = J.block;
    const blocks = n / m;
    for (let c = 0; c < blocks; c++) this.column(J, V, rows, out, c);
    for (const q of J.diagonals) {
      for (let b = 0; b < batch; b++) {
        for (let r = 0; r < rows; r++) {
          const v = (b * rows + r) * n;
          for (let i = 0; i < m; i++) out[v + q.col * m + i] += V[v + q.row * m + i] * q.scale[b * m + i];
        }
      }
    }
  }

  /** out[:, block c] += Σ_{terms reading block c} (V[:, row] ⊙ scale)·W_weight, as one product. */
  private column(J: StructuredJacobian, V: Arr, rows: number, out: Arr, c: number): void {
    const { batch, n } = J;
    const m = J.block;
    let w0 = Infinity;
    let w1 = -1;
    for (const q of J.terms) {
      if (q.col !== c) continue;
      w0 = Math.min(w0, q.weight);
      w1 = Math.max(w1, q.weight);
    }
    if (w1 < 0) return;
    const slots = w1 - w0 + 1;
    const R = batch * rows;
    const width = slots * m;
    const U = this.scratchU(R * width);
    U.fill(0, 0, R * width);
    for (const q of J.terms) {
      if (q.col !== c) continue;
      const slot = (q.weight - w0) * m;
      for (let b = 0; b < batch; b++) {
        for (let r = 0; r < rows; r++) {
          const u = (b * rows + r) * width + slot;
          const v = (b * rows + r) * n + q.row * m;
          for (let i = 0; i < m; i++) U[u + i] += V[v + i] * q.scale[b * m + i];
        }
      }
    }
    const prod = this.scratchP(R * m);
    kernels().gemm(false, false, R, m, width, 1, U, J.weights.subarray(w0 * m * m, (w1 + 1) * m * m), 0, prod);
    for (let r = 0; r < R; r++) for (let i = 0; i < m; i++) out[r * n + c * m + i] += prod[r * m + i];
  }

  private scratchU(length: number): Arr {
    if (this.U.length < length) this.U = alloc('float64', length);
    return this.U;
  }

  private scratchP(length: number): Arr {
    if (this.P.length < length) this.P = alloc('float64', length);
    return this.P;
  }
}
