import type { Model, ModelGroups } from '../model/model.ts';
import { zeroGroup, zerosLike, type ParamGroup } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { allocBuffer, kernels } from '../tensor/ops.ts';
import { checkOneOf, checkOptions } from '../validate.ts';
import { StepBuffers } from './step-buffers.ts';
import { COMMON_KEYS, checkCommon, checkFiniteArr, checkFiniteGroups, DivergenceError, OnlineUpdates, StepGuard, zeroGrads, type CommonOptions, type Learner, type SequenceResult, type StepResult } from './learner.ts';

/**
 * Real-time recurrent learning: the exact gradient, online, through the influence matrix
 *   M_t = ∂s_t/∂Ψ = J_t·M_{t−1} + (∂s_t/∂Ψ)_loc,   ∂L/∂Ψ = Σ_t (∂L_t/∂s_t)·M_t,
 * per example (n × P, P = number of cell parameters). O(n²P) per example and step: the
 * "online and exact but expensive" reference for BP(λ).
 */
export interface RtrlOptions extends CommonOptions {
  regime?: 'per-step' | 'per-sequence';
}

export class RtrlLearner implements Learner {
  readonly method = 'rtrl';
  readonly regime: 'per-step' | 'per-sequence';
  private readonly guard: StepGuard;
  private readonly names: string[];
  private readonly P: number;
  private buf!: StepBuffers;
  private M!: [Arr, Arr];
  private cur = 0;
  private local!: Arr;
  private flat!: Float64Array;
  private unit!: Arr;
  private scratch!: ParamGroup;
  private stepGrads!: ModelGroups;
  private updates!: OnlineUpdates;

  constructor(
    readonly model: Model,
    private readonly opts: RtrlOptions,
  ) {
    checkOptions(opts, [...COMMON_KEYS, 'regime'], 'RtrlLearner');
    checkCommon(opts, 'RtrlLearner');
    this.regime = checkOneOf(opts.regime ?? 'per-step', ['per-step', 'per-sequence'] as const, 'RtrlLearner: regime');
    this.guard = new StepGuard(this.method, model);
    this.names = Object.keys(model.cell.params);
    this.P = this.names.reduce((a, k) => a + model.cell.params[k].size, 0);
  }

  reset(batchSize: number): void {
    this.guard.reset(batchSize);
    const B = batchSize;
    const n = this.model.stateSize;
    const d = this.model.dtype;
    this.buf = new StepBuffers(this.model, B, this.opts.loss);
    this.M = [allocBuffer(d, B * n * this.P), allocBuffer(d, B * n * this.P)];
    this.cur = 0;
    this.local = alloc(d, B * n * this.P);
    this.flat = new Float64Array(this.P);
    this.unit = alloc(d, B * n);
    this.scratch = zerosLike(this.model.cell.params);
    this.stepGrads = zeroGrads(this.model);
    this.updates = new OnlineUpdates(this.model, this.regime, this.opts.optimizer);
  }

  step(x: Arr, y: Arr | null, last = false): StepResult {
    this.guard.checkStep(x, y, last);
    const { model, buf, P } = this;
    const { cell } = model;
    const B = this.guard.batch;
    const n = model.stateSize;
    const t = this.guard.t;
    const grads = this.stepGrads;
    for (const g of Object.values(grads)) zeroGroup(g);

    const lossT = buf.forward(x, y);
    if (!Number.isFinite(lossT)) throw new DivergenceError(this.method, t, 'the loss');
    const c = buf.next;
    checkFiniteArr(c.s, this.method, t, 'the state s_t');

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

    // ∂L_t/∂Ψ = (1/B)·Σ_b (∂L_t/∂s_t)·M_t
    this.flat.fill(0);
    if (buf.hasTarget) {
      kernels().gemm(false, false, 1, P, B * n, 1 / B, buf.dLds, Mnext, 0, this.flat);
      model.readout.accumulateGrads(buf.dyhat, c.h, B, grads.readout, 1 / B);
    }
    let off = 0;
    for (const k of this.names) {
      const gk = grads.cell[k].data;
      for (let q = 0; q < gk.length; q++) gk[q] = this.flat[off++];
    }
    checkFiniteGroups(grads, this.method, t);
    checkFiniteArr(Mnext, this.method, t, 'the influence matrix');

    buf.commit();
    this.cur = 1 - this.cur;
    this.guard.advance(last);
    this.updates.commitStep(grads, lossT / B);
    return { loss: lossT / B };
  }

  end(): SequenceResult {
    this.guard.checkEnd();
    const { loss, grads } = this.updates.end();
    this.guard.close();
    return { loss, steps: this.guard.t, grads };
  }
}
