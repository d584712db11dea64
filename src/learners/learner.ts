import { checkModel, type Model, type ModelGroups } from '../model/model.ts';
import type { Arr } from '../tensor/dtype.ts';
import { OptimizerDivergenceError, type GroupName, type Optimizer, type StepGrads } from '../optim/optimizer.ts';
import { addScaled, zerosLike, type ParamGroup } from '../tensor/params.ts';
import { checkInt, checkOneOf, describe, fail } from '../validate.ts';
import { LOSS_KINDS, type LossKind } from '../data/batch.ts';
import { checkStepArray, checkTargets } from '../data/validate-batch.ts';
import { EpisodeBook, type StepOptions, type StepRows } from '../data/step-rows.ts';
import { checkHeader, groupsJson, installState, LEARNER_STATE_FORMAT, LEARNER_STATE_VERSION, modelShape, numbers, readSequenceHead, StateReader, type LearnerState, type SequenceHead } from './learner-state.ts';

/**
 * One interface for every learning algorithm. A learner consumes a batch of sequences one
 * step at a time:
 *
 *   learner.reset(B);                       // new sequences: s_0 = 0, traces and sums cleared
 *   for (t …) learner.step(x_t, y_t, t === T − 1);   // y_t null at steps without a target
 *   const { loss, grads } = learner.end();  // close the sequence
 *
 * `last` marks the terminal step (g(s_T) := 0, like `done` in reinforcement learning). A
 * sequence closed by `end()` without a terminal step is treated as a cut of a longer stream:
 * its tail bootstraps from g(s_T). With an optimizer, parameters are updated (at every step in
 * the per-step regime, at `end()` otherwise); without one they are held fixed and `end()`
 * returns the summed gradients (what `bp-lambda grads` reports).
 *
 * Per example, the optional fourth argument (StepOptions) masks examples out of a step
 * (`active`: variable-length sequences; their state and traces are held, they add no loss and
 * no learning signal) and ends an example's episode (`terminal`: g(s_{t,b}) := 0, and the
 * example restarts from s = 0 at its next active step while the batch carries on). The loss
 * keeps the 1/B convention: L = (1/B)·Σ_b Σ_{t active} ℓ_{t,b}, so a masked batch's gradients
 * are (1/B)·Σ_b of each example's own, as if each ran alone.

 */
export interface Learner {
  readonly method: string;
  readonly model: Model;
  /** the per-step loss ℓ it trains with (its `loss` option); a batch must have the same */
  readonly loss: LossKind;
  /** the optimizer that updates the model's parameters (its `optimizer` option), or undefined: gradients only */
  readonly optimizer: Optimizer | undefined;
  reset(batchSize: number): void;
  step(x: Arr, y: Arr | null, last?: boolean, options?: StepOptions): StepResult;
  end(): SequenceResult;
  getState(): LearnerState;
  setState(state: unknown): void;
}

export interface StepResult {
  /** (1/B) Σ_b ℓ_{t,b} */
  loss: number;
}

export interface SequenceResult {
  /** batch loss L = (1/B) Σ_b Σ_t ℓ_{t,b} */
  loss: number;
  steps: number;
  /** gradients of the sequence (summed over steps for online learners), model-shaped */
  grads: ModelGroups;
  /**
   * Per step, B×n: the synthetic gradient g(s_t) the cell received (zero at a terminal last
   * step), for the methods with a synthesiser (sg at window ends, bp-lambda with
   * `recordOutputs`, lambda-sg).
   */
  syntheticGrads?: Arr[];
  /** Per step, B×n: the true state gradient ∂L/∂s_t per example (bptt, tbptt within windows). */
  stateGrads?: Arr[];
}

/**
 * A batch's loss must be the learner's: its targets were checked for that loss, and training it
 * with another would silently train a different objective. Throws naming `name`.
 */
export function checkBatchLoss(batch: { loss: unknown }, learner: Learner, name: string): void {
  if (batch.loss !== learner.loss) throw new Error(`${name}.loss: expected ${JSON.stringify(learner.loss)} (the learner's loss), received ${describe(batch.loss)}; create the learner with loss ${describe(batch.loss)} to train on this batch`);
}

export function zeroGrads(model: Model): ModelGroups {
  const g = model.groups();
  return { cell: zerosLike(g.cell), readout: zerosLike(g.readout), synthesiser: zerosLike(g.synthesiser) };
}

