/**
 * The start line of `bp-lambda run`: what the run will train, and how long it should take.
 *
 * The duration is measured, not modelled: each group of the sweep (a method, and λ for
 * bp-lambda) trains PROBE_BATCHES batches on a throwaway copy of its first run (model, optimizer
 * and data source built and seeded as the runner builds them, so the run's own numbers are not
 * touched), the fastest batch giving its seconds per batch, and one evaluation of that copy is
 * timed (where the task says so, on part of a large held-out set, scaled to its size: seq-mnist).
 * Then
 *   estimate = Σ_{runs left} (batches left · s per batch of its group + evaluations left · s per evaluation).
 * A task with a curriculum (copy-repeat) is probed at its first level: later levels have longer
 * sequences, so its estimate is a lower bound.
 */
import { trainSequence } from '../learners/index.ts';
import type { RunConfig, SweepEntry } from './config.ts';
import { entryParts } from './entry.ts';
import { evalAlignment } from './evaluate.ts';
import { methodSpec } from './methods/index.ts';
import { formatDuration } from './progress.ts';
import { taskSpec } from './tasks/index.ts';

/** Training batches timed per group (the first one also warms the JIT up). */
export const PROBE_BATCHES = 2;
/** A run of the sweep still to train, from batch `batchesDone` on. */
export interface RunLeft {
  entry: SweepEntry;
  batchesDone: number;
}

export interface RunEstimate {
  /** estimated seconds for everything left; NaN when a probe failed (a diverging setting, say) */
  seconds: number;
  /** measured seconds per training batch, by group */
  batchSeconds: Record<string, number>;
  /** measured seconds per evaluation, by group */
  evalSeconds: Record<string, number>;
}

/** Evaluations a run makes from batch `done` on: at 0 (when not started), every `evalEvery`, and at the end. */
export function evaluationsLeft(config: Pick<RunConfig, 'batches' | 'evalEvery'>, done: number): number {
  const { batches, evalEvery } = config;
  let n = done === 0 ? 1 : 0;
  n += Math.floor(batches / evalEvery) - Math.floor(done / evalEvery);
  if (batches % evalEvery !== 0 && done < batches) n++;
  return n;
}

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

/** Times every group of `left` on throwaway copies (see the file comment) and adds up the runs left, `jobs` at a time. */
export function estimateRun(config: RunConfig, data: unknown, left: readonly RunLeft[], jobs = 1): RunEstimate {
  const batchSeconds: Record<string, number> = {};
  const evalSeconds: Record<string, number> = {};
  try {
    for (const { entry } of left) {
      if (entry.group in batchSeconds) continue;
      const { method, model, learner, source, evaluation } = entryParts(config, entry, data);
      let best = Infinity;
      for (let i = 0; i < PROBE_BATCHES; i++) {
        const batch = source.next();
        best = Math.min(best, seconds(() => trainSequence(learner, batch)));
      }
      batchSeconds[entry.group] = best;
      // one evaluation, as the runner's (the task may time part of a large held-out set and scale)
      const evalTime = evaluation.seconds ? evaluation.seconds(model, source) : seconds(() => evaluation.run(model, source));
      const alignOn = evaluation.alignmentBatch(source);
      evalSeconds[entry.group] = evalTime + (method.synthesiser ? seconds(() => evalAlignment(model, alignOn, false)) : 0);
    }
  } catch {
    return { seconds: NaN, batchSeconds, evalSeconds };
  }
  return { seconds: makespan(runSeconds(config, left, { batchSeconds, evalSeconds }), jobs), batchSeconds, evalSeconds };
}

/** Per run left: batches left · s per batch + evaluations left · s per evaluation, with the measured costs. */
function runSeconds(config: RunConfig, left: readonly RunLeft[], costs: Pick<RunEstimate, 'batchSeconds' | 'evalSeconds'>): number[] {
  return left.map(({ entry, batchesDone }) => (config.batches - batchesDone) * costs.batchSeconds[entry.group] + evaluationsLeft(config, batchesDone) * costs.evalSeconds[entry.group]);
}

/** The wall time of runs of these durations, `jobs` at a time, each started in order when a job is free. */
function makespan(durations: readonly number[], jobs: number): number {
  const free = new Array<number>(Math.max(1, Math.min(jobs, durations.length))).fill(0);
  for (const d of durations) {
    const k = free.indexOf(Math.min(...free));
    free[k] += d;
  }
  return Math.max(...free);
}

/**
 * The ETA during a run, from the estimate rather than from the average rate (which misleads in a
 * sweep whose methods differ in cost): the estimated wall time of what is left, the runs
 * `jobs` at a time (`progress(i)`: the batches done by sweep entry i), scaled by how the run has
 * gone against the estimate so far (elapsed seconds / estimated seconds of the part done). NaN
 * when the estimate is.
 */
export function estimateTracker(config: RunConfig, left: readonly RunLeft[], estimate: RunEstimate, jobs = 1, now: () => number = () => performance.now()): (progress: (entryIndex: number) => number) => number {
  const start = now();
  return (progress) => {
    const rest = left.map((r) => ({ entry: r.entry, batchesDone: Math.max(r.batchesDone, progress(r.entry.index)) }));
    const remaining = makespan(runSeconds(config, rest, estimate).filter((s) => s > 0), jobs);
    const doneEstimated = estimate.seconds - remaining;
    const elapsed = (now() - start) / 1000;
    return doneEstimated > 0 && elapsed > 0 ? (remaining * elapsed) / doneEstimated : remaining;
  };
}

function list(values: readonly (string | number)[]): string {
  return values.join(', ');
}

/**
 * The start line, e.g. `toy: 6 runs (bp-lambda λ=0, bp-lambda λ=1 × seeds 1, 2, 3), 500 batches
 * each, B=10 T=30 H=30, evaluation every 100 batches, computation bp-lambda: blocked traces, K = n
 * (per-sequence, clip 1), backend wasm, into runs/toy; estimated 5m40s (s per batch: bp-lambda
 * λ=0 0.052, bp-lambda λ=1 0.171)`.
 */
export function describeStart(config: RunConfig, entries: readonly SweepEntry[], left: readonly RunLeft[], estimate: RunEstimate | null, backend: string, out: string): string {
  const groups = [...new Set(entries.map((e) => e.group))];
  const task = taskSpec(config.task);
  const shape = [`B=${config.batch}`, task.describeShape(config.taskOptions), `H=${config.hidden}`].join(' ');
  const runs = left.length === entries.length && left[0]?.batchesDone === 0 ? `${entries.length} run${entries.length === 1 ? '' : 's'}` : `${left.length} of ${entries.length} runs left`;
  const parts = [
    `${config.task}: ${runs} (${list(groups)} × seed${config.seeds.length === 1 ? '' : 's'} ${list(config.seeds)})`,
    `${config.batches} batches each`,
    shape,
    `evaluation every ${config.evalEvery} batches`,
    `computation ${[...new Set(entries.map((e) => e.method))].map((m) => `${m}: ${methodSpec(m).computation(config.methodSettings)}`).join('; ')}`,
    `backend ${backend}`,
    `into ${out}`,
  ];
  let line = parts.join(', ');
  if (estimate) {
    const per = Object.entries(estimate.batchSeconds).map(([g, s]) => `${g} ${s < 0.1 ? s.toFixed(3) : s.toFixed(2)}`);
    const bound = task.growing ? ' at least (longer sequences come later)' : '';
    line += `; estimated ${formatDuration(estimate.seconds)}${bound}${per.length ? ` (s per batch: ${list(per)})` : ''}`;
  }
  return line;
}
