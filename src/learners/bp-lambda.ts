import type { Model } from '../model/model.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { addAugmented, tdError } from '../kernels/trace.ts';
import { checkInt, checkOneOf, checkOptions, checkPositive, checkUnit } from '../validate.ts';
import { clipToNorm } from '../norms.ts';
import { BlockedTrace, createEligibilityTrace, defaultTraceComputation, TRACE_COMPUTATIONS, traceMemory, type EligibilityTrace, type TraceComputation } from './eligibility-trace.ts';
import { numbers, type LearnerState, type SequenceHead, type StateReader } from './learner-state.ts';
import { applySyntheticOptions, COMMON_KEYS, DivergenceError, SYNTHETIC_KEYS, type SequenceResult, type SyntheticOptions } from './learner.ts';
import { OnlineLearner, type OnlineOptions } from './online.ts';
import { zeroRows, type StepRows } from '../data/step-rows.ts';

/**
 * Accumulate BP(λ) (docs/MATH.md §4.3): online, forward only, no stored history. Per example,
 *   e_t = γλ·J_t·e_{t−1} + ∂g(s_t)/∂θ
 *   δ_t = (∂L_{t+1}/∂s_{t+1} + γ·g(s_{t+1}))·J_{t+1} − g(s_t)        (g(s_T) := 0)
 *   θ  ← θ + α·δ_t·e_t;   Ψ ← Ψ − α·(∂L_t/∂s_t + σ·g(s_t))·(∂s_t/∂Ψ)_loc.
 * The synthesiser gradient reported is −(1/B)·Σ_b δ_{t,b}·e_{t,b}. Regime `per-step` applies the
 * optimizer at every step (memory independent of T, works on unbounded streams); `per-sequence`
 * sums over the sequence and steps once at `end()`. The trace is an EligibilityTrace object:
 * computation `traces` (e_t itself) or `blocked` (a folded trace and a window, §4.6), equal up
 * to rounding.
 */
export interface BpLambdaOptions extends OnlineOptions, SyntheticOptions {
  lambda: number;
  gamma: number;
  /** clip each per-step synthesiser gradient to this Frobenius norm, per tensor (the paper's code: 1) */
  synthClip?: number;
  /** how the eligibility trace is computed (default: 'blocked', or 'traces' for float32 states of n < 48; see defaultTraceComputation) */
  computation?: TraceComputation;
  /** K, the blocked computation's window between folds (default: the state size n) */
  traceWindow?: number;
}

export const BP_LAMBDA_KEYS = [...COMMON_KEYS, 'regime', 'lambda', 'gamma', ...SYNTHETIC_KEYS, 'synthClip', 'computation', 'traceWindow'] as const;

export class BpLambdaLearner extends OnlineLearner {
  readonly method = 'bp-lambda';
  readonly lambda: number;
  readonly gamma: number;
  readonly sgScale: number;
  readonly synthClip: number | undefined;
  readonly trace: EligibilityTrace;
  private readonly computation: TraceComputation;
  private readonly traceWindow: number | undefined;
  private g_prev!: Arr; // g(s_{t−1}) as the cell received it
  private g_t!: Arr;
  private v!: Arr;
  private delta!: Arr;
  private aug!: Arr;
  private recorded: Arr[] = [];

  constructor(model: Model, opts: BpLambdaOptions) {
    checkOptions(opts, BP_LAMBDA_KEYS, 'BpLambdaLearner');
    super(model, opts, 'BpLambdaLearner', 'bp-lambda');
    this.lambda = checkUnit(opts.lambda, 'BpLambdaLearner: lambda');
    this.gamma = checkUnit(opts.gamma, 'BpLambdaLearner: gamma');
    this.synthClip = opts.synthClip === undefined ? undefined : checkPositive(opts.synthClip, 'BpLambdaLearner: synthClip');
    const computation = checkOneOf(opts.computation ?? defaultTraceComputation(model.stateSize, model.dtype), TRACE_COMPUTATIONS, 'BpLambdaLearner: computation');
    if (opts.traceWindow !== undefined && computation !== 'blocked') throw new Error(`BpLambdaLearner: traceWindow: applies to computation "blocked" only, received computation ${JSON.stringify(computation)}`);
    this.traceWindow = opts.traceWindow === undefined ? undefined : checkInt(opts.traceWindow, 'BpLambdaLearner: traceWindow', 1);
    this.computation = computation;
    this.trace = createEligibilityTrace(computation, model.stateSize, model.dtype, this.gamma * this.lambda, this.traceWindow);
    // last: ρ changes the model (keeping its function), only once every option is valid
    this.sgScale = applySyntheticOptions(model, opts, 'BpLambdaLearner');
  }

  /** g(s_t) of the last committed step (B×n): the synthetic gradient the cell received. */
  syntheticGrad(): Arr {
    return this.g_prev;
  }

  protected prepare(B: number): () => void {
    const n = this.model.stateSize;
    const d = this.model.dtype;
    const installTrace = this.trace.prepare(B);
    const [g_prev, g_t, v, delta] = [0, 1, 2, 3].map(() => alloc(d, B * n));
    const aug = alloc(d, n * (n + 1));
    return () => {
      installTrace();
      [this.g_prev, this.g_t, this.v, this.delta, this.aug] = [g_prev, g_t, v, delta, aug];
    };
  }

