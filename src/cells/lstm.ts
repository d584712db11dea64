import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import { kernels } from '../tensor/ops.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { tanh } from '../math/index.ts';
import { sigmoid } from './activations.ts';
import { writeParamRows } from './param-rows.ts';
import type { Cell, CellCache, CellDefinition } from './cell.ts';
import { CellBase } from './base.ts';
import { initUniform } from './init.ts';

/** Ψ in PyTorch layout (nn.LSTM with one bias b = b_ih + b_hh), gate blocks i, f, g, o. */
function lstmShapes(I: number, H: number) {
  return { W_ih: [4 * H, I], W_hh: [4 * H, H], b: [4 * H] };
}

/**
 * LSTM over the state s_t = [h_t; c_t] (gate order i, f, g, o; PyTorch layout, one bias):
 *   z = W_ih x_t + W_hh h_{t-1} + b;  c_t = f⊙c_{t-1} + i⊙g;  h_t = o⊙tanh(c_t).
 * With k = tanh(c_t), the exact state Jacobian (MATH.md §2) is
 *   ∂c_t/∂h_{t-1} = diag(g⊙i(1−i))W^i + diag(c_{t-1}⊙f(1−f))W^f + diag(i⊙(1−g²))W^g
 *   ∂h_t/∂h_{t-1} = diag(k⊙o(1−o))W^o + diag(o⊙(1−k²))·∂c_t/∂h_{t-1}   (the output-gate path included)
 *   ∂h_t/∂c_{t-1} = diag(o⊙(1−k²)⊙f),  ∂c_t/∂c_{t-1} = diag(f).
 * A row vector v = [v_h, v_c] on s_t reaches the gates through the effective cell signal
 * dc = v_c + v_h⊙o⊙(1−k²) and the output-gate signal v_h⊙k.
 */
export interface LstmCache extends CellCache {
  /** gates after their nonlinearity, B×4H in order i, f, g, o */
  readonly gates: Arr;
  /** tanh(c_t), B×H */
  readonly k: Arr;
  /** h_{t-1}, B×H (contiguous copy for the products) */
  readonly hPrev: Arr;
  /** the state Jacobian's row scales (filled by `jacobian`): 9 arrays of B×H, see `jacobian` */
  readonly jscale: Arr;
  /** scratch: pre-activation gradient B×4H */
  readonly dz: Arr;
  /** scratch: B×H */
  readonly dc: Arr;
}

export class LstmCell extends CellBase implements Cell<LstmCache> {
  readonly type = 'lstm';
  readonly options = {};

  constructor(inputSize: number, hiddenSize: number, dtype: DType = 'float64', params?: ParamGroup) {
    super('LstmCell', inputSize, hiddenSize, 2 * hiddenSize, dtype, lstmShapes(inputSize, hiddenSize), params);
  }

  createCache(batch: number): LstmCache {
    const H = this.hiddenSize;
    const d = this.dtype;
    return {
      batch,
      x: alloc(d, batch * this.inputSize),
      sPrev: alloc(d, batch * 2 * H),
      s: alloc(d, batch * 2 * H),
      h: alloc(d, batch * H),
      gates: alloc(d, batch * 4 * H),
      k: alloc(d, batch * H),
      hPrev: alloc(d, batch * H),
      jscale: alloc(d, 9 * batch * H),
      dz: alloc(d, batch * 4 * H),
      dc: alloc(d, batch * H),
    };
  }

