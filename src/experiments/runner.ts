/**
 * The experiment runner: a run folder DIR holds the sweep (methods × variants × seeds) as one
 * folder per entry (DIR/entries/…: its lock, checkpoint and log; entry-run.ts), trained one
 * after another in this process, or `jobs` at a time in child processes (entry-process.ts),
 * with the same numbers either way. `shard` runs every N-th entry only, so a sweep can be
 * spread over machines (their folders merge: summary.ts). DIR/run.json records the settings,
 * the run options and the provenance of every invocation; DIR/log.jsonl is the entries' logs
 * in sweep order, DIR/summary.json and DIR/*.svg the report, written once every entry of the
 * shard has finished.
 */
import { fork } from 'node:child_process';
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileKind, fsErrorText, mkdirpSync, statOrNull, removeStaleTempFiles, writeFileAtomicSync } from '../io/atomic.ts';
import { getBackend } from '../tensor/ops.ts';
import { sweepEntries, type RunConfig, type SweepEntry } from './config.ts';
import { entryCheckpoint, entryFinished, entryFolder, RunDivergedError, runEntry, type EntryEvents } from './entry-run.ts';
import type { EntryMessage } from './entry-process.ts';
import { describeStart, estimateRun, estimateTracker } from './estimate.ts';
import { acquireRunLock } from './lock.ts';
import { readJsonl } from './log.ts';
import { checkRunMemory } from './memory.ts';
import { createProgress, type ProgressStream } from './progress.ts';
import { provenance } from './provenance.ts';
import { folderHasRun, loadRunRecord, RUN_FORMAT, RUN_VERSION, saveRunRecord, shardEntries, type RunOptionsRecord, type RunRecord, type Shard } from './run-record.ts';
import { writeReport, type Summary } from './summary.ts';
import { taskSpec } from './tasks/index.ts';

export { RunDivergedError };

export interface RunOptions {
  /** the run folder (run.json, entries/, log, summary, plots) */
  out: string;
  /** write each entry's checkpoint every this many batches (0: only when it finishes) */
  checkpointEvery: number;
  /** continue the run in `out` (its run.json holds the same config) */
  resume?: boolean;
  /** progress line (drawn only on a TTY; default process.stderr) */
  progress?: ProgressStream;
  /**
   * one-line messages, TTY or not: a start line (what runs, the backend, a measured duration
   * estimate: see estimate.ts), one line per evaluation (with the progress and ETA of the
   * whole sweep), curriculum advances; default: none (and no estimate)
   */
  print?: (line: string) => void;
  /** stop after this many batches of the whole sweep (tests of resume; `jobs` 1 only); the checkpoints stay */
  stopAfter?: number;
  /** recorded in run.json as the run options a resume keeps (default 'js') */
  backend?: RunOptionsRecord['backend'];
  /** recorded likewise (default false) */
  quiet?: boolean;
  /** entries trained at once, each in a child process (default 1: one after another, in this process) */
  jobs?: number;
  /** run every N-th entry only (default: all) */
  shard?: Shard | null;
}

/** Thrown by `stopAfter` (tests): the run stopped on purpose, its checkpoints are in place. */
export class RunStopped extends Error {
  constructor() {
    super('run stopped on request (stopAfter)');
    this.name = 'RunStopped';
  }
}

/**
 * Runs (or, with `resume`, continues) the sweep in folder `out`. Before anything is written: the
 * memory the sizes need (times the entries trained at once) is checked and the data loaded.
 * Then the folder is locked for this run (RunFolderLockedError if another one holds it),
 * temporary files of interrupted writes are removed, and a fresh run refuses a folder that
 * already holds a run. Each entry is locked in turn, so entries of one folder can also be run
 * by several invocations with different shards.
 */
