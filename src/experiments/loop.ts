/**
 * The training loop: the one loop in the library that trains a learner on batches from a data
 * source, evaluates on a schedule and reports through callbacks. `bp-lambda run` (runner.ts)
 * drives it with its logs, curriculum and checkpoints as callbacks; `fit` (src/fit.ts) drives it
 * once per epoch with validation, metrics and the user's callbacks. No Node built-ins here: it
 * runs wherever the learners run.
 *
 * Per batch k = start+1 … batches:
 *   stop?(k−1) → batch = source.next() (null: the source is exhausted) → trainSequence(learner,
 *   batch) → parameters finite? → onBatch(k, loss, batch) → evaluate(k) when k is a multiple of
 *   evalEvery or the last → onBatchEnd(k).
 * Before the first batch it evaluates once (`evaluateFirst`, default: when start = 0). When the
 * source is exhausted, the last batch is evaluated if it was not already, and the loop returns.
 * A step, an update or parameters that are not finite end the loop with a TrainingDivergedError
 * naming the batch, the step and the quantity (the learner applied nothing of the failing step).
 *
 * The loop is written once, as a generator (`loopSteps`) that yields every value the source and
 * the callbacks return and resumes with it; two drivers run it. `trainLoop` hands each value
 * straight back (a synchronous source and callbacks; `run` uses it), `trainLoopAsync` awaits
 * those that are promises (async iterables, async callbacks; `fit` uses it). Both execute the
 * same statements in the same order, so they train the same numbers.
 */
import type { SeqBatch } from '../data/batch.ts';
import { trainSequence } from '../learners/index.ts';
import { DivergenceError, type Learner } from '../learners/learner.ts';
import type { Model } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { checkInt } from '../validate.ts';

/** Where training batches come from: the next batch, or null once the data is exhausted. */
export interface DataSource {
  next(): SeqBatch | null;
}

/** A source whose `next()` may also return a promise (an async iterator): trainLoopAsync awaits it. */
export interface AsyncDataSource {
  next(): SeqBatch | null | PromiseLike<SeqBatch | null>;
}

export interface LoopCallbacks {
  /** Before batch `done + 1`: true stops the loop there (it returns `stopped`). */
  stop?(done: number): boolean;
  /** After training batch `batch` (1-based), with its mean loss (1/B)·Σ_b Σ_t ℓ_{t,b}. */
  onBatch?(batch: number, loss: number, data: SeqBatch): void;
  /** At each evaluation point (after batch `batch`; 0: before training). */
  evaluate?(batch: number): void;
  /** After the batch's evaluation, if any (checkpoints). */
  onBatchEnd?(batch: number): void;
}

/** The same callbacks, each of which may also return a promise of its result (trainLoopAsync awaits it). */
export type AsyncLoopCallbacks = {
  [K in keyof LoopCallbacks]?: (...args: Parameters<NonNullable<LoopCallbacks[K]>>) => ReturnType<NonNullable<LoopCallbacks[K]>> | PromiseLike<ReturnType<NonNullable<LoopCallbacks[K]>>>;
};

export interface LoopOptions {
  learner: Learner;
  source: DataSource;
  /** train until this many batches are done (default: until the source is exhausted) */
  batches?: number;
  /** batches already done (a resumed run; default 0) */
  start?: number;
  /** evaluate before the first batch (default: when `start` is 0) */
  evaluateFirst?: boolean;
  /** evaluate every this many batches and after the last one (default: only after the last) */
  evalEvery?: number;
  callbacks?: LoopCallbacks;
}

/** trainLoopAsync's options: a source and callbacks that may return promises. */
export interface AsyncLoopOptions extends Omit<LoopOptions, 'source' | 'callbacks'> {
  source: AsyncDataSource;
  callbacks?: AsyncLoopCallbacks;
}

export interface LoopResult {
  /** batches done (counting `start`) */
  batches: number;
  /** whether `stop` ended the loop */
  stopped: boolean;
  /** whether the source ran out of batches (before `batches` were done) */
  exhausted: boolean;
}

/**
 * Training produced NaN or Infinity; nothing of the failing step was applied.
 *
 * Numbering: `step` is 0-based. `batch` counts the batches completed (and applied) before the
 * failure, of the epoch under `fit`, of the run otherwise; with `step` not null that is also the
 * 0-based index of the failing batch, and with `step` null (found after a batch: its parameters,
 * an evaluation) the count includes that batch. Under `fit`, `epoch` is 0-based and the message
 * numbers epoch and batch 0-based, as fit's callbacks (`onBatchEnd(batch)`, `onEpochEnd(epoch)`)
 * and `History.epoch` do: "in epoch 0, batch 1, step 1". Without an epoch (`bp-lambda run`) the
 * message counts batches from 1, as the run's log lines do: "at batch 2, step 1".
 */
