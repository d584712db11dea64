import type { Arr } from './dtype.ts';

/**
 * The state Jacobians J_t = ∂s_t/∂s_{t-1} of a batch, one n×n matrix per example, in the
 * form the cell knows them. Structured forms let a backend skip work (MATH.md §4.5):
 *
 * - `dense`: J_b stored in full, data[b][i][k] (B·n·n).
 * - `diag-shared`: J_b = diag(d_b)·W with W (n×n) shared by the batch (vanilla RNN).
 * - `lstm`: J_b = [[A_b, diag(D1_b)], [C_b, diag(D2_b)]] over s = [h; c], H = n/2:
 *   A = ∂h_t/∂h_{t-1}, C = ∂c_t/∂h_{t-1} (dense H×H), D1 = ∂h_t/∂c_{t-1},
 *   D2 = ∂c_t/∂c_{t-1} (diagonal).
 */
export type Jacobian =
  | { kind: 'dense'; batch: number; n: number; data: Arr }
  | { kind: 'diag-shared'; batch: number; n: number; d: Arr; W: Arr }
  | { kind: 'lstm'; batch: number; n: number; A: Arr; C: Arr; D1: Arr; D2: Arr };

/** J_b[i][k] for any form (slow; for tests and materialisation). */
export function jacobianEntry(J: Jacobian, b: number, i: number, k: number): number {
  const n = J.n;
  switch (J.kind) {
    case 'dense':
      return J.data[(b * n + i) * n + k];
    case 'diag-shared':
      return J.d[b * n + i] * J.W[i * n + k];
    case 'lstm': {
      const H = n / 2;
      if (i < H) {
        if (k < H) return J.A[(b * H + i) * H + k];
        return k - H === i ? J.D1[b * H + i] : 0;
      }
      const r = i - H;
      if (k < H) return J.C[(b * H + r) * H + k];
      return k - H === r ? J.D2[b * H + r] : 0;
    }
  }
}

/** Materialise any form as dense B×n×n into `out`. */
export function jacobianToDense(J: Jacobian, out: Arr): Arr {
  const { batch, n } = J;
  if (out.length !== batch * n * n) throw new Error(`jacobianToDense: out needs ${batch * n * n} elements, received ${out.length}`);
  if (J.kind === 'dense') {
    out.set(J.data);
    return out;
  }
  for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) out[(b * n + i) * n + k] = jacobianEntry(J, b, i, k);
  return out;
}