  protected memoryNeeded(B: number): { bytes: number; what: string } {
    const n = this.model.stateSize;
    const bytes = traceMemory(this.computation, B, n, this.model.dtype === 'float64' ? 8 : 4, this.traceWindow);
    return { bytes, what: this.computation === 'traces' ? `eligibility traces of ${B}·n²(n+1) values, n = ${n}` : `the blocked trace's window and fold, n = ${n}` };
  }

  protected restart(): void {
    this.trace.reset();
    this.recorded = [];
  }

  protected learn(t: number, last: boolean, rows: StepRows | null): { cell: boolean; synthesiser: boolean } {
    const { model, buf, gamma, grads } = this;
    const { cell, synthesiser } = model;
    const B = this.guard.batch;
    const n = model.stateSize;
    const c = buf.next;
    const g_t = this.g_t;
    if (last) g_t.fill(0);
    else synthesiser.forward(c.s, B, g_t);
    if (rows !== null) {
      // g(s_{t,b}) := 0 where the episode ends here; nothing for an example that sits the step out
      zeroRows(g_t, rows.terminal, n);
      zeroRows(g_t, rows.held, n);
    }
    const J_t = cell.jacobian(c);

    const prev = buf.prev;
    if (prev) {
      // δ_{t−1} = (∂L_t/∂s_t + γ·g(s_t))·J_t − g(s_{t−1}), with g(s_{t−1}) under the current θ
      const v = this.v;
      for (let i = 0; i < v.length; i++) v[i] = buf.dLds[i] + gamma * g_t[i];
      cell.vjpState(c, v, v);
      synthesiser.forward(prev.s, B, this.delta);
      tdError(v, this.delta, this.delta);
      if (rows !== null) {
        // no TD error for an example that sits the step out, nor across an episode's start
        zeroRows(this.delta, rows.held, n);
        zeroRows(this.delta, rows.restart, n);
      }
      // synthesiser gradient −(ρ/B)·Σ_b δ_{t−1}·e_{t−1} (raw parameters, docs/MATH.md §4.8)
      this.aug.fill(0);
      this.trace.contract(this.delta, -synthesiser.targetScale / B, this.aug);
      addAugmented(this.aug, n, grads.synthesiser.W.data, grads.synthesiser.b.data);
      if (this.synthClip !== undefined) for (const g of Object.values(grads.synthesiser)) clipToNorm(g.data, this.synthClip);
    }
    // e_t = γλ·J_t·e_{t−1} + ∂g(s_t)/∂θ (not needed after the terminal step)
    if (!last && !this.trace.propose(J_t, c.s, rows)) throw new DivergenceError(this.method, t, 'the eligibility trace');

    // cell: learning signal ∂L_t/∂s_t + σ·g(s_t)
    const sig = this.v;
    for (let i = 0; i < sig.length; i++) sig[i] = buf.dLds[i] + this.sgScale * g_t[i];
    cell.vjpParams(c, sig, grads.cell, 1 / B);
    // a step that every example sits out (or only starts an episode at) gives a group nothing
    const held = rows === null ? 0 : rows.heldCount;
    const restarts = rows === null ? 0 : rows.restartCount;
    return { cell: held < B && (buf.hasTarget || (this.sgScale !== 0 && !last)), synthesiser: prev !== null && held + restarts < B };
  }

  protected commit(last: boolean): void {
    if (!last) this.trace.commit();
    this.g_prev.set(this.g_t);
    if (this.common.recordOutputs) this.recorded.push(this.g_t.slice() as Arr);
  }

  protected ruleConfig(): LearnerState['config'] {
    const K = this.trace instanceof BlockedTrace ? this.trace.windowLength : null;
    return { lambda: this.lambda, gamma: this.gamma, sgScale: this.sgScale, targetScale: this.model.synthesiser.targetScale, synthClip: this.synthClip ?? null, computation: this.computation, traceWindow: K };
  }

  protected ruleState(): unknown {
    return { gPrev: numbers(this.g_prev), recorded: this.common.recordOutputs ? this.recorded.map(numbers) : null, trace: this.trace.getState() };
  }

  protected readRule(v: unknown, r: StateReader, head: SequenceHead, path: string): () => void {
    const len = head.batch * this.model.stateSize;
    const o = r.object(v, path, ['gPrev', 'recorded', 'trace']);
    const gPrev = r.array(o.gPrev, `${path}.gPrev`, len);
    const recorded = this.common.recordOutputs ? r.list(o.recorded, `${path}.recorded`, head.t).map((a, t) => r.array(a, `${path}.recorded[${t}]`, len)) : o.recorded === null ? [] : r.fail(`${path}.recorded`, 'null (recordOutputs is off)', o.recorded);
    const installTrace = this.trace.readState(o.trace, r, head.batch, this.model.cell, `${path}.trace`);
    return () => {
      this.g_prev.set(gPrev);
      this.recorded = recorded;
      installTrace();
    };
  }

  protected override outputs(): Partial<SequenceResult> {
    return this.common.recordOutputs ? { syntheticGrads: this.recorded } : {};
  }
}