/** Thrown when a step produces NaN or ±Infinity; the learner is left as it was before the step. */
export class DivergenceError extends Error {
  constructor(
    readonly method: string,
    readonly stepIndex: number,
    readonly quantity: string,
  ) {
    super(`${method}: training diverged at step ${stepIndex}: ${quantity} is not finite (NaN or Infinity); the step was not applied`);
    this.name = 'DivergenceError';
  }
}

export function checkFiniteArr(a: ArrayLike<number>, method: string, step: number, quantity: string): void {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new DivergenceError(method, step, quantity);
}

export function checkFiniteGroups(g: ModelGroups, method: string, step: number): void {
  for (const [group, params] of Object.entries(g)) {
    for (const [name, t] of Object.entries(params as ParamGroup)) checkFiniteArr(t.data, method, step, `the gradient of ${group}.${name}`);
  }
}

/**
 * Life-cycle and input checks shared by all learners: a step needs a reset first, the right
 * batch size and widths, finite values; nothing is changed when a check fails.
 */
export class StepGuard {
  batch = 0;
  t = 0;
  ended = true;
  terminal = false;
  /** per example: whose episode ended (restarting at its next active step) */
  readonly episodes = new EpisodeBook();

  constructor(
    private readonly method: string,
    private readonly model: Model,
    private readonly loss: LossKind,
  ) {}

  /** Checks a batch size (before the learner allocates anything for it). */
  checkBatchSize(batchSize: unknown): number {
    return checkInt(batchSize, `${this.method}.reset: batchSize`, 1);
  }

  /** Opens a new sequence of `batchSize` examples (call once the learner's buffers are in place). */
  reset(batchSize: number): void {
    this.batch = this.checkBatchSize(batchSize);
    this.t = 0;
    this.ended = false;
    this.terminal = false;
    this.episodes.reset(this.batch);
  }

  /**
   * Checks a step's arguments (nothing changes when one is wrong) and returns its per-example
   * flags, or null for an ordinary step of every example (StepRows). The rows of examples that
   * sit the step out are not read.
   */
  checkStep(x: Arr, y: Arr | null, last: unknown, options?: unknown): StepRows | null {
    const m = this.method;
    if (this.ended) throw new Error(`${m}.step: no open sequence: call reset(batchSize) first`);
    if (this.terminal) throw new Error(`${m}.step: the sequence already ended at its last step: call end(), then reset()`);
    if (typeof last !== 'boolean') throw new Error(`${m}.step: last: expected a boolean, received ${describe(last)}`);
    const rows = this.episodes.read(options, `${m}.step: options`);
    const held = rows !== null && rows.heldCount > 0 ? rows.held : undefined;
    const { inputSize: I, outputSize: O } = this.model;
    checkStepArray(x, this.batch * I, `${m}.step: x (batch ${this.batch} × inputSize ${I})`, held);
    if (y !== null) {
      checkStepArray(y, this.batch * O, `${m}.step: y (batch ${this.batch} × outputSize ${O})`, held);
      checkTargets(this.loss, y, this.batch, O, `${m}.step: y`, held);
    }
    return rows;
  }

  /** Records a committed step; `last` marks it terminal. */
  advance(last: boolean, rows: StepRows | null): void {
    this.t++;
    this.terminal = last;
    this.episodes.advance(rows);
  }

  /** Closes the sequence; later steps need a reset. */
  close(): void {
    this.ended = true;
  }

  /** The open sequence's head for a saved state (batch, step count, terminal, pending restarts). */
  head(): { batch: number; t: number; terminal: boolean; pendingRestarts: number[] } {
    return { batch: this.batch, t: this.t, terminal: this.terminal, pendingRestarts: numbers(this.episodes.pendingRestarts()) };
  }

  /** Reopens a saved sequence (after `reset(head.batch)`). */
  restore(head: SequenceHead): void {
    this.t = head.t;
    this.terminal = head.terminal;
    this.episodes.setPendingRestarts(head.pendingRestarts);
  }

  checkEnd(): void {
    if (this.ended) throw new Error(`${this.method}.end: no open sequence: call reset(batchSize) and step(...) first`);
    if (this.t === 0) throw new Error(`${this.method}.end: the sequence has no steps`);
  }
}

export interface CommonOptions {
  /** the per-step loss of the readout (MATH.md §1) */
  loss: LossKind;
  /** updates the parameters; without one they are held fixed (gradients only) */
  optimizer?: Optimizer;
  /**
   * Keep the per-step outputs of each sequence for `end()` (online learners: a copy per
   * step, memory O(T·B·n); the offline ones keep them anyway). Default false.
   */
  recordOutputs?: boolean;
}

export const COMMON_KEYS = ['loss', 'optimizer', 'recordOutputs'] as const;

