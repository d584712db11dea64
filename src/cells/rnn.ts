import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import { kernels } from '../tensor/ops.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { activate, activationGrad, ACTIVATIONS, type Activation } from './activations.ts';
import { writeParamRows } from './param-rows.ts';
import type { Cell, CellCache, CellDefinition } from './cell.ts';
import { CellBase } from './base.ts';
import { initUniform } from './init.ts';

/** Ψ in PyTorch layout (nn.RNN with one bias b = b_ih + b_hh). */
function rnnShapes(I: number, H: number) {
  return { W_ih: [H, I], W_hh: [H, H], b: [H] };
}

/**
 * Vanilla RNN: a_t = W_ih x_t + W_hh h_{t-1} + b, h_t = φ(a_t), s_t = h_t.
 *   J_t = diag(φ'(a_t))·W_hh
 *   v·(∂h_t/∂W_ih)_loc = (v ⊙ φ'(a_t))ᵀ x_tᵀ, likewise W_hh with h_{t-1}, b with 1.
 */
export interface RnnCache extends CellCache {
  /** φ'(a_t), B×H */
  readonly dphi: Arr;
  /** scratch B×H */
  readonly u: Arr;
}

export class RnnCell extends CellBase implements Cell<RnnCache> {
  readonly type = 'rnn';
  readonly options: { readonly activation: Activation };

  constructor(
    inputSize: number,
    hiddenSize: number,
    readonly activation: Activation,
    dtype: DType = 'float64',
    params?: ParamGroup,
  ) {
    super('RnnCell', inputSize, hiddenSize, hiddenSize, dtype, rnnShapes(inputSize, hiddenSize), params);
    this.options = { activation };
  }

  createCache(batch: number): RnnCache {
    const H = this.hiddenSize;
    const s = alloc(this.dtype, batch * H);
    return {
      batch,
      x: alloc(this.dtype, batch * this.inputSize),
      sPrev: alloc(this.dtype, batch * H),
      s,
      h: s,
      dphi: alloc(this.dtype, batch * H),
      u: alloc(this.dtype, batch * H),
    };
  }

  forward(x: Arr, sPrev: Arr, c: RnnCache): void {
    const { batch: B } = c;
    const H = this.hiddenSize;
    const I = this.inputSize;
    const { W_ih, W_hh, b } = this.params;
    c.x.set(x.subarray(0, B * I));
    c.sPrev.set(sPrev.subarray(0, B * H));
    const a = c.dphi; // a_t first, overwritten by φ'(a_t) below
    const k = kernels();
    k.gemm(false, true, B, H, I, 1, c.x, W_ih.data, 0, a);
    k.gemm(false, true, B, H, H, 1, c.sPrev, W_hh.data, 1, a);
    const act = this.activation;
    for (let r = 0; r < B; r++) {
      for (let j = 0; j < H; j++) {
        const idx = r * H + j;
        const aj = a[idx] + b.data[j];
        const hj = activate(act, aj);
        c.s[idx] = hj;
        a[idx] = activationGrad(act, aj, hj);
      }
    }
  }

  jacobian(c: RnnCache): Jacobian {
    // one block: diag(φ'(a_t))·W_hh
    const H = this.hiddenSize;
    return { kind: 'structured', batch: c.batch, n: H, block: H, weights: this.params.W_hh.data, terms: [{ row: 0, col: 0, weight: 0, scale: c.dphi }], diagonals: [] };
  }

  vjpState(c: RnnCache, v: Arr, out: Arr): void {
    const H = this.hiddenSize;
    const u = this.scaled(c, v);
    kernels().gemm(false, false, c.batch, H, H, 1, u, this.params.W_hh.data, 0, out);
  }

  vjpParams(c: RnnCache, v: Arr, grads: ParamGroup, scale: number): void {
    const { batch: B } = c;
    const H = this.hiddenSize;
    const u = this.scaled(c, v);
    const k = kernels();
    k.gemm(true, false, H, this.inputSize, B, scale, u, c.x, 1, grads.W_ih.data);
    k.gemm(true, false, H, H, B, scale, u, c.sPrev, 1, grads.W_hh.data);
    const gb = grads.b.data;
    for (let r = 0; r < B; r++) for (let j = 0; j < H; j++) gb[j] += scale * u[r * H + j];
  }

  vjpParamsRows(c: RnnCache, V: Arr, R: number, out: Arr): void {
    const H = this.hiddenSize;
    const u = this.rowScratch.get(c.batch * R * H);
    // u_{b,i} = V_{b,i} ⊙ φ'(a_{t,b}); then u⊗x_t, u⊗h_{t−1}, u
    for (let b = 0; b < c.batch; b++) for (let i = 0; i < R; i++) for (let j = 0; j < H; j++) u[(b * R + i) * H + j] = V[(b * R + i) * H + j] * c.dphi[b * H + j];
    writeParamRows(
      [
        { coef: u, rows: H, input: c.x, cols: this.inputSize },
        { coef: u, rows: H, input: c.sPrev, cols: H },
        { coef: u, rows: H, input: null, cols: 1 },
      ],
      c.batch,
      R,
      out,
    );
  }

  hiddenToState(dh: Arr, out: Arr, batch: number): void {
    out.set(dh.subarray(0, batch * this.hiddenSize));
  }

  /** u = v ⊙ φ'(a_t) */
  private scaled(c: RnnCache, v: Arr): Arr {
    const len = c.batch * this.hiddenSize;
    for (let i = 0; i < len; i++) c.u[i] = v[i] * c.dphi[i];
    return c.u;
  }
}

/** The vanilla RNN's registry entry: `{ "type": "rnn", "activation": … }` in model JSON. */
export const rnnCell: CellDefinition<'rnn', { activation: Activation }> = {
  type: 'rnn',
  description: 'vanilla RNN h_t = φ(W_ih x_t + W_hh h_{t−1} + b) (PyTorch nn.RNN, one bias)',
  options: { activation: { values: ACTIVATIONS, default: 'tanh', help: `φ: ${ACTIVATIONS.join(' | ')}` } },
  paramShapes: rnnShapes,
  stateSize: (H) => H,
  create: (I, H, o, dtype, params) => new RnnCell(I, H, o.activation, dtype, params),
  initialise: initUniform,
};
