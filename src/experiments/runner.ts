/**
 * The experiment runner: trains every entry of the sweep (methods × λ × seeds) one after another
 * into one folder, evaluates on held-out data every `evalEvery` batches (and before training),
 * appends one JSON line per evaluation (and per curriculum advance) to DIR/log.jsonl, writes
 * checkpoints every `checkpointEvery` batches, and at the end DIR/summary.json and DIR/*.svg.
 *
 * Determinism: every random number comes from generators seeded by the run seed, and everything
 * that changes during training is in the checkpoint, so a resumed run writes the same numbers
 * as an uninterrupted one (only the `seconds` field differs).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mkdirpSync, removeStaleTempFiles } from '../io/atomic.ts';
import { modelFromJson, modelToJson } from '../io/model-json.ts';
import { trainSequence } from '../learners/index.ts';
import { DivergenceError } from '../learners/learner.ts';
import type { Model } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import type { SeqBatch } from '../data/batch.ts';
import { mnistBatch, type MnistSplits } from '../tasks/seq-mnist.ts';
import { createProgress, type ProgressStream } from './progress.ts';
import { describeStart, estimateRun, estimateTracker } from './estimate.ts';
import { getBackend } from '../tensor/ops.ts';
import { checkpointPath, saveCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, type CheckpointRunOptions } from './checkpoint.ts';
import { acquireRunLock } from './lock.ts';
import { checkRunMemory } from './memory.ts';
import { isToy, sweepEntries, type RunConfig, type SweepEntry } from './config.ts';
import { bitsPerEntry, evalAlignment, evalClassifier, evalLoss } from './evaluate.ts';
import { computationOf, makeLearner, makeOptimizer } from './learner-factory.ts';
import { JsonlLog, readJsonl } from './log.ts';
import { writeReport, type Summary } from './summary.ts';
import { buildModel, copyRepeatEvalBatch, createSource, loadMnistSplits, toyEvalBatch } from './tasks.ts';
import { COPY_REPEAT_OUTPUT_SIZE } from '../tasks/copy-repeat.ts';

export interface RunOptions {
  /** the run folder (log, checkpoints, summary, plots) */
  out: string;
  /** write a checkpoint every this many batches (0: only at the end of each sweep entry) */
  checkpointEvery: number;
  /** continue from this checkpoint (read from `out`) */
  resume?: Checkpoint;
  /** progress line (drawn only on a TTY; default process.stderr) */
  progress?: ProgressStream;
  /**
   * one-line messages, TTY or not: a start line (what runs, the backend, a measured duration
   * estimate: see estimate.ts), one line per evaluation (with the progress and ETA of the
   * whole sweep), curriculum advances; default: none (and no estimate)
   */
  print?: (line: string) => void;
  /** stop after this many batches of the whole sweep (tests of resume); the checkpoint stays */
  stopAfter?: number;
  /** recorded in checkpoints as the run options a resume keeps (default 'js') */
  backend?: CheckpointRunOptions['backend'];
  /** recorded likewise (default false) */
  quiet?: boolean;
}

/** A run stopped because a quantity became NaN or infinite; the last good checkpoint is kept. */
export class RunDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDivergedError';
  }
}

const LOSS_OF = { toy: 'mse', 'line-draw': 'mse', 'seq-mnist': 'softmax-ce', 'copy-repeat': 'sigmoid-bce' } as const;

function allFinite(model: Model): string | null {
  for (const [group, params] of Object.entries(model.groups())) {
    for (const [name, t] of Object.entries(params as ParamGroup)) for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return `the parameter ${group}.${name}`;
  }
  return null;
}

/**
 * Runs (or, with `resume`, continues) the sweep in folder `out`. Before anything is written:
 * the memory the sizes need is checked and the data loaded. Then the folder is locked for this
 * run (RunFolderLockedError if another one holds it), temporary files of interrupted writes
 * are removed, and a fresh run refuses a folder that holds a checkpoint (a folder with only a
 * log, from a run stopped before its first checkpoint, is reused).
 */
export async function runExperiment(config: RunConfig, opts: RunOptions): Promise<Summary> {
  checkRunMemory(config);
  const data: MnistSplits | null = config.task === 'seq-mnist' ? await loadMnistSplits(config) : null;
  const { out } = opts;
  mkdirpSync(out);
  const lock = acquireRunLock(out);
  try {
    removeStaleTempFiles(out);
    if (!opts.resume && folderHasRun(out)) throw new Error(`run: ${out} already holds a run (checkpoint.json): continue it with --resume ${out}, or choose another --out`);
    return await runInFolder(config, opts, data);
  } finally {
    lock.release();
  }
}

