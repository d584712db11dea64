import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import { kernels } from '../tensor/ops.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { ParamGroup } from '../model/params.ts';
import { tanh } from '../math/index.ts';
import { sigmoid } from './activations.ts';
import type { Cell, CellCache } from './cell.ts';

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
  /** Jacobian blocks (filled by `jacobian`) */
  readonly A: Arr;
  readonly C: Arr;
  readonly D1: Arr;
  readonly D2: Arr;
  /** scratch: pre-activation gradient B×4H */
  readonly dz: Arr;
  /** scratch: B×H */
  readonly dc: Arr;
}

export class LstmCell implements Cell<LstmCache> {
  readonly type = 'lstm' as const;
  readonly activation = null;
  readonly stateSize: number;
  readonly params: ParamGroup;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly dtype: DType = 'float64',
    params?: ParamGroup,
  ) {
    this.stateSize = 2 * hiddenSize;
    this.params = params ?? {
      W_ih: Tensor.zeros([4 * hiddenSize, inputSize], dtype),
      W_hh: Tensor.zeros([4 * hiddenSize, hiddenSize], dtype),
      b: Tensor.zeros([4 * hiddenSize], dtype),
    };
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
      A: alloc(d, batch * H * H),
      C: alloc(d, batch * H * H),
      D1: alloc(d, batch * H),
      D2: alloc(d, batch * H),
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

  jacobian(c: LstmCache): Jacobian {
    const B = c.batch;
    const H = this.hiddenSize;
    const n = 2 * H;
    const W = this.params.W_hh.data; // 4H×H: rows [i; f; g; o]
    const G = c.gates;
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
        const rowI = j * H;
        const rowF = (H + j) * H;
        const rowG = (2 * H + j) * H;
        const rowO = (3 * H + j) * H;
        const out = (r * H + j) * H;
        for (let q = 0; q < H; q++) {
          const dcdh = ai * W[rowI + q] + af * W[rowF + q] + ag * W[rowG + q];
          c.C[out + q] = dcdh;
          c.A[out + q] = ao * W[rowO + q] + oc * dcdh;
        }
        c.D1[r * H + j] = oc * f;
        c.D2[r * H + j] = f;
      }
    }
    return { kind: 'lstm', batch: B, n, A: c.A, C: c.C, D1: c.D1, D2: c.D2 };
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

  /** dz = ∂(v·s_t)/∂z (pre-activation gates) and dc = effective cell signal, from v = [v_h, v_c]. */
  private gateGrads(c: LstmCache, v: Arr): void {
    const B = c.batch;
    const H = this.hiddenSize;
    const n = 2 * H;
    const G = c.gates;
    for (let r = 0; r < B; r++) {
      const gr = r * 4 * H;
      for (let j = 0; j < H; j++) {
        const i = G[gr + j];
        const f = G[gr + H + j];
        const g = G[gr + 2 * H + j];
        const o = G[gr + 3 * H + j];
        const kt = c.k[r * H + j];
        const vh = v[r * n + j];
        const vc = v[r * n + H + j];
        const dc = vc + vh * o * (1 - kt * kt);
        const cPrev = c.sPrev[r * n + H + j];
        c.dc[r * H + j] = dc;
        c.dz[gr + j] = dc * g * i * (1 - i);
        c.dz[gr + H + j] = dc * cPrev * f * (1 - f);
        c.dz[gr + 2 * H + j] = dc * i * (1 - g * g);
        c.dz[gr + 3 * H + j] = vh * kt * o * (1 - o);
      }
    }
  }
}