export async function runExperiment(config: RunConfig, opts: RunOptions): Promise<Summary> {
  const started = Date.now();
  const jobs = opts.jobs ?? 1;
  const shard = opts.shard ?? null;
  if (opts.stopAfter !== undefined && jobs !== 1) throw new Error('runExperiment: stopAfter needs jobs 1');
  const entries = sweepEntries(config);
  if (shard && shard.count > entries.length) throw new Error(`run: --shard ${shard.index}/${shard.count}: the sweep has ${entries.length} entries, fewer than the shards`);
  const mine = shardEntries(entries.length, shard);
  checkRunMemory(config, Math.min(jobs, mine.length));
  // the parent needs the data to train in-process, or to time the probes of the estimate
  const data = jobs === 1 || opts.print ? await taskSpec(config.task).load(config.taskOptions) : null;
  const { out } = opts;
  const lock = takeRunFolder(out);
  const stopHandling = handleInterrupts(out);
  try {
    removeStaleTempFiles(out);
    if (!opts.resume && folderHasRun(out)) throw new Error(`run: ${out} already holds a run (run.json): continue it with --resume ${out}, or choose another --out`);
    const runOptions: RunOptionsRecord = { checkpointEvery: opts.checkpointEvery, backend: opts.backend ?? 'js', quiet: opts.quiet ?? false, jobs, shard };
    const record: RunRecord = opts.resume ? loadRunRecord(out) : { format: RUN_FORMAT, version: RUN_VERSION, config, runOptions, invocations: [] };
    if (JSON.stringify(record.config) !== JSON.stringify(config)) throw new Error(`run: ${out} holds a run with other settings (its run.json)`);
    record.runOptions = runOptions;
    saveRunRecord(out, record);
    const trained: number[] = [];
    const shardText = shard ? `${shard.index}/${shard.count}` : null;
    try {
      await runEntries(config, opts, data, entries, mine, trained);
    } finally {
      mergeLogs(out, entries);
      record.invocations.push(provenance(started, { backend: getBackend().name, jobs, shard: shardText, entries: trained }));
      saveRunRecord(out, record);
    }
    return writeReport(config, out, readJsonl(join(out, 'log.jsonl')), record.invocations);
  } finally {
    stopHandling();
    lock.release();
  }
}

/**
 * While a run holds its folder, SIGINT (Ctrl-C) and SIGTERM end it cleanly: one line on standard
 * error, "run: interrupted: continue with --resume DIR" (each entry then continues from its last
 * checkpoint), the run's and the entries' locks removed by their exit handlers, and exit code
 * 128 + the signal's number (130, 143), as a shell reports a process ended by it. Child
 * processes (--jobs) stop when their channel to this process closes. A reader that closes
 * standard output (`run … | head`) stops the run the same way, "run: standard output closed:
 * stopped: continue with --resume DIR", exit code 141 (128 + SIGPIPE): an unfinished run never
 * ends with 0. Returns the remover.
 */
