import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import { kernels } from '../tensor/ops.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { sigmoid } from './activations.ts';
import { tanh } from '../math/index.ts';
import { writeParamRows } from './param-rows.ts';
import type { Cell, CellCache, CellDefinition } from './cell.ts';
import { CellBase } from './base.ts';
import { initUniform } from './init.ts';

/**
 * Ψ in PyTorch's nn.GRU layout, gate blocks r, z, n. The two biases stay apart: b_hn sits
 * inside r ⊙ (W_hn h + b_hn), so b_ih + b_hh would be a different cell.
 */
function gruShapes(I: number, H: number) {
  return { W_ih: [3 * H, I], W_hh: [3 * H, H], b_ih: [3 * H], b_hh: [3 * H] };
}

/**
 * GRU (Cho et al. 2014, in PyTorch's nn.GRU form) over the state s_t = h_t:
 *   r = σ(W_ir x + b_ir + W_hr h_{t−1} + b_hr),   z = σ(W_iz x + b_iz + W_hz h_{t−1} + b_hz),
 *   n = tanh(W_in x + b_in + r ⊙ q),  q = W_hn h_{t−1} + b_hn,
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.
 * Its state Jacobian (one H×H block, the gate blocks of W_hh as weights) is
 *   J_t = diag(z) + diag((h_{t−1} − n)⊙z(1−z))·W_hz + diag((1−z)(1−n²)⊙r)·W_hn
 *       + diag((1−z)(1−n²)⊙q⊙r(1−r))·W_hr.
 * With a_z, a_n, a_r those row scales, a row vector v on h_t reaches the pre-activations as
 *   da_n = v⊙(1−z)(1−n²),  da_z = v⊙a_z,  da_r = v⊙a_r;
 * the input side sees [da_r, da_z, da_n] (W_ih, b_ih), the hidden side [da_r, da_z, v⊙a_n]
 * (W_hh, b_hh; da_n⊙r = v⊙a_n), and v·J_t = v⊙z + [da_r, da_z, v⊙a_n]·W_hh.
 */
export interface GruCache extends CellCache {
  /** z, B×H: the diagonal of J_t */
  readonly z: Arr;
  /** (1 − z)(1 − n²), B×H: ∂h_t/∂(n's pre-activation) */
  readonly dn: Arr;
  /** a_z = (h_{t−1} − n)⊙z(1−z), B×H: the row scale of W_hz in J_t */
  readonly az: Arr;
  /** a_n = (1−z)(1−n²)⊙r, B×H: the row scale of W_hn */
  readonly an: Arr;
  /** a_r = (1−z)(1−n²)⊙q⊙r(1−r), B×H: the row scale of W_hr */
  readonly ar: Arr;
  /** scratch B×3H: input-side pre-activations, then their gradient */
  readonly gi: Arr;
  /** scratch B×3H: hidden-side pre-activations, then their gradient */
  readonly gh: Arr;
  /** scratch B×H */
  readonly u: Arr;
}

export class GruCell extends CellBase implements Cell<GruCache> {
  readonly type = 'gru';
  readonly options = {};

  constructor(inputSize: number, hiddenSize: number, dtype: DType = 'float64', params?: ParamGroup) {
    super('GruCell', inputSize, hiddenSize, hiddenSize, dtype, gruShapes(inputSize, hiddenSize), params);
  }

  createCache(batch: number): GruCache {
    const d = this.dtype;
    const BH = batch * this.hiddenSize;
    const s = alloc(d, BH);
    return {
      batch,
      x: alloc(d, batch * this.inputSize),
      sPrev: alloc(d, BH),
      s,
      h: s,
      z: alloc(d, BH),
      dn: alloc(d, BH),
      az: alloc(d, BH),
      an: alloc(d, BH),
      ar: alloc(d, BH),
      gi: alloc(d, 3 * BH),
      gh: alloc(d, 3 * BH),
      u: alloc(d, BH),
    };
  }

  /** h_t, and the local derivatives every later call reads (z, dn and the Jacobian's row scales). */
  forward(x: Arr, sPrev: Arr, c: GruCache): void {
    const B = c.batch;
    const H = this.hiddenSize;
    const I = this.inputSize;
    const { W_ih, W_hh, b_ih, b_hh } = this.params;
    c.x.set(x.subarray(0, B * I));
    c.sPrev.set(sPrev.subarray(0, B * H));
    const k = kernels();
    k.gemm(false, true, B, 3 * H, I, 1, c.x, W_ih.data, 0, c.gi);
    k.gemm(false, true, B, 3 * H, H, 1, c.sPrev, W_hh.data, 0, c.gh);
    const bi = b_ih.data;
    const bh = b_hh.data;
    for (let row = 0; row < B; row++) {
      const g = row * 3 * H;
      for (let j = 0; j < H; j++) {
        const r = sigmoid(c.gi[g + j] + bi[j] + c.gh[g + j] + bh[j]);
        const z = sigmoid(c.gi[g + H + j] + bi[H + j] + c.gh[g + H + j] + bh[H + j]);
        const q = c.gh[g + 2 * H + j] + bh[2 * H + j];
        const n = tanh(c.gi[g + 2 * H + j] + bi[2 * H + j] + r * q);
        const at = row * H + j;
        const hPrev = c.sPrev[at];
        const dn = (1 - z) * (1 - n * n);
        c.s[at] = (1 - z) * n + z * hPrev;
        c.z[at] = z;
        c.dn[at] = dn;
        c.az[at] = (hPrev - n) * z * (1 - z);
        c.an[at] = dn * r;
        c.ar[at] = dn * q * r * (1 - r);
      }
    }
  }

