/**
 * One sweep entry in its own folder (DIR/entries/NNN-series/: run.lock, checkpoint.json,
 * log.jsonl), trained by the training loop (loop.ts) with what its task and method specs build
 * (entry.ts): it evaluates on held-out data every `evalEvery` batches (and before training),
 * appends one JSON line per evaluation and per curriculum advance to its log, and writes a
 * checkpoint every `checkpointEvery` batches and when it finishes. Whether it runs in the
 * process of `run` or in a child process of `run --jobs N` (entry-process.ts), it writes the
 * same bytes.
 *
 * Determinism: every random number comes from generators seeded by the run seed, and
 * everything that changes during training is in the checkpoint, so a resumed entry writes the
 * same numbers as an uninterrupted one (only the `seconds` field differs).
 */
import { join } from 'node:path';
import { mkdirpSync, removeStaleTempFiles } from '../io/atomic.ts';
import { modelToJson } from '../io/model-json.ts';
import { checkpointPath, loadCheckpoint, saveCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint } from './checkpoint.ts';
import type { RunConfig, SweepEntry } from './config.ts';
import { entryParts, entryRecord } from './entry.ts';
import { evalAlignment } from './evaluate.ts';
import { acquireRunLock } from './lock.ts';
import { JsonlLog } from './log.ts';
import { TrainingDivergedError, trainLoopAsync } from './loop.ts';
import { taskSpec } from './tasks/index.ts';

/** A run stopped because a quantity became NaN or infinite; the last good checkpoint is kept. */
export class RunDivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunDivergedError';
  }
}

/** What an entry reports while it trains (the runner prints it, or a child process sends it). */
export interface EntryEvents {
  /** one more batch trained */
  batch(): void;
  /** an evaluation, as logged */
  evaluated(record: Record<string, unknown>): void;
  /** a one-line event (a curriculum advance) */
  message(text: string): void;
}

export interface EntryRun {
  config: RunConfig;
  /** the run folder; the entry works in entryFolder(out, …) */
  out: string;
  /** the task's data (TaskSpec.load) */
  data: unknown;
  /** a checkpoint every this many batches (0: only when the entry finishes) */
  checkpointEvery: number;
  events: EntryEvents;
  /** asked before each batch: true stops the entry there, without a checkpoint (tests of resume) */
  stop?: () => boolean;
}

/** Entry folders' names: the index, zero-padded, then the series in file-name characters, e.g. "003-bp-lambda-lambda0.5-seed1". */
export function entryFolder(out: string, entry: SweepEntry, count: number): string {
  const slug = entry.series
    .replace(/λ=/g, 'lambda')
    .replace(/=/g, '')
    .replace(/\s+/g, '-')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  return join(out, 'entries', `${String(entry.index).padStart(Math.max(3, String(count - 1).length), '0')}-${slug}`);
}

/** The entry's state in its folder: its checkpoint, or null when it has not saved one yet. */
export function entryCheckpoint(out: string, entry: SweepEntry, count: number): Checkpoint | null {
  return loadCheckpoint(entryFolder(out, entry, count));
}

/** Whether the entry has finished (its checkpoint says so). */
export function entryFinished(cp: Checkpoint | null, config: RunConfig): boolean {
  return cp !== null && cp.batch === config.batches;
}

/**
 * Trains entry `entry` to the end, from its checkpoint if it has one (a finished entry is left
 * as it is). Returns 'stopped' when `stop` ended it early. Throws RunDivergedError (after
 * logging a `diverged` record) when training produces NaN or Infinity, and
 * RunFolderLockedError when another process holds the entry's folder.
 */
export async function runEntry(run: EntryRun, entry: SweepEntry, count: number): Promise<'done' | 'stopped'> {
  const { config } = run;
  const dir = entryFolder(run.out, entry, count);
  mkdirpSync(dir);
  const lock = acquireRunLock(dir);
  try {
    removeStaleTempFiles(dir);
    const cp = loadCheckpoint(dir);
    if (cp !== null && (cp.entry !== entry.index || JSON.stringify(cp.config) !== JSON.stringify(config))) {
      throw new Error(`run: ${checkpointPath(dir)} is not entry ${entry.index} of this run (a folder copied from another run?)`);
    }
    if (entryFinished(cp, config)) return 'done';
    return await train(run, entry, dir, cp);
  } finally {
    lock.release();
  }
}

