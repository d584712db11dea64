import type { LossKind } from '../data/batch.ts';
import type { Model, ModelGroups } from '../model/model.ts';
import { zeroGroup } from '../tensor/params.ts';
import type { Arr } from '../tensor/dtype.ts';
import { checkOneOf } from '../validate.ts';
import { allocating } from '../memory.ts';
import type { GroupName, Optimizer } from '../optim/optimizer.ts';
import { checkCommon, checkFiniteArr, checkFiniteGroups, commonConfig, DivergenceError, OnlineUpdates, restoreState, saveState, StepGuard, zeroGrads, type CommonOptions, type Learner, type SequenceResult, type StateOwner, type StepResult } from './learner.ts';
import { cacheJson, type LearnerState, type SequenceHead, type StateReader } from './learner-state.ts';
import { StepBuffers } from './step-buffers.ts';
import type { StepOptions, StepRows } from '../data/step-rows.ts';

export type Regime = 'per-step' | 'per-sequence';
export const REGIMES: readonly Regime[] = ['per-step', 'per-sequence'];

export interface OnlineOptions extends CommonOptions {
  /** per-step: the optimizer steps after every step (Algorithm 1); per-sequence: once at end() */
  regime?: Regime;
}

/**
 * What every online learner shares (BP(λ), RTRL), so that each rule implements only its own
 * part: the step life cycle (checks, a forward step into candidate buffers, the rule's
 * gradients, finiteness, the per-step update, then commit), the readout's true gradient, and
 * the update bookkeeping of the two regimes. A rule implements
 *   - `prepare(B)`: allocates its buffers for a batch of B and returns the function that
 *     installs them (so a batch size that cannot be allocated changes nothing),
 *   - `memoryNeeded(B)`: about how many bytes that is, and of what (for the error),
 *   - `restart()`: the state of a new sequence,
 *   - `learn(t, last, rows)`: the step's cell and synthesiser gradients into `grads`, from the
 *     candidate step in `buf`, without committing anything; it returns which of the two
 *     groups received a gradient at this step (a group that did not is not moved). `rows`
 *     holds the step's per-example flags (null: an ordinary step for every example): held
 *     examples get no TD error, no signal and a held trace; restarting ones start afresh,
 *   - `commit(last)`: make the rule's candidate state current,
 *   - `config()`, `ruleState()` and `readRule(…)`: its options and its own part of a saved
 *     state (getState/setState), read and checked in full before anything is installed.
 * A step that throws (bad input, DivergenceError, a refused update) leaves the learner as it
 * was before it.
 */
export abstract class OnlineLearner implements Learner {
  abstract readonly method: string;
  readonly regime: Regime;
  get loss(): LossKind {
    return this.common.loss;
  }
  get optimizer(): Optimizer | undefined {
    return this.common.optimizer;
  }
  protected readonly guard: StepGuard;
  protected buf!: StepBuffers;
  /** this step's gradients (model-shaped), filled by the rule */
  protected grads!: ModelGroups;
  private updates!: OnlineUpdates;

  constructor(
    readonly model: Model,
    protected readonly common: OnlineOptions,
    /** the class name, in option errors */
    name: string,
    /** the method name, in step errors */
    method: string,
  ) {
    checkCommon(model, common, name);
    this.regime = checkOneOf(common.regime ?? 'per-step', REGIMES, `${name}: regime`);
    this.guard = new StepGuard(method, model, common.loss);
  }

  protected abstract prepare(batch: number): () => void;
  protected abstract memoryNeeded(batch: number): { bytes: number; what: string };
  protected abstract restart(): void;
  protected abstract learn(t: number, last: boolean, rows: StepRows | null): Record<'cell' | 'synthesiser', boolean>;
  protected abstract commit(last: boolean): void;
  /** The rule's options that a saved state must match (besides loss, recordOutputs, regime). */
  protected abstract ruleConfig(): LearnerState['config'];
  /** The rule's part of an open sequence's state (its trace or influence matrix, …). */
  protected abstract ruleState(): unknown;
  /** Reads `ruleState()`'s value for a sequence with `head` (checked); returns its installer, run after `reset(head.batch)`. */
  protected abstract readRule(v: unknown, r: StateReader, head: SequenceHead, path: string): () => void;

