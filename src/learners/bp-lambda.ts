import type { Model, ModelGroups } from '../model/model.ts';
import { zeroGroup } from '../tensor/params.ts';
import { allocBuffer } from '../tensor/ops.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { addAugmented, maxAbsFinite, TRACE_SAFE_BOUND, traceContract, traceMagnitudeBound, traceSize, traceUpdate, tdError } from '../kernels/trace.ts';
import { checkFinite, checkOneOf, checkOptions, checkPositive, checkUnit } from '../validate.ts';
import { StepBuffers } from './step-buffers.ts';
import {
  COMMON_KEYS,
  checkCommon,
  checkFiniteArr,
  checkFiniteGroups,
  DivergenceError,
  OnlineUpdates,
  StepGuard,
  zeroGrads,
  type CommonOptions,
  type Learner,
  type SequenceResult,
  type StepResult,
} from './learner.ts';

/**
 * Accumulate BP(λ) (MATH.md §4.3): online, forward only, no stored history. Per example,
 *   e_t = γλ·J_t·e_{t−1} + ∂g(s_t)/∂θ
 *   δ_t = (∂L_{t+1}/∂s_{t+1} + γ·g(s_{t+1}))·J_{t+1} − g(s_t)        (g(s_T) := 0)
 *   θ  ← θ + α·δ_t·e_t;   Ψ ← Ψ − α·(∂L_t/∂s_t + σ·g(s_t))·(∂s_t/∂Ψ)_loc.
 * The synthesiser gradient reported is −(1/B)·Σ_b δ_{t,b}·e_{t,b}. Regime `per-step` applies the
 * optimizer at every step (memory independent of T, works on unbounded streams); `per-sequence`
 * sums over the sequence and steps once at `end()`.
 */
export interface BpLambdaOptions extends CommonOptions {
  lambda: number;
  gamma: number;
  /** σ: scale of the synthetic gradient in the cell's learning signal (default 1) */
  sgScale?: number;
  regime?: 'per-step' | 'per-sequence';
  /** clip each per-step synthesiser gradient to this Frobenius norm, per tensor (the paper's code: 1) */
  synthClip?: number;
}

export const BP_LAMBDA_KEYS = [...COMMON_KEYS, 'lambda', 'gamma', 'sgScale', 'regime', 'synthClip'] as const;

export class BpLambdaLearner implements Learner {
  readonly method = 'bp-lambda';
  readonly lambda: number;
  readonly gamma: number;
  readonly sgScale: number;
  readonly regime: 'per-step' | 'per-sequence';
  readonly synthClip: number | undefined;
  private readonly guard: StepGuard;
  private buf!: StepBuffers;
  private traces!: [Arr, Arr];
  private traceCur = 0;
  /** an upper bound on max|e| of traces[traceCur] (finite, below TRACE_SAFE_BOUND) */
  private traceMax = 0;
  private g_prev!: Arr; // g(s_{t−1}) with the current θ
  private g_t!: Arr;
  private v!: Arr;
  private delta!: Arr;
  private aug!: Arr;
  private stepGrads!: ModelGroups;
  private updates!: OnlineUpdates;

  constructor(
    readonly model: Model,
    private readonly opts: BpLambdaOptions,
  ) {
    checkOptions(opts, BP_LAMBDA_KEYS, 'BpLambdaLearner');
    checkCommon(opts, 'BpLambdaLearner');
    this.lambda = checkUnit(opts.lambda, 'BpLambdaLearner: lambda');
    this.gamma = checkUnit(opts.gamma, 'BpLambdaLearner: gamma');
    this.sgScale = opts.sgScale === undefined ? 1 : checkFinite(opts.sgScale, 'BpLambdaLearner: sgScale');
    this.regime = checkOneOf(opts.regime ?? 'per-step', ['per-step', 'per-sequence'] as const, 'BpLambdaLearner: regime');
    this.synthClip = opts.synthClip === undefined ? undefined : checkPositive(opts.synthClip, 'BpLambdaLearner: synthClip');
    this.guard = new StepGuard(this.method, model);
  }

  /** g(s_t) of the last committed step (B×n): the synthetic gradient the cell received. */
  syntheticGrad(): Arr {
    return this.g_prev;
  }

