import type { Model, ModelGroups } from '../model/model.ts';
import type { Arr } from '../tensor/dtype.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { addScaled, zerosLike, type ParamGroup } from '../tensor/params.ts';
import { checkInt, checkOneOf, describe } from '../validate.ts';
import { LOSS_KINDS, type LossKind } from '../data/batch.ts';

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
 */
export interface Learner {
  readonly method: string;
  readonly model: Model;
  reset(batchSize: number): void;
  step(x: Arr, y: Arr | null, last?: boolean): StepResult;
  end(): SequenceResult;
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

  constructor(
    private readonly method: string,
    private readonly model: Model,
  ) {}

  reset(batchSize: number): void {
    this.batch = checkInt(batchSize, `${this.method}.reset: batchSize`, 1);
    this.t = 0;
    this.ended = false;
    this.terminal = false;
  }

  checkStep(x: Arr, y: Arr | null, last: unknown): void {
    const m = this.method;
    if (this.ended) throw new Error(`${m}.step: no open sequence: call reset(batchSize) first`);
    if (this.terminal) throw new Error(`${m}.step: the sequence already ended at its last step: call end(), then reset()`);
    if (typeof last !== 'boolean') throw new Error(`${m}.step: last: expected a boolean, received ${describe(last)}`);
    checkBatchArray(x, this.batch * this.model.inputSize, `${m}.step: x (batch ${this.batch} × inputSize ${this.model.inputSize})`);
    if (y !== null) checkBatchArray(y, this.batch * this.model.outputSize, `${m}.step: y (batch ${this.batch} × outputSize ${this.model.outputSize})`);
  }

  /** Records a committed step; `last` marks it terminal. */
  advance(last: boolean): void {
    this.t++;
    this.terminal = last;
  }

  /** Closes the sequence; later steps need a reset. */
  close(): void {
    this.ended = true;
  }

  checkEnd(): void {
    if (this.ended) throw new Error(`${this.method}.end: no open sequence: call reset(batchSize) and step(...) first`);
    if (this.t === 0) throw new Error(`${this.method}.end: the sequence has no steps`);
  }
}

function checkBatchArray(v: unknown, length: number, name: string): void {
  if (!(v instanceof Float64Array || v instanceof Float32Array)) throw new Error(`${name}: expected a Float64Array or Float32Array of length ${length}, received ${describe(v)}`);
  if (v.length !== length) throw new Error(`${name}: expected length ${length}, received length ${v.length}`);
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new Error(`${name}: expected finite values, received ${v[i]} at index ${i}`);
}

export interface CommonOptions {
  /** the per-step loss of the readout (MATH.md §1) */
  loss: LossKind;
  /** updates the parameters; without one they are held fixed (gradients only) */
  optimizer?: Optimizer;
}

export const COMMON_KEYS = ['loss', 'optimizer'] as const;

export function checkCommon(opts: CommonOptions, name: string): void {
  checkOneOf(opts.loss, LOSS_KINDS, `${name}: loss`);
  const o = opts.optimizer;
  if (o !== undefined && (o === null || typeof o.step !== 'function')) throw new Error(`${name}: optimizer: expected an Optimizer (Sgd, Adam) or undefined, received ${describe(o)}`);
}

/**
 * The update bookkeeping shared by the online learners (BP(λ), RTRL): each committed step's
 * gradients are added to the sequence sum and, in the per-step regime, applied at once; in the
 * per-sequence regime the sum is applied at `end`.
 */
export class OnlineUpdates {
  readonly sum: ModelGroups;
  lossSum = 0;

  constructor(
    private readonly model: Model,
    private readonly regime: 'per-step' | 'per-sequence',
    private readonly optimizer: Optimizer | undefined,
  ) {
    this.sum = zeroGrads(model);
  }

  reset(): void {
    for (const g of Object.values(this.sum)) for (const t of Object.values(g as ParamGroup)) t.data.fill(0);
    this.lossSum = 0;
  }

  /** Adds one committed step (its gradients and its loss (1/B)·Σ_b ℓ_{t,b}). */
  commitStep(grads: ModelGroups, loss: number): void {
    for (const k of ['cell', 'readout', 'synthesiser'] as const) addScaled(this.sum[k], grads[k], 1);
    this.lossSum += loss;
    if (this.regime === 'per-step' && this.optimizer) this.optimizer.step(this.model.groups(), grads);
  }

  /** Closes the sequence: the per-sequence update, if any. */
  end(): { loss: number; grads: ModelGroups } {
    if (this.regime === 'per-sequence' && this.optimizer) this.optimizer.step(this.model.groups(), this.sum);
    return { loss: this.lossSum, grads: this.sum };
  }
}
