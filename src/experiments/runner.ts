/**
 * The experiment runner: trains every entry of the sweep (methods × variants × seeds) one after
 * another into one folder with the training loop (loop.ts): evaluates on held-out data every
 * `evalEvery` batches (and before training), appends one JSON line per evaluation (and per
 * curriculum advance) to DIR/log.jsonl, writes checkpoints every `checkpointEvery` batches, and
 * at the end DIR/summary.json and DIR/*.svg. What is trained and evaluated comes from the task
 * and method specs (entry.ts).
 *
 * Determinism: every random number comes from generators seeded by the run seed, and everything
 * that changes during training is in the checkpoint, so a resumed run writes the same numbers
 * as an uninterrupted one (only the `seconds` field differs).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mkdirpSync, removeStaleTempFiles } from '../io/atomic.ts';
import { modelToJson } from '../io/model-json.ts';
import { createProgress, type ProgressStream } from './progress.ts';
import { describeStart, estimateRun, estimateTracker } from './estimate.ts';
import { getBackend } from '../tensor/ops.ts';
import { checkpointPath, saveCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, type CheckpointRunOptions } from './checkpoint.ts';
import { acquireRunLock } from './lock.ts';
import { checkRunMemory } from './memory.ts';
import { sweepEntries, type RunConfig } from './config.ts';
import { entryParts, entryRecord } from './entry.ts';
import { evalAlignment } from './evaluate.ts';
import { JsonlLog, readJsonl } from './log.ts';
import { TrainingDivergedError, trainLoop } from './loop.ts';
import { writeReport, type Summary } from './summary.ts';
import { taskSpec } from './tasks/index.ts';

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

/** Thrown by `stopAfter` (tests): the run stopped on purpose, its checkpoint is in place. */
export class RunStopped extends Error {
  constructor() {
    super('run stopped on request (stopAfter)');
    this.name = 'RunStopped';
  }
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
  const data = await taskSpec(config.task).load(config.taskOptions);
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

async function runInFolder(config: RunConfig, opts: RunOptions, data: unknown): Promise<Summary> {
  const entries = sweepEntries(config);
  const task = taskSpec(config.task);
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
    const estimate = estimateRun(config, data, left);
    print(describeStart(config, entries, left, estimate, getBackend().name, out));
    if (Number.isFinite(estimate.seconds)) eta = estimateTracker(config, left, estimate);
  }
  const progress = createProgress({ total, initial: Math.min(globalDone, total), label: config.task, ...(opts.progress ? { stream: opts.progress } : {}) });
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
      const { method, model, optimizer, learner, source, evaluation } = entryParts(config, entry, data, restore && { model: restore.model!, optimizer: restore.optimizer, source: restore.source });
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
      const base = entryRecord(config, entry);
      const evaluate = (batch: number) => {
        const fields = evaluation.run(model, source);
        const rec: Record<string, unknown> = { type: 'eval', ...base, batch, ...(config.batchesPerEpoch === null ? {} : { epoch: batch / config.batchesPerEpoch }) };
        rec.trainLoss = trainCount > 0 ? trainSum / trainCount : null;
        Object.assign(rec, fields);
        const bad = Object.keys(fields).find((k) => !Number.isFinite(fields[k]));
        if (bad) throw new TrainingDivergedError(batch, null, `the held-out ${bad}`);
        if (method.synthesiser) {
          const a = evalAlignment(model, evaluation.alignmentBatch(source), task.report.alignmentPerStep);
          if (!Number.isFinite(a.mean) || !Number.isFinite(a.whole)) throw new TrainingDivergedError(batch, null, 'the held-out alignment');
          rec.alignment = a;
        } else rec.alignment = null;
        trainSum = 0;
        trainCount = 0;
        rec.seconds = elapsed();
        log.append(rec);
        say(`[${progress.status(eta?.(i, batch))}] ${describeEval(rec, task.report.evalLabels)}`);
      };
      try {
        const { stopped } = trainLoop({
          learner,
          source,
          batches: config.batches,
          start: restore ? restore.batch : 0,
          evalEvery: config.evalEvery,
          callbacks: {
            stop: () => opts.stopAfter !== undefined && globalDone >= opts.stopAfter,
            onBatch(batch, loss, seq) {
              globalDone++;
              // the batch's loss is its mean per example: weight it by its examples (a short last batch counts less)
              trainSum += (source.trainValue ? source.trainValue(loss) : loss) * seq.B;
              trainCount += seq.B;
              const event = source.afterBatch?.(batch - 1, loss);
              if (event) {
                log.append({ type: event.record.type, ...base, ...event.record, seconds: elapsed() });
                say(`${entry.series}: ${event.message}`);
              }
              progress.tick(1, entry.series);
            },
            evaluate,
            onBatchEnd(batch) {
              if (opts.checkpointEvery > 0 && batch % opts.checkpointEvery === 0 && batch < config.batches) {
                checkpoint({ entry: i, batch, model: modelToJson(model), optimizer: optimizer.getState(), source: source.getState(), trainLoss: { sum: trainSum, count: trainCount }, seconds: elapsed() });
              }
            },
          },
        });
        if (stopped) throw new RunStopped();
      } catch (err) {
        if (!(err instanceof TrainingDivergedError)) throw err;
        log.append({ type: 'diverged', ...base, batch: err.batch, step: err.step, quantity: err.quantity });
        log.sync();
        const kept = lastCheckpoint ? `the last good checkpoint (${lastCheckpoint}) is kept in ${checkpointPath(out)}` : 'no checkpoint had been written yet';
        throw new RunDivergedError(`${err.message.replace(/^training diverged/, `training diverged: ${entry.series} (method ${entry.method}, ${base.computation})`)}. Stopped; ${kept}`);
      }
      checkpoint({ entry: i + 1, batch: 0, model: null, optimizer: null, source: null, trainLoss: { sum: 0, count: 0 }, seconds: 0 });
    }
  } finally {
    progress.done();
    log.close();
  }
  return writeReport(config, out, readJsonl(logPath));
}

function fmt(v: unknown): string {
  return typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : String(v);
}

/** The line printed for an evaluation: series, batch, loss, the task's labelled fields, alignment, seconds. */
function describeEval(rec: Record<string, unknown>, labels: Readonly<Record<string, string>>): string {
  const parts = [`${rec.series}: batch ${rec.batch}`, `loss ${fmt(rec.loss)}`];
  for (const [field, label] of Object.entries(labels)) if (rec[field] !== undefined) parts.push(`${label} ${Number.isInteger(rec[field]) ? rec[field] : fmt(rec[field])}`);
  const a = rec.alignment as { mean: number; whole: number } | null;
  if (a) parts.push(`alignment ${fmt(a.mean)} (whole ${fmt(a.whole)})`);
  parts.push(`${fmt(rec.seconds)} s`);
  return parts.join(', ');
}

/** Whether DIR already holds a run that can be resumed (a checkpoint). */
function folderHasRun(dir: string): boolean {
  return existsSync(checkpointPath(dir));
}
