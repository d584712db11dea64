/**
 * `fit(learner, data, options)`: epochs over a data source with validation, metrics, callbacks,
 * stopping and progress, in the manner of TensorFlow.js's `model.fit`/`fitDataset`. It is a
 * client of the library's one training loop (experiments/loop.ts, the loop `bp-lambda run`
 * drives): each epoch is one `trainLoopAsync` over a pass of the data, whose callbacks
 * accumulate the epoch's logs, validate and call the user's `onBatchEnd`. No Node built-ins:
 * it runs in browsers and workers.
 */
import type { SeqBatch } from '../data/batch.ts';
import { checkSeqBatch } from '../data/validate-batch.ts';
import { scoreBatch } from '../experiments/evaluate.ts';
import { TrainingDivergedError, trainLoopAsync, type LoopResult } from '../experiments/loop.ts';
import { formatDuration } from '../experiments/progress.ts';
import { checkBatchLoss, checkLearner, type Learner } from '../learners/learner.ts';
import { checkInt, checkObject, checkOptions, fail } from '../validate.ts';
import { checkFitData, openPass, type BatchPass, type FitData } from './data.ts';
import { checkMetricLoss, checkMetrics, MetricSums, type FitMetric, type Logs } from './metrics.ts';

/** A callback's result: returning `false` (or a promise of it) stops training at the next batch boundary. */
export type CallbackResult = void | boolean | PromiseLike<void | boolean>;

export interface FitCallbacks {
  /** After each training batch: `batch` its 0-based index in the epoch; logs `batch`, `size` (B), `loss`, `bits`, and `val_*` when validated after it. */
  onBatchEnd?(batch: number, logs: Logs): CallbackResult;
  /** After each completed epoch (0-based), its validation included; logs as in History. */
  onEpochEnd?(epoch: number, logs: Logs): CallbackResult;
  /** Once training ends (all epochs, or stopped), with the History `fit` returns. */
  onTrainEnd?(history: History): void | PromiseLike<void>;
}

/** What `onProgress` receives after each epoch. */
export interface FitProgress {
  /** the epoch just completed (0-based) and the number asked for */
  epoch: number;
  epochs: number;
  logs: Logs;
  /** seconds since fit started, and the estimated seconds left (mean epoch time × epochs left) */
  seconds: number;
  etaSeconds: number;
  /** the line `verbose` prints, e.g. "epoch 2/10 3s ETA 12s loss=0.3412 val_loss=0.3518" */
  line: string;
}

/** Anything with an `aborted` flag: an AbortSignal (from an AbortController). */
export interface AbortSignalLike {
  readonly aborted: boolean;
}

export interface FitOptions {
  /** passes over `data` (default 1) */
  epochs?: number;
  /** held-out data in the same forms as `data`, evaluated after each epoch with the parameters frozen */
  validationData?: FitData;
  /** also validate after every this many batches of an epoch (needs validationData) */
  validationEvery?: number;
  /** metrics besides the loss: "accuracy" (softmax-ce, on validationData) and "bits" (sigmoid-bce) */
  metrics?: FitMetric[];
  callbacks?: FitCallbacks;
  /** stops training at the next batch boundary once aborted */
  signal?: AbortSignalLike;
  /** print one line per epoch with console.log (default false) */
  verbose?: boolean;
  /** called after each epoch with its progress (the browser's way to show `verbose`'s line) */
  onProgress?(progress: FitProgress): void | PromiseLike<void>;
}

/** Per-epoch logs, as TensorFlow.js's History: `history.loss[i]` is the loss of epoch `epoch[i]`. */
export interface History {
  /** the completed epochs (0-based) */
  epoch: number[];
  /** per log name (`loss`, `bits`, `val_loss`, `val_accuracy`, `val_bits`), one value per completed epoch */
  history: Record<string, number[]>;
  /** whether a callback's `false` or the signal ended training before the last epoch completed */
  stopped: boolean;
}

const OPTION_KEYS = ['epochs', 'validationData', 'validationEvery', 'metrics', 'callbacks', 'signal', 'verbose', 'onProgress'] as const;
const CALLBACK_KEYS = ['onBatchEnd', 'onEpochEnd', 'onTrainEnd'] as const;

interface Checked {
  data: FitData;
  epochs: number;
  validationData: FitData | undefined;
  validationEvery: number | undefined;
  metrics: FitMetric[];
  callbacks: FitCallbacks;
  signal: AbortSignalLike | undefined;
  verbose: boolean;
  onProgress: FitOptions['onProgress'];
}

