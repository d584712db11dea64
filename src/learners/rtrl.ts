import type { Model } from '../model/model.ts';
import { checkInt, checkOneOf, checkOptions } from '../validate.ts';
import { defaultTraceWindow, TRACE_COMPUTATIONS, type TraceComputation } from './eligibility-trace.ts';
import { BlockedInfluence, FullInfluence, type InfluenceMatrix } from './influence.ts';
import { COMMON_KEYS, DivergenceError } from './learner.ts';
import { OnlineLearner, type OnlineOptions } from './online.ts';
import type { StepRows } from '../data/step-rows.ts';
import type { LearnerState, SequenceHead, StateReader } from './learner-state.ts';

/**
 * Real-time recurrent learning (docs/MATH.md §4.7): the exact gradient, online, through the
 * influence matrix
 *   M_t = ∂s_t/∂Ψ = J_t·M_{t−1} + (∂s_t/∂Ψ)_loc,   ∂L/∂Ψ = (1/B)·Σ_b Σ_t (∂L_t/∂s_t)_b·M_{t,b},
 * per example (n × P, P = number of cell parameters): the "online and exact" reference for
 * BP(λ). The influence matrix is an object (influence.ts): computation `traces` (the recursion,
 * O(n²·P) per example and step) or `blocked` (a folded matrix and a window, the same numbers).
 */
export interface RtrlOptions extends OnlineOptions {
  /** how the influence matrix is computed (default: 'blocked' for n ≥ 32, else 'traces') */
  computation?: TraceComputation;
  /** K, the blocked computation's window between folds (default: the state size n) */
  traceWindow?: number;
}

export class RtrlLearner extends OnlineLearner {
  readonly method = 'rtrl';
  readonly influence: InfluenceMatrix;
  private readonly P: number;

  constructor(model: Model, opts: RtrlOptions) {
    checkOptions(opts, [...COMMON_KEYS, 'regime', 'computation', 'traceWindow'], 'RtrlLearner');
    super(model, opts, 'RtrlLearner', 'rtrl');
    // blocked from n = 32 on: 6× faster at n = 32, even at n = 16 (bench step, LSTM, B = 16, T = 20)
    const computation = checkOneOf(opts.computation ?? (model.stateSize >= 32 ? 'blocked' : 'traces'), TRACE_COMPUTATIONS, 'RtrlLearner: computation');
    if (opts.traceWindow !== undefined && computation !== 'blocked') throw new Error(`RtrlLearner: traceWindow: applies to computation "blocked" only, received computation ${JSON.stringify(computation)}`);
    const K = opts.traceWindow === undefined ? defaultTraceWindow(model.stateSize) : checkInt(opts.traceWindow, 'RtrlLearner: traceWindow', 1);
    this.influence = computation === 'traces' ? new FullInfluence(model.cell) : new BlockedInfluence(model.cell, K);
    this.P = Object.values(model.cell.params).reduce((a, t) => a + t.size, 0);
  }

  protected prepare(B: number): () => void {
    return this.influence.prepare(B);
  }

  protected memoryNeeded(B: number): { bytes: number; what: string } {
    const n = this.model.stateSize;
    const values = this.influence.computation === 'traces' ? 3 * B * n * this.P : 3 * B * n * this.P + defaultTraceWindow(n) * B * 30 * n;
    return { bytes: (this.model.dtype === 'float64' ? 8 : 4) * values, what: `influence matrices of ${B}·n·P values, n = ${n}, P = ${this.P}` };
  }

  protected restart(): void {
    this.influence.reset();
  }

  protected learn(t: number, _last: boolean, rows: StepRows | null): { cell: boolean; synthesiser: boolean } {
    const { model, buf, grads } = this;
    const c = buf.next;
    if (!this.influence.propose(model.cell.jacobian(c), c, rows)) throw new DivergenceError(this.method, t, 'the influence matrix');
    // ∂L_t/∂Ψ = (1/B)·Σ_b (∂L_t/∂s_t)_b·M_{t,b}
    if (!buf.hasTarget) return { cell: false, synthesiser: false };
    this.influence.contract(buf.dLds, 1 / this.guard.batch, grads.cell);
    return { cell: true, synthesiser: false };
  }

  protected commit(): void {
    this.influence.commit();
  }

  protected ruleConfig(): LearnerState['config'] {
    return { computation: this.influence.computation, traceWindow: this.influence instanceof BlockedInfluence ? this.influence.windowLength : null };
  }

  protected ruleState(): unknown {
    return { influence: this.influence.getState() };
  }

  protected readRule(v: unknown, r: StateReader, head: SequenceHead, path: string): () => void {
    const o = r.object(v, path, ['influence']);
    return this.influence.readState(o.influence, r, head.batch, `${path}.influence`);
  }
}