async function runInFolder(config: RunConfig, opts: RunOptions, data: MnistSplits | null): Promise<Summary> {
  const entries = sweepEntries(config);
  const { out } = opts;
  const logPath = join(out, 'log.jsonl');
  const cp = opts.resume;
  const log = new JsonlLog(logPath, cp ? cp.logOffset : 0);
  const print = opts.print ?? (() => {});
  const runOptions: CheckpointRunOptions = { checkpointEvery: opts.checkpointEvery, backend: opts.backend ?? 'js', quiet: opts.quiet ?? false };
  const total = entries.length * config.batches;
  const startEntry = cp ? cp.entry : 0;
  let globalDone = startEntry * config.batches + (cp && cp.entry < entries.length ? cp.batch : 0);
  let eta: ((entryIndex: number, batchesDone: number) => number) | null = null;
  if (opts.print && startEntry < entries.length) {
    const left = entries.slice(startEntry).map((entry, k) => ({ entry, batchesDone: k === 0 && cp ? cp.batch : 0 }));
    const estimate = estimateRun(config, data, LOSS_OF[config.task], left);
    print(describeStart(config, entries, left, estimate, getBackend().name, out));
    if (Number.isFinite(estimate.seconds)) eta = estimateTracker(config, left, estimate);
  }
  const progress = createProgress({ total, initial: Math.min(globalDone, total), label: `${config.task}`, ...(opts.progress ? { stream: opts.progress } : {}) });
  /** A message line: the live progress line (TTY) is cleared first and redrawn at the next tick. */
  const say = (line: string) => {
    progress.clear();
    print(line);
  };
  let lastCheckpoint = cp ? `entry ${cp.entry + 1}/${entries.length}, batch ${cp.batch}` : null;

  const checkpoint = (state: Omit<Checkpoint, 'format' | 'version' | 'config' | 'runOptions' | 'logOffset'>) => {
    log.sync();
    saveCheckpoint(out, { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, config, runOptions, logOffset: log.offset, ...state });
    lastCheckpoint = `entry ${state.entry + 1}/${entries.length}, batch ${state.batch}`;
  };

  try {
    // a first checkpoint, so a run that diverges early still leaves one to resume from
    if (!cp && opts.checkpointEvery > 0) checkpoint({ entry: 0, batch: 0, model: null, optimizer: null, source: null, trainLoss: { sum: 0, count: 0 }, seconds: 0 });
    for (let i = startEntry; i < entries.length; i++) {
      const entry = entries[i];
      const restore = cp && i === cp.entry && cp.model !== null ? cp : null;
      const model = restore ? modelFromJson(restore.model, 'float64', 'checkpoint model') : buildModel(config, entry.seed);
      const optimizer = makeOptimizer(config);
      if (restore) optimizer.setState(restore.optimizer, model.groups());
      const learner = makeLearner(config, entry, model, LOSS_OF[config.task], optimizer);
      const source = createSource(config, entry.seed, data, restore ? restore.source : null);
      let batch = restore ? restore.batch : 0;
      let trainSum = restore ? restore.trainLoss.sum : 0;
      let trainCount = restore ? restore.trainLoss.count : 0;
      let seconds = restore ? restore.seconds : 0;
      let clock = performance.now();
      const elapsed = () => {
        const now = performance.now();
        seconds += (now - clock) / 1000;
        clock = now;
        return seconds;
      };
      const toyEval = isToy(config.task) ? toyEvalBatch(config, entry.seed) : null;
      const base = {
        series: entry.series,
        group: entry.group,
        method: entry.method,
        lambda: entry.lambda,
        gamma: config.gamma,
        truncation: entry.method === 'tbptt' || entry.method === 'sg' ? config.truncation : null,
        regime: entry.method === 'bp-lambda' ? config.regime : 'per-sequence',
        computation: computationOf(config, entry),
        seed: entry.seed,
      };
      const hasSynth = entry.method === 'sg' || entry.method === 'bp-lambda';

      const evaluate = () => {
        const rec: Record<string, unknown> = { type: 'eval', ...base, batch, epoch: batch / config.batchesPerEpoch };
        rec.trainLoss = trainCount > 0 ? trainSum / trainCount : null;
        const finite = (keys: string[]) => {
          const bad = keys.find((k) => rec[k] !== undefined && !Number.isFinite(rec[k] as number));
          if (bad) divergence(entry, batch, null, `the held-out ${bad}`);
        };
        let alignOn: SeqBatch;
        if (toyEval) {
          rec.loss = evalLoss(model, toyEval);
          alignOn = toyEval;
        } else if (config.task === 'seq-mnist') {
          const val = evalClassifier(model, data!.validation);
          const test = evalClassifier(model, data!.test);
          rec.loss = val.loss;
          rec.accuracy = val.accuracy;
          rec.testLoss = test.loss;
          rec.testAccuracy = test.accuracy;
          alignOn = mnistBatch(data!.validation.set, data!.validation.indices.subarray(0, Math.min(config.evalBatch, data!.validation.indices.length)));
        } else {
          const cur = source.curriculum!;
          alignOn = copyRepeatEvalBatch(config, entry.seed, cur.N, cur.R);
          const l = evalLoss(model, alignOn);
          rec.loss = l;
          rec.bits = bitsPerEntry(l, cur.N, cur.R, COPY_REPEAT_OUTPUT_SIZE);
          rec.N = cur.N;
          rec.R = cur.R;
          rec.T = cur.T;
        }
        finite(['loss', 'testLoss']);
        if (hasSynth) {
          const a = evalAlignment(model, alignOn, toyEval !== null);
          if (!Number.isFinite(a.mean) || !Number.isFinite(a.whole)) divergence(entry, batch, null, 'the held-out alignment');
          rec.alignment = a;
        } else rec.alignment = null;
        trainSum = 0;
        trainCount = 0;
        rec.seconds = elapsed();
        log.append(rec);
        say(`[${progress.status(eta?.(i, batch))}] ${describeEval(rec)}`);
        return rec;
      };

      const divergence = (e: SweepEntry, b: number, step: number | null, quantity: string): never => {
        log.append({ type: 'diverged', ...base, batch: b, step, quantity });
        log.sync();
        const where = step === null ? `after batch ${b}` : `at batch ${b + 1}, step ${step}`;
        const kept = lastCheckpoint ? `the last good checkpoint (${lastCheckpoint}) is kept in ${checkpointPath(out)}` : 'no checkpoint had been written yet';
        throw new RunDivergedError(`training diverged: ${e.series} (method ${e.method}, ${computationOf(config, e)}) ${where}: ${quantity} is not finite (NaN or Infinity). Stopped; ${kept}`);
      };

      if (batch === 0) evaluate();
      while (batch < config.batches) {
        if (opts.stopAfter !== undefined && globalDone >= opts.stopAfter) throw new RunStopped();
        const seq = source.next();
        let loss: number;
        try {
          loss = trainSequence(learner, seq).loss;
        } catch (err) {
          if (err instanceof DivergenceError) divergence(entry, batch, err.stepIndex, err.quantity);
          throw err;
        }
        const badParam = allFinite(model);
        if (badParam) divergence(entry, batch, null, badParam);
        batch++;
        globalDone++;
        if (config.task === 'copy-repeat') {
          const cur = source.curriculum!;
          const N = cur.N;
          const R = cur.R;
          const bits = bitsPerEntry(loss, N, R, COPY_REPEAT_OUTPUT_SIZE);
          trainSum += bits * seq.B;
          trainCount += seq.B;
          if (cur.observe(batch - 1, bits)) {
            log.append({ type: 'advance', ...base, batch, bits, fromN: N, fromR: R, N: cur.N, R: cur.R, T: cur.T, seconds: elapsed() });
            say(`${entry.series}: batch ${batch}: curriculum advanced to N=${cur.N} R=${cur.R} T=${cur.T}`);
          }
        } else {
          // loss is the batch mean: weight it by the batch's examples (a short last batch counts less)
          trainSum += loss * seq.B;
          trainCount += seq.B;
        }
        progress.tick(1, entry.series);
        if (batch % config.evalEvery === 0 || batch === config.batches) evaluate();
        if (opts.checkpointEvery > 0 && batch % opts.checkpointEvery === 0 && batch < config.batches) {
          checkpoint({ entry: i, batch, model: modelToJson(model), optimizer: optimizer.getState(), source: source.getState(), trainLoss: { sum: trainSum, count: trainCount }, seconds: elapsed() });
        }
      }
      checkpoint({ entry: i + 1, batch: 0, model: null, optimizer: null, source: null, trainLoss: { sum: 0, count: 0 }, seconds: 0 });
    }
  } finally {
    progress.done();
    log.close();
  }
  return writeReport(config, out, readJsonl(logPath));
}

/** Thrown by `stopAfter` (tests): the run stopped on purpose, its checkpoint is in place. */
export class RunStopped extends Error {
  constructor() {
    super('run stopped on request (stopAfter)');
    this.name = 'RunStopped';
  }
}


function fmt(v: unknown): string {
  return typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : String(v);
}

export function describeEval(rec: Record<string, unknown>): string {
  const parts = [`${rec.series}: batch ${rec.batch}`, `loss ${fmt(rec.loss)}`];
  if (rec.accuracy !== undefined) parts.push(`val acc ${fmt(rec.accuracy)}`, `test acc ${fmt(rec.testAccuracy)}`);
  if (rec.bits !== undefined) parts.push(`bits ${fmt(rec.bits)}`, `T ${rec.T}`);
  const a = rec.alignment as { mean: number; whole: number } | null;
  if (a) parts.push(`alignment ${fmt(a.mean)} (whole ${fmt(a.whole)})`);
  parts.push(`${fmt(rec.seconds)} s`);
  return parts.join(', ');
}

/** Whether DIR already holds a run that can be resumed (a checkpoint). */
export function folderHasRun(dir: string): boolean {
  return existsSync(checkpointPath(dir));
}