/** The options every learner's state records (LearnerState.config). */
export function commonConfig(opts: CommonOptions): LearnerState['config'] {
  return { loss: opts.loss, recordOutputs: opts.recordOutputs ?? false };
}

/** What saving and restoring a learner's state needs of it. */
export interface StateOwner {
  readonly method: string;
  readonly model: Model;
  readonly guard: StepGuard;
  readonly optimizer: Optimizer | undefined;
  readonly config: LearnerState['config'];
  reset(batch: number): void;
}

/** `getState()`: the header, and the open sequence (its head and the method's `sequence()` part) or null. */
export function saveState(o: StateOwner, sequence: () => Record<string, unknown>): LearnerState {
  const header: Omit<LearnerState, 'sequence'> = { format: LEARNER_STATE_FORMAT, version: LEARNER_STATE_VERSION, method: o.method, config: o.config, model: modelShape(o.model), optimizer: o.optimizer ? { name: o.optimizer.name, state: o.optimizer.getState() } : null };
  return { ...header, sequence: o.guard.ended ? null : { ...o.guard.head(), ...sequence() } };
}

/**
 * `setState(state)`: checks the header, reads the open sequence (the method's `keys` with
 * `read`, which checks them and returns their installer), and only then installs: the
 * optimizer's state, `reset(batch)`, the method's part, the sequence's head. A refused state
 * changes nothing (installState).
 */
export function restoreState(o: StateOwner, state: unknown, keys: readonly string[], read: (seq: Record<string, unknown>, head: SequenceHead, r: StateReader) => () => void): void {
  const r = new StateReader(`${o.method}.setState`, o.model.dtype);
  const s = checkHeader(state, r, o.method, o.config, o.model, o.optimizer);
  if (s.sequence === null) {
    installState(o.optimizer, s.optimizer, o.model, () => o.guard.close());
    return;
  }
  const seq = r.object(s.sequence, 'state.sequence', ['batch', 't', 'terminal', 'pendingRestarts', ...keys]);
  const head = readSequenceHead(seq, r);
  const install = read(seq, head, r);
  installState(o.optimizer, s.optimizer, o.model, () => {
    o.reset(head.batch);
    install();
    o.guard.restore(head);
  });
}

/** The options every synthetic-gradient learner (bp-lambda, lambda-sg, sg) takes. */
export interface SyntheticOptions {
  /** σ: scale of the synthetic gradient in the cell's learning signal (default 1) */
  sgScale?: number;
  /**
   * ρ, the synthesiser's target scale (docs/MATH.md §4.8): when given, the model's synthesiser
   * is set to it with `setTargetScale` (the raw parameters rescaled, its function g unchanged),
   * so its raw output is trained towards ρ × the per-example target. The paper's units: 1/B.
   */
  targetScale?: number;
}

export const SYNTHETIC_KEYS = ['sgScale', 'targetScale'] as const;

/** Checks the synthetic-gradient options, applies ρ to the model and returns σ. */
export function applySyntheticOptions(model: Model, opts: SyntheticOptions, name: string): number {
  const sgScale = opts.sgScale === undefined ? 1 : checkFiniteNumber(opts.sgScale, `${name}: sgScale`);
  if (opts.targetScale !== undefined) {
    if (typeof opts.targetScale !== 'number' || !Number.isFinite(opts.targetScale) || opts.targetScale <= 0) throw new Error(`${name}: targetScale: expected a finite number > 0, received ${describe(opts.targetScale)}`);
    model.synthesiser.setTargetScale(opts.targetScale);
  }
  return sgScale;
}

