import type { Model } from '../model/model.ts';
import { zerosLike, type ParamGroup } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { allocBuffer, kernels } from '../tensor/ops.ts';
import { checkOptions } from '../validate.ts';
import { COMMON_KEYS, checkFiniteArr } from './learner.ts';
import { OnlineLearner, type OnlineOptions } from './online.ts';

/**
 * Real-time recurrent learning: the exact gradient, online, through the influence matrix
 *   M_t = ∂s_t/∂Ψ = J_t·M_{t−1} + (∂s_t/∂Ψ)_loc,   ∂L/∂Ψ = Σ_t (∂L_t/∂s_t)·M_t,
 * per example (n × P, P = number of cell parameters). O(n²P) per example and step: the
 * "online and exact but expensive" reference for BP(λ).
 */
export type RtrlOptions = OnlineOptions;

export class RtrlLearner extends OnlineLearner {
  readonly method = 'rtrl';
  private readonly names: string[];
  private readonly P: number;
  private M!: [Arr, Arr];
  private cur = 0;
  private local!: Arr;
  private flat!: Float64Array;
  private unit!: Arr;
  private scratch!: ParamGroup;

  constructor(model: Model, opts: RtrlOptions) {
    checkOptions(opts, [...COMMON_KEYS, 'regime'], 'RtrlLearner');
    super(model, opts, 'RtrlLearner', 'rtrl');
    this.names = Object.keys(model.cell.params);
    this.P = this.names.reduce((a, k) => a + model.cell.params[k].size, 0);
  }

  protected prepare(B: number): () => void {
    const n = this.model.stateSize;
    const d = this.model.dtype;
    const P = this.P;
    const M: [Arr, Arr] = [allocBuffer(d, B * n * P), allocBuffer(d, B * n * P)];
    const local = alloc(d, B * n * P);
    const unit = alloc(d, B * n);
    return () => {
      this.M = M;
      this.local = local;
      this.unit = unit;
      this.flat = new Float64Array(P);
      this.scratch = zerosLike(this.model.cell.params);
    };
  }

  protected memoryNeeded(B: number): { bytes: number; what: string } {
    const n = this.model.stateSize;
    return { bytes: (this.model.dtype === 'float64' ? 8 : 4) * (3 * B * n * this.P + 6 * B * n), what: `influence matrices of ${B}·n·P values, n = ${n}, P = ${this.P}` };
  }

  protected restart(): void {
    this.cur = 0;
  }

  protected learn(t: number): { cell: boolean; synthesiser: boolean } {
    const { model, buf, P, grads } = this;
    const { cell } = model;
    const B = this.guard.batch;
    const n = model.stateSize;
    const c = buf.next;

    // (∂s_t/∂Ψ)_loc, row by row: the VJP of each unit vector e_{b,i}
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        this.unit.fill(0);
        this.unit[b * n + i] = 1;
        for (const k of this.names) this.scratch[k].data.fill(0);
        cell.vjpParams(c, this.unit, this.scratch, 1);
        let off = (b * n + i) * P;
        for (const k of this.names) {
          const s = this.scratch[k].data;
          for (let q = 0; q < s.length; q++) this.local[off++] = s[q];
        }
      }
    }
    // M_t = J_t·M_{t−1} + local
    const Mnext = this.M[1 - this.cur];
    if (buf.prev) kernels().jacobianMatmul(cell.jacobian(c), this.M[this.cur], Mnext, P, 1, 0);
    else Mnext.fill(0);
    for (let i = 0; i < this.local.length; i++) Mnext[i] += this.local[i];
    checkFiniteArr(Mnext, this.method, t, 'the influence matrix');

    // ∂L_t/∂Ψ = (1/B)·Σ_b (∂L_t/∂s_t)·M_t
    if (!buf.hasTarget) return { cell: false, synthesiser: false };
    this.flat.fill(0);
    kernels().gemm(false, false, 1, P, B * n, 1 / B, buf.dLds, Mnext, 0, this.flat);
    let off = 0;
    for (const k of this.names) {
      const gk = grads.cell[k].data;
      for (let q = 0; q < gk.length; q++) gk[q] = this.flat[off++];
    }
    return { cell: true, synthesiser: false };
  }

  protected commit(): void {
    this.cur = 1 - this.cur;
  }
}