  forward(x: Arr, sPrev: Arr, c: LstmCache): void {
    const B = c.batch;
    const H = this.hiddenSize;
    const I = this.inputSize;
    const n = 2 * H;
    const { W_ih, W_hh, b } = this.params;
    c.x.set(x.subarray(0, B * I));
    c.sPrev.set(sPrev.subarray(0, B * n));
    for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) c.hPrev[r * H + j] = c.sPrev[r * n + j];
    const z = c.gates;
    const kr = kernels();
    kr.gemm(false, true, B, 4 * H, I, 1, c.x, W_ih.data, 0, z);
    kr.gemm(false, true, B, 4 * H, H, 1, c.hPrev, W_hh.data, 1, z);
    for (let r = 0; r < B; r++) {
      const zr = r * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = sigmoid(z[zr + j] + b.data[j]);
        const f = sigmoid(z[zr + H + j] + b.data[H + j]);
        const g = tanh(z[zr + 2 * H + j] + b.data[2 * H + j]);
        const o = sigmoid(z[zr + 3 * H + j] + b.data[3 * H + j]);
        z[zr + j] = i;
        z[zr + H + j] = f;
        z[zr + 2 * H + j] = g;
        z[zr + 3 * H + j] = o;
        const cPrev = c.sPrev[r * n + H + j];
        const ct = f * cPrev + i * g;
        const kt = tanh(ct);
        const ht = o * kt;
        c.k[r * H + j] = kt;
        c.h[r * H + j] = ht;
        c.s[r * n + j] = ht;
        c.s[r * n + H + j] = ct;
      }
    }
  }

  /**
   * J_t in the structured form over the blocks [h; c] (block size H) and the gate blocks of
   * W_hh (0 = i, 1 = f, 2 = g, 3 = o), with a_i = g⊙i(1−i), a_f = c_{t−1}⊙f(1−f),
   * a_g = i⊙(1−g²), a_o = k⊙o(1−o), o_c = o⊙(1−k²):
   *   ∂h_t/∂h_{t−1} = diag(a_o)W^o + diag(o_c⊙a_i)W^i + diag(o_c⊙a_f)W^f + diag(o_c⊙a_g)W^g
   *   ∂c_t/∂h_{t−1} = diag(a_i)W^i + diag(a_f)W^f + diag(a_g)W^g
   *   ∂h_t/∂c_{t−1} = diag(o_c⊙f),   ∂c_t/∂c_{t−1} = diag(f).
   */
  jacobian(c: LstmCache): Jacobian {
    const B = c.batch;
    const H = this.hiddenSize;
    const n = 2 * H;
    const G = c.gates;
    const S = c.jscale;
    const BH = B * H;
    const scale = (q: number): Arr => S.subarray(q * BH, (q + 1) * BH);
    for (let r = 0; r < B; r++) {
      const gr = r * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = G[gr + j];
        const f = G[gr + H + j];
        const g = G[gr + 2 * H + j];
        const o = G[gr + 3 * H + j];
        const kt = c.k[r * H + j];
        const cPrev = c.sPrev[r * n + H + j];
        const ai = g * i * (1 - i);
        const af = cPrev * f * (1 - f);
        const ag = i * (1 - g * g);
        const ao = kt * o * (1 - o);
        const oc = o * (1 - kt * kt);
        const at = r * H + j;
        S[at] = ao;
        S[BH + at] = oc * ai;
        S[2 * BH + at] = oc * af;
        S[3 * BH + at] = oc * ag;
        S[4 * BH + at] = ai;
        S[5 * BH + at] = af;
        S[6 * BH + at] = ag;
        S[7 * BH + at] = oc * f;
        S[8 * BH + at] = f;
      }
    }
    return {
      kind: 'structured',
      batch: B,
      n,
      block: H,
      weights: this.params.W_hh.data,
      terms: [
        { row: 0, col: 0, weight: 3, scale: scale(0) },
        { row: 0, col: 0, weight: 0, scale: scale(1) },
        { row: 0, col: 0, weight: 1, scale: scale(2) },
        { row: 0, col: 0, weight: 2, scale: scale(3) },
        { row: 1, col: 0, weight: 0, scale: scale(4) },
        { row: 1, col: 0, weight: 1, scale: scale(5) },
        { row: 1, col: 0, weight: 2, scale: scale(6) },
      ],
      diagonals: [
        { row: 0, col: 1, scale: scale(7) },
        { row: 1, col: 1, scale: scale(8) },
      ],
    };
  }

  vjpState(c: LstmCache, v: Arr, out: Arr): void {
    const B = c.batch;
    const H = this.hiddenSize;
    const n = 2 * H;
    this.gateGrads(c, v);
    // out_c = dc⊙f and out_h = dz·W_hh; dz and dc are scratch, so out may alias v.
    for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) out[r * n + H + j] = c.dc[r * H + j] * c.gates[r * 4 * H + H + j];
    // dz (B×4H) · W_hh (4H×H) → h part, via the dc scratch (no longer needed)
    kernels().gemm(false, false, B, H, 4 * H, 1, c.dz, this.params.W_hh.data, 0, c.dc);
    for (let r = 0; r < B; r++) for (let q = 0; q < H; q++) out[r * n + q] = c.dc[r * H + q];
  }

  vjpParams(c: LstmCache, v: Arr, grads: ParamGroup, scale: number): void {
    const B = c.batch;
    const H = this.hiddenSize;
    this.gateGrads(c, v);
    const kr = kernels();
    kr.gemm(true, false, 4 * H, this.inputSize, B, scale, c.dz, c.x, 1, grads.W_ih.data);
    kr.gemm(true, false, 4 * H, H, B, scale, c.dz, c.hPrev, 1, grads.W_hh.data);
    const gb = grads.b.data;
    for (let r = 0; r < B; r++) for (let p = 0; p < 4 * H; p++) gb[p] += scale * c.dz[r * 4 * H + p];
  }

  hiddenToState(dh: Arr, out: Arr, batch: number): void {
    const H = this.hiddenSize;
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < H; j++) {
        out[r * 2 * H + j] = dh[r * H + j];
        out[r * 2 * H + H + j] = 0;
      }
    }
  }

  vjpParamsRows(c: LstmCache, V: Arr, R: number, out: Arr): void {
    const H = this.hiddenSize;
    const rows = c.batch * R;
    const scratch = this.rowScratch.get(rows * 5 * H);
    const dz = scratch.subarray(0, rows * 4 * H);
    this.gateGradsRows(c, V, R, dz, scratch.subarray(rows * 4 * H, rows * 5 * H));
    writeParamRows(
      [
        { coef: dz, rows: 4 * H, input: c.x, cols: this.inputSize },
        { coef: dz, rows: 4 * H, input: c.hPrev, cols: H },
        { coef: dz, rows: 4 * H, input: null, cols: 1 },
      ],
      c.batch,
      R,
      out,
    );
  }

  /** dz = ∂(v·s_t)/∂z (pre-activation gates) and dc = effective cell signal, from v = [v_h, v_c]. */
  private gateGrads(c: LstmCache, v: Arr): void {
    this.gateGradsRows(c, v, 1, c.dz, c.dc);
  }

  /** gateGrads for R row vectors per example (V: batch·R × n; dz: batch·R × 4H, dc: batch·R × H). */
  private gateGradsRows(c: LstmCache, V: Arr, R: number, dz: Arr, dcOut: Arr): void {
    const B = c.batch;
    const H = this.hiddenSize;
    const n = 2 * H;
    const G = c.gates;
    for (let b = 0; b < B; b++) {
      const gb = b * 4 * H;
      for (let q = 0; q < R; q++) {
        const row = b * R + q;
        const gr = row * 4 * H;
        for (let j = 0; j < H; j++) {
          const i = G[gb + j];
          const f = G[gb + H + j];
          const g = G[gb + 2 * H + j];
          const o = G[gb + 3 * H + j];
          const kt = c.k[b * H + j];
          const vh = V[row * n + j];
          const vc = V[row * n + H + j];
          const dc = vc + vh * o * (1 - kt * kt);
          const cPrev = c.sPrev[b * n + H + j];
          dcOut[row * H + j] = dc;
          dz[gr + j] = dc * g * i * (1 - i);
          dz[gr + H + j] = dc * cPrev * f * (1 - f);
          dz[gr + 2 * H + j] = dc * i * (1 - g * g);
          dz[gr + 3 * H + j] = vh * kt * o * (1 - o);
        }
      }
    }
  }
}

/** The LSTM's registry entry: `{ "type": "lstm" }` in model JSON, no options. */
export const lstmCell: CellDefinition<'lstm', Record<never, string>> = {
  type: 'lstm',
  description: 'LSTM over s = [h; c], gates i, f, g, o (PyTorch nn.LSTM, one bias)',
  options: {},
  paramShapes: lstmShapes,
  stateSize: (H) => 2 * H,
  create: (I, H, _o, dtype, params) => new LstmCell(I, H, dtype, params),
  initialise: initUniform,
};
