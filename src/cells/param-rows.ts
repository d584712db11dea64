import type { Arr } from '../tensor/dtype.ts';

/**
 * One parameter's share of a row of (∂s_t/∂Ψ)_loc products: its pre-activation gradients
 * `coef` (rows × G, one row per row vector) times an input the parameter multiplies (`input`:
 * batch × cols, the example's x_t or hidden input; null for a bias, which multiplies 1).
 */
export interface ParamSegment {
  readonly coef: Arr;
  /** G: the parameter's rows */
  readonly rows: number;
  readonly input: Arr | null;
  /** the input's width (1 for a bias) */
  readonly cols: number;
}

/**
 * out[r·P + …] = the flattened (row-major, in segment order) products coef_r ⊗ input_{b(r)} of
 * every segment, for rows r = b·R + i (R rows per example b): per-row parameter products,
 * unsummed over the batch (what RTRL's influence matrix is made of). P = Σ_segments rows·cols.
 */
export function writeParamRows(segments: readonly ParamSegment[], batch: number, R: number, out: Arr): void {
  let P = 0;
  for (const s of segments) P += s.rows * s.cols;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < R; i++) {
      const r = b * R + i;
      let o = r * P;
      for (const s of segments) {
        const c0 = r * s.rows;
        if (s.input === null) {
          for (let p = 0; p < s.rows; p++) out[o + p] = s.coef[c0 + p];
          o += s.rows;
          continue;
        }
        const x0 = b * s.cols;
        for (let p = 0; p < s.rows; p++) {
          const c = s.coef[c0 + p];
          for (let l = 0; l < s.cols; l++) out[o + l] = c * s.input[x0 + l];
          o += s.cols;
        }
      }
    }
  }
}

/** A grow-only float64 scratch (the pre-activation gradients of many rows at once). */
export class RowScratch {
  private buf = new Float64Array(0);

  get(length: number): Float64Array {
    if (this.buf.length < length) this.buf = new Float64Array(length);
    return this.buf;
  }
}