export class TrainingDivergedError extends Error {
  constructor(
    /** batches completed (and applied) before the failure; with `step` null, including the batch after which it was found */
    readonly batch: number,
    /** the step t (0-based) within the failing batch, or null when found after it (parameters, evaluation) */
    readonly step: number | null,
    /** what was not finite */
    readonly quantity: string,
    /** the epoch (0-based, as fit's onEpochEnd) when the loop runs per epoch (`fit`); null otherwise */
    readonly epoch: number | null = null,
  ) {
    const where =
      epoch === null
        ? step === null
          ? `after batch ${batch}`
          : `at batch ${batch + 1}, step ${step}`
        : `in epoch ${epoch}, ${step === null ? `after batch ${batch - 1}` : `batch ${batch}, step ${step}`} (0-based, as fit's callbacks number them)`;
    super(`training diverged ${where}: ${quantity} is not finite (NaN or Infinity)`);
    this.name = 'TrainingDivergedError';
  }
}

/** The first parameter of `model` holding a non-finite value, as "the parameter group.name", or null. */
function nonFiniteParameter(model: Model): string | null {
  for (const [group, params] of Object.entries(model.groups())) {
    for (const [name, t] of Object.entries(params as ParamGroup)) for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return `the parameter ${group}.${name}`;
  }
  return null;
}

/**
 * The loop itself (see the file comment): every value the source and the callbacks return is
 * yielded, and the loop resumes with what the driver sends back (the value, or what it resolved to).
 */
function* loopSteps(options: AsyncLoopOptions, name: string): Generator<unknown, LoopResult, unknown> {
  const { learner, source, callbacks: cb = {} } = options;
  const batches = options.batches === undefined ? Infinity : checkInt(options.batches, `${name}: batches`, 0);
  const start = checkInt(options.start ?? 0, `${name}: start`, 0, Math.min(batches, Number.MAX_SAFE_INTEGER));
  const evalEvery = options.evalEvery === undefined ? Infinity : checkInt(options.evalEvery, `${name}: evalEvery`, 1);
  let evaluatedAt = -1;
  if (options.evaluateFirst ?? start === 0) {
    yield cb.evaluate?.(start);
    evaluatedAt = start;
  }
  for (let done = start; done < batches; ) {
    if (yield cb.stop?.(done)) return { batches: done, stopped: true, exhausted: false };
    const data = (yield source.next()) as SeqBatch | null;
    if (data === null) {
      if (done > start && evaluatedAt !== done) yield cb.evaluate?.(done);
      return { batches: done, stopped: false, exhausted: true };
    }
    let loss: number;
    try {
      loss = trainSequence(learner, data).loss;
    } catch (err) {
      if (err instanceof DivergenceError) throw new TrainingDivergedError(done, err.stepIndex, err.quantity);
      throw err;
    }
    done++;
    const bad = nonFiniteParameter(learner.model);
    if (bad) throw new TrainingDivergedError(done, null, bad);
    yield cb.onBatch?.(done, loss, data);
    if (done % evalEvery === 0 || done === batches) {
      yield cb.evaluate?.(done);
      evaluatedAt = done;
    }
    yield cb.onBatchEnd?.(done);
  }
  return { batches, stopped: false, exhausted: false };
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Runs the loop with a synchronous source and callbacks (see the file comment); returns the
 * batches done, whether `stop` ended it early and whether the source was exhausted. A source or
 * callback that returns a promise is an error (use trainLoopAsync).
 */
export function trainLoop(options: LoopOptions): LoopResult {
  const steps = loopSteps(options, 'trainLoop');
  for (let r = steps.next(); ; ) {
    if (r.done) return r.value;
    if (isPromiseLike(r.value)) {
      steps.return(undefined as never);
      throw new Error('trainLoop: expected a synchronous source and callbacks, received a promise (use trainLoopAsync)');
    }
    r = steps.next(r.value);
  }
}

/**
 * The same loop where the source's `next()` and the callbacks may return promises (async
 * iterables, async callbacks): each promise is awaited before the loop goes on; values that
 * are not promises are used at once, as trainLoop does.
 */
export async function trainLoopAsync(options: AsyncLoopOptions): Promise<LoopResult> {
  const steps = loopSteps(options, 'trainLoopAsync');
  for (let r = steps.next(); ; ) {
    if (r.done) return r.value;
    let value: unknown;
    try {
      value = isPromiseLike(r.value) ? await r.value : r.value;
    } catch (err) {
      r = steps.throw(err);
      continue;
    }
    r = steps.next(value);
  }
}
