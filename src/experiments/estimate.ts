/**
 * The start line of `bp-lambda run`: what the run will train, and how long it should take.
 *
 * The duration is measured, not modelled: each group of the sweep (a method, and λ for
 * bp-lambda) trains PROBE_BATCHES batches on a throwaway copy of its first run (model, optimizer
 * and data source built and seeded as the runner builds them, so the run's own numbers are not
 * touched), the fastest batch giving its seconds per batch, and one evaluation of that copy is
 * timed (seq-mnist: on at most PROBE_EXAMPLES examples of each held-out set, scaled to their
 * size). Then
 *   estimate = Σ_{runs left} (batches left · s per batch of its group + evaluations left · s per evaluation).
 * Copy-repeat probes its first curriculum level: later levels have longer sequences, so its
 * estimate is a lower bound.
 */
import type { LossKind, SeqBatch } from '../data/batch.ts';
import { trainSequence } from '../learners/index.ts';
import type { Model } from '../model/model.ts';
import type { MnistSplits, MnistView } from '../tasks/seq-mnist.ts';
import { mnistBatch } from '../tasks/seq-mnist.ts';
import { isToy, type RunConfig, type SweepEntry } from './config.ts';
import { evalAlignment, evalClassifier, evalLoss } from './evaluate.ts';
import { makeLearner, makeOptimizer } from './learner-factory.ts';
import { formatDuration } from './progress.ts';
import { buildModel, copyRepeatEvalBatch, createSource, toyEvalBatch } from './tasks.ts';

/** Training batches timed per group (the first one also warms the JIT up). */
export const PROBE_BATCHES = 2;
/** seq-mnist: examples of each held-out set an evaluation probe runs on. */
export const PROBE_EXAMPLES = 500;

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

/** A view of the first `n` examples of `view`. */
function head(view: MnistView, n: number): MnistView {
  return { set: view.set, indices: view.indices.subarray(0, Math.min(n, view.indices.length)) };
}

/** Seconds one evaluation of `model` takes (what the runner's evaluation computes, timed). */
function evaluationSeconds(config: RunConfig, entry: SweepEntry, model: Model, data: MnistSplits | null, withAlignment: boolean): number {
  let alignOn: SeqBatch;
  let total = 0;
  if (isToy(config.task)) {
    alignOn = toyEvalBatch(config, entry.seed);
    total += seconds(() => evalLoss(model, alignOn));
  } else if (config.task === 'seq-mnist') {
    for (const view of [data!.validation, data!.test]) {
      const probe = head(view, PROBE_EXAMPLES);
      total += seconds(() => evalClassifier(model, probe)) * (view.indices.length / probe.indices.length);
    }
    alignOn = mnistBatch(data!.validation.set, head(data!.validation, config.evalBatch).indices);
  } else {
    alignOn = copyRepeatEvalBatch(config, entry.seed, 1, 1);
    total += seconds(() => evalLoss(model, alignOn));
  }
  if (withAlignment) total += seconds(() => evalAlignment(model, alignOn, false));
  return total;
}

/** Times every group of `left` on throwaway copies (see the file comment) and adds up the runs left. */
export function estimateRun(config: RunConfig, data: MnistSplits | null, loss: LossKind, left: readonly RunLeft[]): RunEstimate {
  const batchSeconds: Record<string, number> = {};
  const evalSeconds: Record<string, number> = {};
  try {
    for (const { entry } of left) {
      if (entry.group in batchSeconds) continue;
      const model = buildModel(config, entry.seed);
      const learner = makeLearner(config, entry, model, loss, makeOptimizer(config));
      const source = createSource(config, entry.seed, data, null);
      let best = Infinity;
      for (let i = 0; i < PROBE_BATCHES; i++) {
        const batch = source.next();
        best = Math.min(best, seconds(() => trainSequence(learner, batch)));
      }
      batchSeconds[entry.group] = best;
      evalSeconds[entry.group] = evaluationSeconds(config, entry, model, data, entry.method === 'sg' || entry.method === 'bp-lambda');
    }
  } catch {
    return { seconds: NaN, batchSeconds, evalSeconds };
  }
  return { seconds: secondsLeft(config, left, { batchSeconds, evalSeconds }), batchSeconds, evalSeconds };
}

/** Σ_{runs left} (batches left · s per batch + evaluations left · s per evaluation), with the measured costs. */
export function secondsLeft(config: RunConfig, left: readonly RunLeft[], costs: Pick<RunEstimate, 'batchSeconds' | 'evalSeconds'>): number {
  let total = 0;
  for (const { entry, batchesDone } of left) {
    total += (config.batches - batchesDone) * costs.batchSeconds[entry.group] + evaluationsLeft(config, batchesDone) * costs.evalSeconds[entry.group];
  }
  return total;
}

/**
 * The ETA during a run, from the estimate rather than from the average rate (which misleads in a
 * sweep whose methods differ in cost): the estimated seconds still to go after batch
 * `batchesDone` of sweep entry `entryIndex`, scaled by how the run has gone against the estimate
 * so far (elapsed seconds / estimated seconds of the work done). NaN when the estimate is.
 */
export function estimateTracker(config: RunConfig, left: readonly RunLeft[], estimate: RunEstimate, now: () => number = () => performance.now()): (entryIndex: number, batchesDone: number) => number {
  const start = now();
  return (entryIndex, batchesDone) => {
    const rest = left.filter((r) => r.entry.index >= entryIndex).map((r) => (r.entry.index === entryIndex ? { entry: r.entry, batchesDone } : r));
    const remaining = secondsLeft(config, rest, estimate);
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
 * each, B=10 T=30 H=30, evaluation every 100 batches, backend wasm, into runs/toy; estimated
 * 5m40s (s per batch: bp-lambda λ=0 0.052, bp-lambda λ=1 0.171)`.
 */
export function describeStart(config: RunConfig, entries: readonly SweepEntry[], left: readonly RunLeft[], estimate: RunEstimate | null, backend: string, out: string): string {
  const groups = [...new Set(entries.map((e) => e.group))];
  const shape = [`B=${config.batch}`, ...(isToy(config.task) ? [`T=${config.steps}`] : []), `H=${config.hidden}`].join(' ');
  const runs = left.length === entries.length && left[0]?.batchesDone === 0 ? `${entries.length} run${entries.length === 1 ? '' : 's'}` : `${left.length} of ${entries.length} runs left`;
  const parts = [
    `${config.task}: ${runs} (${list(groups)} × seed${config.seeds.length === 1 ? '' : 's'} ${list(config.seeds)})`,
    `${config.batches} batches each`,
    shape,
    `evaluation every ${config.evalEvery} batches`,
    `backend ${backend}`,
    `into ${out}`,
  ];
  let line = parts.join(', ');
  if (estimate) {
    const per = Object.entries(estimate.batchSeconds).map(([g, s]) => `${g} ${s < 0.1 ? s.toFixed(3) : s.toFixed(2)}`);
    const bound = config.task === 'copy-repeat' ? ' at least (longer sequences come with the curriculum)' : '';
    line += `; estimated ${formatDuration(estimate.seconds)}${bound}${per.length ? ` (s per batch: ${list(per)})` : ''}`;
  }
  return line;
}
