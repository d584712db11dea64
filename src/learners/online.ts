import type { Model, ModelGroups } from '../model/model.ts';
import { zeroGroup } from '../model/params.ts';
import type { Arr } from '../tensor/dtype.ts';
import { checkOneOf } from '../validate.ts';
import { checkCommon, checkFiniteArr, checkFiniteGroups, DivergenceError, OnlineUpdates, StepGuard, zeroGrads, type CommonOptions, type Learner, type SequenceResult, type StepResult } from './learner.ts';
import { StepBuffers } from './step-buffers.ts';

export type Regime = 'per-step' | 'per-sequence';
export const REGIMES: readonly Regime[] = ['per-step', 'per-sequence'];

export interface OnlineOptions extends CommonOptions {
  /** per-step: the optimizer steps after every step (Algorithm 1); per-sequence: once at end() */
  regime?: Regime;
}

/**
 * What every online learner shares (BP(λ), RTRL), so that each rule implements only its own
 * part: the step life cycle (checks, a forward step into candidate buffers, the rule's
 * gradients, finiteness, then commit or nothing), the readout's true gradient, and the update
 * bookkeeping of the two regimes. A rule implements
 *   - `prepare(B)`: its buffers for a batch of B (called when B changes),
 *   - `restart()`: the state of a new sequence,
 *   - `learn(t, last)`: the step's cell and synthesiser gradients into `grads`, from the
 *     candidate step in `buf` — without committing anything,
 *   - `commit(last)`: make the rule's candidate state current.
 * A step that throws (bad input, DivergenceError) leaves the learner as it was before it.
 */
export abstract class OnlineLearner implements Learner {
  abstract readonly method: string;
  readonly regime: Regime;
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
    checkCommon(common, name);
    this.regime = checkOneOf(common.regime ?? 'per-step', REGIMES, `${name}: regime`);
    this.guard = new StepGuard(method, model);
  }

  protected abstract prepare(batch: number): void;
  protected abstract restart(): void;
  protected abstract learn(t: number, last: boolean): void;
  protected abstract commit(last: boolean): void;

  reset(batchSize: number): void {
    this.guard.reset(batchSize);
    if (!this.buf || this.buf.batch !== batchSize) {
      this.buf = new StepBuffers(this.model, batchSize, this.common.loss);
      this.grads = zeroGrads(this.model);
      this.updates = new OnlineUpdates(this.model, this.regime, this.common.optimizer);
      this.prepare(batchSize);
    } else {
      this.buf.restart();
      this.updates.reset();
    }
    this.restart();
  }

  step(x: Arr, y: Arr | null, last = false): StepResult {
    this.guard.checkStep(x, y, last);
    const { buf, grads, method } = this;
    const B = this.guard.batch;
    const t = this.guard.t;
    for (const g of Object.values(grads)) zeroGroup(g);

    // forward: s_t, ŷ_t, ∂ℓ_t/∂s_t into the candidate buffers
    const lossT = buf.forward(x, y);
    if (!Number.isFinite(lossT)) throw new DivergenceError(method, t, 'the loss');
    checkFiniteArr(buf.next.s, method, t, 'the state s_t');

    this.learn(t, last);
    if (buf.hasTarget) this.model.readout.accumulateGrads(buf.dyhat, buf.next.h, B, grads.readout, 1 / B);
    checkFiniteGroups(grads, method, t);

    // commit
    buf.commit();
    this.commit(last);
    this.guard.advance(last);
    this.updates.commitStep(grads, lossT / B);
    return { loss: lossT / B };
  }

  end(): SequenceResult {
    this.guard.checkEnd();
    const { loss, grads } = this.updates.end();
    this.guard.close();
    return { loss, steps: this.guard.t, grads, ...this.outputs() };
  }

  /** Per-step outputs of the sequence, if the rule records any (see SequenceResult). */
  protected outputs(): Partial<Pick<SequenceResult, 'syntheticGrads' | 'stateGrads'>> {
    return {};
  }
}
