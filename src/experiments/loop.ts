/**
 * The training loop: the one loop in the library that trains a learner on batches from a data
 * source, evaluates on a schedule and reports through callbacks. `bp-lambda run` (runner.ts)
 * drives it with its logs, curriculum and checkpoints as callbacks; a program can drive it with
 * its own. No Node built-ins here: it runs wherever the learners run.
 *
 * Per batch k = start+1 … batches:
 *   stop?(k−1) → batch = source.next() → trainSequence(learner, batch) → parameters finite?
 *   → onBatch(k, loss, batch) → evaluate(k) when k is a multiple of evalEvery or the last
 *   → onBatchEnd(k).
 * Before the first batch (start = 0) it evaluates once. A step, an update or parameters that
 * are not finite end the loop with a TrainingDivergedError naming the batch, the step and the
 * quantity (the learner applied nothing of the failing step).
 */
import type { SeqBatch } from '../data/batch.ts';
import { trainSequence } from '../learners/index.ts';
import { DivergenceError, type Learner } from '../learners/learner.ts';
import type { Model } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { checkInt } from '../validate.ts';

/** Where training batches come from. */
export interface DataSource {
  next(): SeqBatch;
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

export interface LoopOptions {
  learner: Learner;
  source: DataSource;
  /** train until this many batches are done */
  batches: number;
  /** batches already done (a resumed run; default 0: evaluate before training) */
  start?: number;
  /** evaluate every this many batches and after the last one (default: only after the last) */
  evalEvery?: number;
  callbacks?: LoopCallbacks;
}

/** Training produced NaN or Infinity; nothing of the failing step was applied. */
export class TrainingDivergedError extends Error {
  constructor(
    /** batches completed (and applied) before the failure; with `step` null, including the batch after which it was found */
    readonly batch: number,
    /** the step within the failing batch, or null when found after it (parameters, evaluation) */
    readonly step: number | null,
    /** what was not finite */
    readonly quantity: string,
  ) {
    super(`training diverged ${step === null ? `after batch ${batch}` : `at batch ${batch + 1}, step ${step}`}: ${quantity} is not finite (NaN or Infinity)`);
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

/** Runs the loop (see the file comment); returns the batches done and whether `stop` ended it early. */
export function trainLoop(options: LoopOptions): { batches: number; stopped: boolean } {
  const { learner, source, callbacks: cb = {} } = options;
  const batches = checkInt(options.batches, 'trainLoop: batches', 0);
  const start = checkInt(options.start ?? 0, 'trainLoop: start', 0, batches);
  const evalEvery = checkInt(options.evalEvery ?? Math.max(batches, 1), 'trainLoop: evalEvery', 1);
  if (start === 0) cb.evaluate?.(0);
  for (let done = start; done < batches; ) {
    if (cb.stop?.(done)) return { batches: done, stopped: true };
    const data = source.next();
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
    cb.onBatch?.(done, loss, data);
    if (done % evalEvery === 0 || done === batches) cb.evaluate?.(done);
    cb.onBatchEnd?.(done);
  }
  return { batches, stopped: false };
}