  /**
   * J_t in the structured form: one block of size H, weights = W_hh's gate blocks (0 = r,
   * 1 = z, 2 = n): diag(a_z)W_hz + diag(a_n)W_hn + diag(a_r)W_hr + diag(z).
   */
  jacobian(c: GruCache): Jacobian {
    const H = this.hiddenSize;
    return {
      kind: 'structured',
      batch: c.batch,
      n: H,
      block: H,
      weights: this.params.W_hh.data,
      terms: [
        { row: 0, col: 0, weight: 1, scale: c.az },
        { row: 0, col: 0, weight: 2, scale: c.an },
        { row: 0, col: 0, weight: 0, scale: c.ar },
      ],
      diagonals: [{ row: 0, col: 0, scale: c.z }],
    };
  }

  vjpState(c: GruCache, v: Arr, out: Arr): void {
    const BH = c.batch * this.hiddenSize;
    this.gateGrads(c, v);
    // u = gh·W_hh (B×3H · 3H×H); then out = v⊙z + u, reading v before writing out (they may alias)
    kernels().gemm(false, false, c.batch, this.hiddenSize, 3 * this.hiddenSize, 1, c.gh, this.params.W_hh.data, 0, c.u);
    for (let i = 0; i < BH; i++) out[i] = v[i] * c.z[i] + c.u[i];
  }

  vjpParams(c: GruCache, v: Arr, grads: ParamGroup, scale: number): void {
    const B = c.batch;
    const H = this.hiddenSize;
    this.gateGrads(c, v);
    const k = kernels();
    k.gemm(true, false, 3 * H, this.inputSize, B, scale, c.gi, c.x, 1, grads.W_ih.data);
    k.gemm(true, false, 3 * H, H, B, scale, c.gh, c.sPrev, 1, grads.W_hh.data);
    const gbi = grads.b_ih.data;
    const gbh = grads.b_hh.data;
    for (let row = 0; row < B; row++) {
      for (let p = 0; p < 3 * H; p++) {
        gbi[p] += scale * c.gi[row * 3 * H + p];
        gbh[p] += scale * c.gh[row * 3 * H + p];
      }
    }
  }

  hiddenToState(dh: Arr, out: Arr, batch: number): void {
    out.set(dh.subarray(0, batch * this.hiddenSize));
  }

  vjpParamsRows(c: GruCache, V: Arr, R: number, out: Arr): void {
    const H = this.hiddenSize;
    const rows = c.batch * R;
    const scratch = this.rowScratch.get(rows * 6 * H);
    const gi = scratch.subarray(0, rows * 3 * H);
    const gh = scratch.subarray(rows * 3 * H, rows * 6 * H);
    this.gateGradsRows(c, V, R, gi, gh);
    writeParamRows(
      [
        { coef: gi, rows: 3 * H, input: c.x, cols: this.inputSize },
        { coef: gh, rows: 3 * H, input: c.sPrev, cols: H },
        { coef: gi, rows: 3 * H, input: null, cols: 1 },
        { coef: gh, rows: 3 * H, input: null, cols: 1 },
      ],
      c.batch,
      R,
      out,
    );
  }

  /** gi = v⊙[a_r, a_z, dn] and gh = v⊙[a_r, a_z, a_n]: ∂(v·h_t)/∂(pre-activations), input and hidden side. */
  private gateGrads(c: GruCache, v: Arr): void {
    this.gateGradsRows(c, v, 1, c.gi, c.gh);
  }

  /** gateGrads for R row vectors per example (V: batch·R × H; gi, gh: batch·R × 3H). */
  private gateGradsRows(c: GruCache, V: Arr, R: number, gi: Arr, gh: Arr): void {
    const H = this.hiddenSize;
    for (let b = 0; b < c.batch; b++) {
      for (let q = 0; q < R; q++) {
        const row = b * R + q;
        const g = row * 3 * H;
        for (let j = 0; j < H; j++) {
          const at = b * H + j;
          const v = V[row * H + j];
          const dar = v * c.ar[at];
          const daz = v * c.az[at];
          gi[g + j] = dar;
          gi[g + H + j] = daz;
          gi[g + 2 * H + j] = v * c.dn[at];
          gh[g + j] = dar;
          gh[g + H + j] = daz;
          gh[g + 2 * H + j] = v * c.an[at];
        }
      }
    }
  }
}

/** The GRU's registry entry: `{ "type": "gru" }` in model JSON, no options. */
export const gruCell: CellDefinition<'gru', Record<never, string>> = {
  type: 'gru',
  description: 'GRU h_t = (1 − z)⊙n + z⊙h_{t−1}, gates r, z, n (PyTorch nn.GRU, biases b_ih and b_hh)',
  options: {},
  paramShapes: gruShapes,
  stateSize: (H) => H,
  create: (I, H, _o, dtype, params) => new GruCell(I, H, dtype, params),
  initialise: initUniform,
};