function checkFunction(v: unknown, name: string): void {
  if (v !== undefined && typeof v !== 'function') fail(name, 'a function', v);
}

/** Checks every argument before anything runs; each error names the argument, the expected and the received value. */
function checkFitArguments(learner: unknown, data: unknown, options: unknown): Checked {
  checkLearner(learner, 'fit: learner');
  const o = options === undefined ? {} : checkObject(options, 'fit: options');
  checkOptions(o, OPTION_KEYS, 'fit: options');
  const epochs = o.epochs === undefined ? 1 : checkInt(o.epochs, 'fit: options.epochs', 1);
  const validationData = o.validationData === undefined ? undefined : checkFitData(o.validationData, 'fit: options.validationData');
  const validationEvery = o.validationEvery === undefined ? undefined : checkInt(o.validationEvery, 'fit: options.validationEvery', 1);
  if (validationEvery !== undefined && validationData === undefined) fail('fit: options.validationEvery', 'validationData to validate on (none was given)', validationEvery);
  const metrics = checkMetrics(o.metrics, 'fit: options.metrics');
  if (metrics.includes('accuracy') && validationData === undefined) {
    fail('fit: options.validationData', 'held-out data for the metric "accuracy" in options.metrics (accuracy is measured with the parameters frozen, never on the batches being trained)', validationData);
  }
  const callbacks = o.callbacks === undefined ? {} : (checkObject(o.callbacks, 'fit: options.callbacks') as FitCallbacks);
  checkOptions(callbacks, CALLBACK_KEYS, 'fit: options.callbacks');
  for (const k of CALLBACK_KEYS) checkFunction(callbacks[k], `fit: options.callbacks.${k}`);
  const signal = o.signal as AbortSignalLike | undefined;
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) fail('fit: options.signal', 'an AbortSignal (with a boolean `aborted`)', signal);
  if (o.verbose !== undefined && typeof o.verbose !== 'boolean') fail('fit: options.verbose', 'a boolean', o.verbose);
  checkFunction(o.onProgress, 'fit: options.onProgress');
  return {
    data: checkFitData(data, 'fit: data'),
    epochs,
    validationData,
    validationEvery,
    metrics,
    callbacks,
    signal,
    verbose: o.verbose === true,
    onProgress: o.onProgress as FitOptions['onProgress'],
  };
}

/** Closes a pass; while another error propagates (`failing`), an error of the close itself is dropped. */
async function closePass(pass: BatchPass, failing: boolean): Promise<void> {
  try {
    await pass.close();
  } catch (err) {
    if (!failing) throw err;
  }
}

/** One pass over the validation data with the parameters frozen: val_loss and the metrics. */
async function validate(learner: Learner, data: FitData, metrics: readonly FitMetric[]): Promise<Logs> {
  const model = learner.model;
  const sums = new MetricSums();
  const pass = openPass(data, 'fit: options.validationData', (batch, i) => {
    const name = `fit: options.validationData: batch[${i}]`;
    checkSeqBatch(batch, model, name);
    checkBatchLoss(batch, learner, name);
    checkMetricLoss(metrics, batch, name);
  });
  let failing = true;
  try {
    for (let batch = await pass.next(); batch !== null; batch = await pass.next()) sums.add(scoreBatch(model, batch), model.outputSize);
    failing = false;
  } finally {
    await closePass(pass, failing);
  }
  if (pass.count === 0) fail('fit: options.validationData', 'at least one batch per pass (a generator is used up after one pass: pass an array or a function returning a fresh iterable)', 'none');
  return sums.logs(metrics, 'val_', true);
}