  /** What saving and restoring needs (learner.ts: saveState, restoreState). */
  private owner(): StateOwner {
    return { method: this.method, model: this.model, guard: this.guard, optimizer: this.common.optimizer, config: { ...commonConfig(this.common), regime: this.regime, ...this.ruleConfig() }, reset: (B) => this.reset(B) };
  }

  /** The learner in the middle of a stream (see Learner.getState and learner-state.ts). */
  getState(): LearnerState {
    return saveState(this.owner(), () => {
      const committed = this.buf.committed();
      return { committed: committed === null ? null : cacheJson(committed), updates: this.updates.toJson(), rule: this.ruleState() };
    });
  }

  /** Restores `getState()`'s value (checked in full first; a refused state changes nothing). */
  setState(state: unknown): void {
    restoreState(this.owner(), state, ['committed', 'updates', 'rule'], (seq, head, r) => {
      if ((seq.committed === null) !== (head.t === 0)) r.fail('state.sequence.committed', head.t === 0 ? 'null (no step yet)' : "the committed step's cell cache", seq.committed);
      const committed = seq.committed === null ? null : r.cache(seq.committed, 'state.sequence.committed', this.model.cell, head.batch);
      const installUpdates = OnlineUpdates.read(seq.updates, r, 'state.sequence.updates', this.model.groups());
      const installRule = this.readRule(seq.rule, r, head, 'state.sequence.rule');
      return () => {
        this.buf.restore(committed);
        installUpdates(this.updates);
        installRule();
      };
    });
  }

  reset(batchSize: number): void {
    const B = this.guard.checkBatchSize(batchSize);
    if (!this.buf || this.buf.batch !== B) {
      // allocate everything first: a batch size that cannot be allocated leaves the learner as it was
      const { bytes, what } = this.memoryNeeded(B);
      const install = allocating(`${this.method}.reset: batchSize ${B} (${what})`, bytes, () => {
        const buf = new StepBuffers(this.model, B, this.common.loss);
        const installRule = this.prepare(B);
        return () => {
          this.buf = buf;
          installRule();
        };
      });
      install();
      this.grads ??= zeroGrads(this.model);
      this.updates ??= new OnlineUpdates(this.model, this.regime, this.common.optimizer, this.method);
    }
    this.buf.restart();
    this.updates.reset();
    this.guard.reset(B);
    this.restart();
  }

  step(x: Arr, y: Arr | null, last = false, options?: StepOptions): StepResult {
    const rows = this.guard.checkStep(x, y, last, options);
    const { buf, grads, method } = this;
    const B = this.guard.batch;
    const t = this.guard.t;
    for (const g of Object.values(grads)) zeroGroup(g);

    // forward: s_t, ŷ_t, ∂ℓ_t/∂s_t into the candidate buffers
    const lossT = buf.forward(x, y, rows);
    if (!Number.isFinite(lossT)) throw new DivergenceError(method, t, 'the loss');
    checkFiniteArr(buf.next.s, method, t, 'the state s_t');

    const rule = this.learn(t, last, rows);
    if (buf.hasTarget) this.model.readout.accumulateGrads(buf.dyhat, buf.next.h, B, grads.readout, 1 / B);
    checkFiniteGroups(grads, method, t);

    // the update (per-step regime), then commit: a refused update leaves the learner as it was
    const received: Record<GroupName, boolean> = { cell: rule.cell, readout: buf.hasTarget, synthesiser: rule.synthesiser };
    this.updates.commitStep(grads, received, lossT / B, t);
    buf.commit();
    this.commit(last);
    this.guard.advance(last, rows);
    return { loss: lossT / B };
  }

  end(): SequenceResult {
    this.guard.checkEnd();
    const { loss, grads } = this.updates.end(this.guard.t);
    this.guard.close();
    return { loss, steps: this.guard.t, grads, ...this.outputs() };
  }

  /** Per-step outputs of the sequence, if the rule records any (see SequenceResult). */
  protected outputs(): Partial<Pick<SequenceResult, 'syntheticGrads' | 'stateGrads'>> {
    return {};
  }
}