function handleInterrupts(out: string): () => void {
  const stop = (why: string, code: number) => {
    const how = folderHasRun(out) ? `continue with --resume ${out}` : `the run had not started in ${out}: start it again`;
    try {
      writeSync(2, `\nrun: ${why}: ${how}\n`);
    } catch {
      // standard error is gone: the exit code still tells
    }
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => stop('interrupted', signal === 'SIGINT' ? 130 : 143);
  // before the command line's own handler, which ends a closed filter's output with 0
  const onOutputError = (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') stop('standard output closed: stopped', 141);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.prependListener('error', onOutputError);
  return () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.stdout.removeListener('error', onOutputError);
  };
}

/**
 * Creates the run folder `out` (and its parents) and locks it; a path that cannot be a run
 * folder (a file, a device, a place where no folder can be made or written) is an error naming
 * --out, the path and what is wrong.
 */
function takeRunFolder(out: string): ReturnType<typeof acquireRunLock> {
  const where = `run: --out ${JSON.stringify(out)}`;
  if (out === '') throw new Error(`${where}: expected a folder path, received ""`);
  const st = statOrNull(out); // null: a new folder
  if (st !== null && !st.isDirectory()) throw new Error(`${where}: exists and is ${fileKind(st)}, not a folder; give a folder for the run`);
  try {
    mkdirpSync(out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const base = code === 'ENOENT' ? existingAncestor(out) : null;
    throw new Error(`${where}: cannot create the run folder: ${base !== null ? `${base} exists, but no folder can be made in it (ENOENT)` : fsErrorText(e)}`);
  }
  try {
    return acquireRunLock(out);
  } catch (e) {
    if (typeof (e as NodeJS.ErrnoException).code !== 'string') throw e;
    throw new Error(`${where}: cannot write in the run folder: ${fsErrorText(e)}`);
  }
}

/** The nearest folder above `path` that exists. */
function existingAncestor(path: string): string {
  let p = dirname(resolve(path));
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Trains this invocation's entries that have not finished: in this process (jobs 1) or in child processes. */
async function runEntries(config: RunConfig, opts: RunOptions, data: unknown, entries: SweepEntry[], mine: number[], trained: number[]): Promise<void> {
  const { out } = opts;
  const count = entries.length;
  const done = new Map<number, number>();
  const left: { entry: SweepEntry; batchesDone: number }[] = [];
  for (const i of mine) {
    const cp = entryCheckpoint(out, entries[i], count);
    done.set(i, cp ? cp.batch : 0);
    if (!entryFinished(cp, config)) left.push({ entry: entries[i], batchesDone: cp ? cp.batch : 0 });
  }
  const jobs = Math.min(opts.jobs ?? 1, Math.max(left.length, 1));
  const print = opts.print ?? (() => {});
  const total = mine.length * config.batches;
  let globalDone = [...done.values()].reduce((a, b) => a + b, 0);
  let eta: (() => number) | null = null;
  if (opts.print && left.length > 0) {
    const estimate = estimateRun(config, data, left, jobs);
    const where = [opts.shard ? `shard ${opts.shard.index}/${opts.shard.count}` : '', jobs > 1 ? `${jobs} jobs` : ''].filter(Boolean).join(', ');
    print(describeStart(config, mine.map((i) => entries[i]), left, estimate, getBackend().name, out + (where ? ` (${where})` : '')));
    if (Number.isFinite(estimate.seconds)) {
      const tracker = estimateTracker(config, left, estimate, jobs);
      eta = () => tracker((i) => done.get(i) ?? 0);
    }
  }
  const progress = createProgress({ total: Math.max(total, 1), initial: Math.min(globalDone, total), label: config.task, ...(opts.progress ? { stream: opts.progress } : {}) });
  const labels = taskSpec(config.task).report.evalLabels;
  /** A message line: the live progress line (TTY) is cleared first and redrawn at the next tick. */
  const say = (line: string) => {
    progress.clear();
    print(line);
  };
  const events = (entry: SweepEntry): EntryEvents => ({
    batch() {
      globalDone++;
      done.set(entry.index, (done.get(entry.index) ?? 0) + 1);
      progress.tick(1, entry.series);
    },
    evaluated: (rec) => say(`[${progress.status(eta?.())}] ${describeEval(rec, labels)}`),
    message: say,
  });
  try {
    if (jobs === 1) {
      for (const { entry } of left) {
        trained.push(entry.index);
        const stop = () => opts.stopAfter !== undefined && globalDone >= opts.stopAfter;
        if ((await runEntry({ config, out, data, checkpointEvery: opts.checkpointEvery, events: events(entry), stop }, entry, count)) === 'stopped') throw new RunStopped();
        mergeLogs(out, entries);
      }
    } else {
      await inChildProcesses(out, left.map((l) => l.entry), jobs, events, trained, say);
    }
  } finally {
    progress.done();
  }
}

/** The child process's module: entry-process.ts beside this file (or .js in the built package). */
const ENTRY_PROCESS = fileURLToPath(new URL(`./entry-process${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * Trains `todo` in up to `jobs` child processes at once, in sweep order. After a failure no new
 * entry is started; those running finish, then the first failure is thrown.
 */
function inChildProcesses(out: string, todo: SweepEntry[], jobs: number, events: (e: SweepEntry) => EntryEvents, trained: number[], say: (line: string) => void): Promise<void> {
  // running from the TypeScript sources: the child needs the same loader
  const execArgv = ENTRY_PROCESS.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  const queue = [...todo];
  let failure: Error | null = null;
  let running = 0;
  return new Promise((resolve, reject) => {
    const next = () => {
      while (failure === null && running < jobs && queue.length > 0) start(queue.shift()!);
      if (running === 0) (failure ? reject(failure) : resolve());
    };
    const start = (entry: SweepEntry) => {
      running++;
      trained.push(entry.index);
      const ev = events(entry);
      let outcome: EntryMessage | null = null;
      const child = fork(ENTRY_PROCESS, [out, String(entry.index)], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      child.on('message', (m: EntryMessage) => {
        if (m.type === 'batch') ev.batch();
        else if (m.type === 'eval') ev.evaluated(m.record);
        else if (m.type === 'message') ev.message(m.text);
        else outcome = m;
      });
      child.on('error', (e) => (outcome ??= { type: 'error', message: e.message }));
      child.on('close', (code, signal) => {
        running--;
        const o = outcome as EntryMessage | null;
        if (o?.type !== 'done') {
          const why = o && 'message' in o ? o.message : `its process ended (${signal ?? `exit code ${code}`}) before the entry finished`;
          failure ??= o?.type === 'diverged' ? new RunDivergedError(why) : new Error(`run: entry ${entry.index} (${entry.series}): ${why}`);
          if (queue.length) say(`${entry.series}: stopped (${why.split('. ')[0]}); no further entries are started, those running finish`);
        }
        next();
      });
    };
    next();
  });
}

/** DIR/log.jsonl: the logs of the entries present in the folder, in sweep order (rewritten atomically). */
function mergeLogs(out: string, entries: readonly SweepEntry[]): void {
  let text = '';
  for (const e of entries) {
    const path = join(entryFolder(out, e, entries.length), 'log.jsonl');
    if (existsSync(path)) text += readFileSync(path, 'utf8');
  }
  writeFileAtomicSync(join(out, 'log.jsonl'), text);
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