function logsText(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k}=${Number.isFinite(v) ? v.toPrecision(4) : v}`)
    .join(' ');
}

/**
 * Trains `learner` for `epochs` passes over `data` (arrays, iterables or async iterables of
 * SeqBatch, or a function returning a fresh one per epoch), each batch by `trainSequence` (a
 * whole sequence, its last step terminal), through the library's training loop. The optimizer is
 * the learner's: fit creates none (a learner built without `optimizer` keeps its parameters and
 * fit only measures its loss).
 *
 * Per epoch: the batches in order, `onBatchEnd(batch, logs)` after each (awaited); validation on
 * `validationData` every `validationEvery` batches and after the epoch's last, with the
 * parameters frozen; `verbose`/`onProgress`; `onEpochEnd(epoch, logs)`. Then `onTrainEnd(history)`.
 * Logs: `loss` (mean per example, MATH.md §1), `bits` (sigmoid-bce, bits per output entry),
 * `val_loss`, `val_accuracy` (softmax-ce: the arg max of ŷ_t against the target's at every step
 * with a target), `val_bits` (metrics.ts).
 *
 * Stopping: a callback returning `false`, or `signal` aborted, stops at the next batch boundary;
 * the epoch in progress then ends without validation or onEpochEnd, and the History holds the
 * completed epochs with `stopped: true` (onEpochEnd's `false` stops before the next epoch).
 *
 * Errors: every argument is checked first (the error names it, the expected and the received
 * value); each batch is checked before it is trained (`fit: data (epoch e) batch[i]…`). A batch
 * that diverges (a loss, state, gradient or update not finite) throws TrainingDivergedError
 * naming the epoch, the batch and the step; the model and the optimizer are left as they were
 * before that step (the earlier steps of the batch applied, as the learner's regime does).
 */
export async function fit(learner: Learner, data: FitData, options?: FitOptions): Promise<History> {
  const o = checkFitArguments(learner, data, options);
  const { callbacks: cb, metrics } = o;
  const model = learner.model;
  const trainingMetrics = metrics.filter((m) => m !== 'accuracy');
  const history: History = { epoch: [], history: {}, stopped: false };
  let stopRequested = false;
  const stop = () => stopRequested || o.signal?.aborted === true;
  const started = performance.now();

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    if (stop()) {
      history.stopped = true;
      break;
    }
    const train = new MetricSums();
    let batchLogs: Logs = {};
    let validated: Logs | null = null;
    let validatedAt = -1;
    const pass = openPass(o.data, 'fit: data', (batch: SeqBatch, i: number) => {
      const name = `fit: data (epoch ${epoch + 1}) batch[${i}]`;
      checkSeqBatch(batch, model, name);
      checkBatchLoss(batch, learner, name);
      checkMetricLoss(trainingMetrics, batch, name);
    });
    let result: LoopResult;
    let failing = true;
    try {
      result = await trainLoopAsync({
        learner,
        source: pass,
        evaluateFirst: false,
        evalEvery: o.validationEvery,
        callbacks: {
          stop,
          onBatch(k, loss, batch) {
            train.addTraining(loss, batch);
            const one = new MetricSums();
            one.addTraining(loss, batch);
            batchLogs = { batch: k - 1, size: batch.B, ...one.logs(trainingMetrics, '', false) };
          },
          evaluate: o.validationData && (async (k) => {
            validated = await validate(learner, o.validationData!, metrics);
            validatedAt = k;
          }),
          async onBatchEnd(k) {
            const logs = validatedAt === k ? { ...batchLogs, ...validated } : batchLogs;
            if ((await cb.onBatchEnd?.(k - 1, logs)) === false) stopRequested = true;
          },
        },
      });
      failing = false;
    } catch (err) {
      if (err instanceof TrainingDivergedError) throw new TrainingDivergedError(err.batch, err.step, err.quantity, epoch);
      throw err;
    } finally {
      await closePass(pass, failing);
    }
    if (result.stopped) {
      history.stopped = true;
      break;
    }
    if (pass.count === 0) fail(`fit: data (epoch ${epoch + 1})`, 'at least one batch per epoch (a generator is used up after one pass: pass an array or a function returning a fresh iterable)', 'none');

    const logs: Logs = { ...train.logs(trainingMetrics, '', false), ...(validatedAt === result.batches ? validated : {}) };
    history.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) (history.history[k] ??= []).push(v);
    if (o.verbose || o.onProgress) {
      const seconds = (performance.now() - started) / 1000;
      const etaSeconds = (seconds / (epoch + 1)) * (o.epochs - epoch - 1);
      const line = `epoch ${epoch + 1}/${o.epochs} ${formatDuration(seconds)} ETA ${formatDuration(etaSeconds)} ${logsText(logs)}`;
      if (o.verbose) console.log(line);
      await o.onProgress?.({ epoch, epochs: o.epochs, logs, seconds, etaSeconds, line });
    }
    if ((await cb.onEpochEnd?.(epoch, logs)) === false) stopRequested = true;
  }
  await cb.onTrainEnd?.(history);
  return history;
}