  reset(batchSize: number): void {
    this.guard.reset(batchSize);
    const B = batchSize;
    const n = this.model.stateSize;
    const d = this.model.dtype;
    if (!this.buf || this.buf.batch !== B) {
      this.buf = new StepBuffers(this.model, B, this.opts.loss);
      const len = B * traceSize(n);
      // one allocation for both (a backend with its own memory can then place them together)
      const both = allocBuffer(d, 2 * len);
      this.traces = [both.subarray(0, len), both.subarray(len, 2 * len)];
      this.g_prev = alloc(d, B * n);
      this.g_t = alloc(d, B * n);
      this.v = alloc(d, B * n);
      this.delta = alloc(d, B * n);
      this.aug = alloc(d, n * (n + 1));
      this.stepGrads = zeroGrads(this.model);
      this.updates = new OnlineUpdates(this.model, this.regime, this.opts.optimizer);
    } else {
      this.buf.restart();
      this.updates.reset();
    }
    this.traceCur = 0;
    this.traceMax = 0;
  }

  step(x: Arr, y: Arr | null, last = false): StepResult {
    this.guard.checkStep(x, y, last);
    const { model, buf, gamma } = this;
    const { cell, synthesiser } = model;
    const B = this.guard.batch;
    const n = model.stateSize;
    const t = this.guard.t;
    const method = this.method;
    const grads = this.stepGrads;
    for (const g of Object.values(grads)) zeroGroup(g);

    // forward: s_t, ŷ_t, ∂L_t/∂s_t (candidate buffers; nothing committed yet)
    const lossT = buf.forward(x, y);
    if (!Number.isFinite(lossT)) throw new DivergenceError(method, t, 'the loss');
    const c = buf.next;
    checkFiniteArr(c.s, method, t, 'the state s_t');
    const g_t = this.g_t;
    if (last) g_t.fill(0);
    else synthesiser.forward(c.s, B, g_t);
    const J_t = cell.jacobian(c);

    const prev = buf.prev;
    if (prev) {
      // δ_{t−1} = (∂L_t/∂s_t + γ·g(s_t))·J_t − g(s_{t−1}), with g(s_{t−1}) under the current θ
      const v = this.v;
      for (let i = 0; i < v.length; i++) v[i] = buf.dLds[i] + gamma * g_t[i];
      cell.vjpState(c, v, v);
      synthesiser.forward(prev.s, B, this.g_prev);
      tdError(v, this.g_prev, this.delta);
      // synthesiser gradient −(1/B)·Σ_b δ_{t−1}·e_{t−1}
      this.aug.fill(0);
      traceContract(this.delta, this.traces[this.traceCur], B, n, -1 / B, this.aug);
      addAugmented(this.aug, n, grads.synthesiser.W.data, grads.synthesiser.b.data);
      if (this.synthClip !== undefined) clipPerTensor(grads.synthesiser, this.synthClip);
    }
    // e_t = γλ·J_t·e_{t−1} + ∂g(s_t)/∂θ (not needed after the terminal step)
    let traceMax = this.traceMax;
    if (!last) {
      const decay = prev ? gamma * this.lambda : 0;
      traceUpdate(J_t, this.traces[this.traceCur], this.traces[1 - this.traceCur], c.s, decay);
      // Finiteness of e_t: from a bound propagated through J_t when it proves it (O(B·n²)),
      // else by a scan of the trace (O(B·n³)), which also tightens the bound.
      traceMax = traceMagnitudeBound(J_t, c.s, decay, this.traceMax);
      if (!(traceMax < TRACE_SAFE_BOUND)) {
        const next = this.traces[1 - this.traceCur];
        traceMax = maxAbsFinite(next, next.length);
        if (Number.isNaN(traceMax)) throw new DivergenceError(method, t, 'the eligibility trace');
      }
    }

    // cell: learning signal ∂L_t/∂s_t + σ·g(s_t); readout: its true gradient
    const sig = this.v;
    for (let i = 0; i < sig.length; i++) sig[i] = buf.dLds[i] + this.sgScale * g_t[i];
    cell.vjpParams(c, sig, grads.cell, 1 / B);
    if (buf.hasTarget) model.readout.accumulateGrads(buf.dyhat, c.h, B, grads.readout, 1 / B);
    checkFiniteGroups(grads, method, t);

    // commit
    buf.commit();
    if (!last) {
      this.traceCur = 1 - this.traceCur;
      this.traceMax = traceMax;
    }
    this.g_prev.set(g_t);
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

/** Rescales each tensor of the group to Frobenius norm ≤ c. */
function clipPerTensor(group: ModelGroups['synthesiser'], c: number): void {
  for (const t of Object.values(group)) {
    let ss = 0;
    for (let i = 0; i < t.data.length; i++) ss += t.data[i] * t.data[i];
    const norm = Math.sqrt(ss);
    if (norm > c) for (let i = 0; i < t.data.length; i++) t.data[i] *= c / norm;
  }
}