/**
 * Training hands the event loop a turn at most this often (ms), between batches: the process
 * then reacts to an interrupt (SIGINT, SIGTERM) or its parent going away while it trains. The
 * loop runs the same statements in the same order either way (loop.ts), so the numbers do not
 * depend on it.
 */
const YIELD_MS = 100;

async function train(run: EntryRun, entry: SweepEntry, dir: string, cp: Checkpoint | null): Promise<'done' | 'stopped'> {
  const { config, events } = run;
  const task = taskSpec(config.task);
  const log = new JsonlLog(join(dir, 'log.jsonl'), cp ? cp.logOffset : 0);
  const restore = cp && cp.model !== null ? cp : null;
  const { method, model, optimizer, learner, source, evaluation } = entryParts(config, entry, run.data, restore && { model: restore.model!, optimizer: restore.optimizer, source: restore.source });
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
  let lastCheckpoint = restore ? restore.batch : null;
  const checkpoint = (state: Pick<Checkpoint, 'batch' | 'model' | 'optimizer' | 'source' | 'trainLoss' | 'seconds'>) => {
    log.sync();
    saveCheckpoint(dir, { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, config, entry: entry.index, logOffset: log.offset, ...state });
    lastCheckpoint = state.batch;
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
    events.evaluated(rec);
  };
  try {
    let lastYield = performance.now();
    const { stopped } = await trainLoopAsync({
      learner,
      source,
      batches: config.batches,
      start: restore ? restore.batch : 0,
      evalEvery: config.evalEvery,
      callbacks: {
        stop: () => {
          if (run.stop?.()) return true;
          if (performance.now() - lastYield < YIELD_MS) return false;
          // give the event loop a turn: a signal (SIGINT, SIGTERM) or a closed IPC channel is handled here
          return new Promise<boolean>((resolve) =>
            setImmediate(() => {
              lastYield = performance.now();
              resolve(run.stop?.() ?? false);
            }),
          );
        },
        onBatch(batch, loss, seq) {
          // the batch's loss is its mean per example: weight it by its examples (a short last batch counts less)
          trainSum += (source.trainValue ? source.trainValue(loss) : loss) * seq.B;
          trainCount += seq.B;
          const event = source.afterBatch?.(batch - 1, loss);
          if (event) {
            log.append({ type: event.record.type, ...base, ...event.record, seconds: elapsed() });
            events.message(`${entry.series}: ${event.message}`);
          }
          events.batch();
        },
        evaluate,
        onBatchEnd(batch) {
          if (run.checkpointEvery > 0 && batch % run.checkpointEvery === 0 && batch < config.batches) {
            checkpoint({ batch, model: modelToJson(model), optimizer: optimizer.getState(), source: source.getState(), trainLoss: { sum: trainSum, count: trainCount }, seconds: elapsed() });
          }
        },
      },
    });
    if (stopped) return 'stopped';
    checkpoint({ batch: config.batches, model: null, optimizer: null, source: null, trainLoss: { sum: 0, count: 0 }, seconds: elapsed() });
    return 'done';
  } catch (err) {
    if (!(err instanceof TrainingDivergedError)) throw err;
    log.append({ type: 'diverged', ...base, batch: err.batch, step: err.step, quantity: err.quantity });
    log.sync();
    const kept = lastCheckpoint !== null ? `the last good checkpoint (batch ${lastCheckpoint}) is kept in ${checkpointPath(dir)}` : `no checkpoint had been written yet in ${dir}`;
    throw new RunDivergedError(`${err.message.replace(/^training diverged/, `training diverged: ${entry.series} (method ${entry.method}, ${base.computation})`)}. Stopped; ${kept}`);
  } finally {
    log.close();
  }
}