function checkFiniteNumber(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}: expected a finite number, received ${describe(v)}`);
  return v;
}

/**
 * A Learner: an object with the interface's reset, step and end (createLearner(...), a learner
 * class, or one of the user's own) whose `model` is a Model. Throws naming `name` otherwise.
 */
export function checkLearner(v: unknown, name: string): Learner {
  const l = v as Partial<Learner> | null;
  if (l === null || typeof l !== 'object' || typeof l.reset !== 'function' || typeof l.step !== 'function' || typeof l.end !== 'function') fail(name, 'a Learner (createLearner(...))', v);
  checkModel(l.model, `${name}.model`);
  return v as Learner;
}

/** Checks the model and the options every learner takes. */
export function checkCommon(model: Model, opts: CommonOptions, name: string): void {
  checkModel(model, `${name}: model`);
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) fail(`${name}: options`, "an options object, at least { loss } (e.g. { loss: 'mse' })", opts);
  checkOneOf(opts.loss, LOSS_KINDS, `${name}: loss`);
  if (opts.recordOutputs !== undefined && typeof opts.recordOutputs !== 'boolean') throw new Error(`${name}: recordOutputs: expected a boolean, received ${describe(opts.recordOutputs)}`);
  const o = opts.optimizer;
  if (o !== undefined && (o === null || typeof o.step !== 'function')) throw new Error(`${name}: optimizer: expected an Optimizer (Sgd, Adam) or undefined, received ${describe(o)}`);
}

/**
 * One optimizer step on the model, with the groups not in `received` passed as null (no
 * gradient at this step: they do not move). The optimizer refuses a non-finite update as a
 * whole; that refusal becomes the learner's DivergenceError (nothing was applied).
 */
export function applyOptimizer(optimizer: Optimizer, model: Model, grads: ModelGroups, received: Record<GroupName, boolean>, method: string, step: number): void {
  const stepGrads: StepGrads = {
    cell: received.cell ? grads.cell : null,
    readout: received.readout ? grads.readout : null,
    synthesiser: received.synthesiser ? grads.synthesiser : null,
  };
  try {
    optimizer.step(model.groups(), stepGrads);
  } catch (e) {
    if (e instanceof OptimizerDivergenceError) throw new DivergenceError(method, step, `${e.quantity}, in the ${e.optimizer} update`);
    throw e;
  }
}

/**
 * The update bookkeeping shared by the online learners (BP(λ), RTRL): each step's gradients
 * are applied at once in the per-step regime (before the learner commits the step, so a
 * refused update leaves the learner as it was), and added to the sequence sum, which the
 * per-sequence regime applies at `end`. A group receives a gradient only at the steps that
 * give it one (`received`); the per-sequence update skips a group that received none.
 */
export class OnlineUpdates {
  readonly sum: ModelGroups;
  lossSum = 0;
  private readonly received = { cell: false, readout: false, synthesiser: false };

  constructor(
    private readonly model: Model,
    private readonly regime: 'per-step' | 'per-sequence',
    private readonly optimizer: Optimizer | undefined,
    private readonly method: string,
  ) {
    this.sum = zeroGrads(model);
  }

  reset(): void {
    for (const g of Object.values(this.sum)) for (const t of Object.values(g as ParamGroup)) t.data.fill(0);
    this.lossSum = 0;
    this.received.cell = this.received.readout = this.received.synthesiser = false;
  }

  /** Adds step t (its gradients, the groups that received one, its loss (1/B)·Σ_b ℓ_{t,b}); the per-step update first. */
  commitStep(grads: ModelGroups, received: Record<GroupName, boolean>, loss: number, t: number): void {
    if (this.regime === 'per-step' && this.optimizer) applyOptimizer(this.optimizer, this.model, grads, received, this.method, t);
    for (const k of ['cell', 'readout', 'synthesiser'] as const) {
      addScaled(this.sum[k], grads[k], 1);
      this.received[k] ||= received[k];
    }
    this.lossSum += loss;
  }

  toJson(): unknown {
    return { sum: groupsJson(this.sum), lossSum: this.lossSum, received: { ...this.received } };
  }

  /** Reads `toJson()`'s value for a model's groups (checked); returns the function that installs it into an OnlineUpdates. */
  static read(v: unknown, r: StateReader, path: string, like: ModelGroups): (into: OnlineUpdates) => void {
    const o = r.object(v, path, ['sum', 'lossSum', 'received']);
    const sum = r.groups(o.sum, `${path}.sum`, like);
    const lossSum = r.number(o.lossSum, `${path}.lossSum`);
    const rec = r.object(o.received, `${path}.received`, ['cell', 'readout', 'synthesiser']);
    const received = { cell: r.bool(rec.cell, `${path}.received.cell`), readout: r.bool(rec.readout, `${path}.received.readout`), synthesiser: r.bool(rec.synthesiser, `${path}.received.synthesiser`) };
    return (into) => {
      for (const g of ['cell', 'readout', 'synthesiser'] as const) for (const [k, t] of Object.entries(into.sum[g])) t.data.set(sum[g][k]);
      into.lossSum = lossSum;
      Object.assign(into.received, received);
    };
  }

  /** Closes the sequence of `steps` steps: the per-sequence update, if any. */
  end(steps: number): { loss: number; grads: ModelGroups } {
    if (this.regime === 'per-sequence' && this.optimizer) applyOptimizer(this.optimizer, this.model, this.sum, this.received, this.method, steps - 1);
    return { loss: this.lossSum, grads: this.sum };
  }
}
