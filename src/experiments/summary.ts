/**
 * The report of a run folder, rebuilt from DIR/log.jsonl alone (so resumed and uninterrupted
 * runs report alike): DIR/summary.json (per series and per group of seeds, mean ± sd) and the
 * SVG plots (held-out loss and alignment over training per group, and the task's own plots).
 * What a task adds (its series details, metrics and plots) comes from its TaskSpec.report.
 */
import { join } from 'node:path';
import { writeFileAtomicSync, writeJsonAtomicSync } from '../io/atomic.ts';
import { sweepEntries, type RunConfig } from './config.ts';
import { groupCurves } from './curves.ts';
import { lineChart } from './svg.ts';
import { taskSpec } from './tasks/index.ts';
import { l2Norm } from '../norms.ts';
import type { Provenance } from './provenance.ts';

type Rec = Record<string, unknown>;

export interface MeanSd {
  mean: number;
  /** the sample standard deviation over seeds (0 for one seed) */
  sd: number;
  n: number;
}

export interface SeriesSummary {
  series: string;
  group: string;
  method: string;
  /** λ where the method has one, else null */
  lambda: number | null;
  seed: number;
  computation: string;
  regime: string;
  batches: number;
  seconds: number;
  finalLoss: number;
  finalAlignment: { mean: number; whole: number } | null;
  /** the task's facts (seq-mnist: `best`, the evaluation with the lowest validation loss; copy-repeat: `reached`, the furthest level) */
  details: Record<string, unknown>;
  diverged?: { batch: number; step: number | null; quantity: string };
}

export interface GroupSummary {
  group: string;
  method: string;
  /** λ where the method has one, else null */
  lambda: number | null;
  seeds: number[];
  finalLoss: MeanSd;
  alignmentMean: MeanSd | null;
  alignmentWhole: MeanSd | null;
  /** the task's metrics (TaskSpec.report.metrics) by key, e.g. testErrorAtBestVal, maxT */
  metrics: Record<string, MeanSd>;
  seconds: MeanSd;
}

export interface Summary {
  task: string;
  /** the full resolved settings */
  config: RunConfig;
  series: SeriesSummary[];
  groups: GroupSummary[];
  plots: string[];
  /** where the numbers came from: one record per invocation that trained in the folder(s) (commit, machine, Node, wall time, …) */
  provenance: Provenance[];
}

export function meanSd(values: number[]): MeanSd {
  const n = values.length;
  const mean = n ? values.reduce((a, v) => a + v, 0) / n : NaN;
  const sd = n > 1 ? l2Norm(values.map((v) => v - mean)) / Math.sqrt(n - 1) : 0;
  return { mean, sd, n };
}

function bySeries(records: readonly Rec[]): Map<string, Rec[]> {
  const m = new Map<string, Rec[]>();
  for (const r of records) {
    const k = r.series as string;
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(r);
  }
  return m;
}

/** The summary of a run's log records: per series, then per group of seeds. */
function summarise(config: RunConfig, records: readonly Rec[]): Omit<Summary, 'plots' | 'provenance'> {
  const report = taskSpec(config.task).report;
  const series: SeriesSummary[] = [];
  for (const [name, recs] of bySeries(records)) {
    const evals = recs.filter((r) => r.type === 'eval');
    if (evals.length === 0) continue;
    const last = evals[evals.length - 1];
    const a = last.alignment as { mean: number; whole: number } | null;
    const s: SeriesSummary = {
      series: name,
      group: last.group as string,
      method: last.method as string,
      lambda: (last.lambda as number | undefined) ?? null,
      seed: last.seed as number,
      computation: last.computation as string,
      regime: last.regime as string,
      batches: last.batch as number,
      seconds: last.seconds as number,
      finalLoss: last.loss as number,
      finalAlignment: a ? { mean: a.mean, whole: a.whole } : null,
      details: report.series?.(recs) ?? {},
    };
    const dv = recs.find((r) => r.type === 'diverged');
    if (dv) s.diverged = { batch: dv.batch as number, step: dv.step as number | null, quantity: dv.quantity as string };
    series.push(s);
  }
  return { task: config.task, config, series, groups: groupSummaries(config.task, series) };
}

/** Per group of series (a method and its variant, over seeds): mean ± sd of each quantity, the task's metrics included. */
function groupSummaries(task: string, series: readonly SeriesSummary[]): GroupSummary[] {
  const metrics = taskSpec(task).report.metrics;
  return [...new Set(series.map((s) => s.group))].map((g) => {
    const ss = series.filter((s) => s.group === g);
    const withA = ss.filter((s) => s.finalAlignment);
    return {
      group: g,
      method: ss[0].method,
      lambda: ss[0].lambda,
      seeds: ss.map((s) => s.seed),
      finalLoss: meanSd(ss.map((s) => s.finalLoss)),
      alignmentMean: withA.length ? meanSd(withA.map((s) => s.finalAlignment!.mean)) : null,
      alignmentWhole: withA.length ? meanSd(withA.map((s) => s.finalAlignment!.whole)) : null,
      metrics: Object.fromEntries(metrics.map((m) => [m.key, meanSd(ss.map((s) => m.of(s)))])),
      seconds: meanSd(ss.map((s) => s.seconds)),
    };
  });
}

/**
 * One summary of a sweep spread over several folders (`run --shard i/N` on several machines):
 * their settings must be the same; their series are put in sweep order (a series in two of
 * them is an error) and the groups recomputed over all seeds; the provenance records are all
 * kept. `missing`: the series of the sweep that none of them has.
 */
export function mergeSummaries(parts: readonly { name: string; summary: Summary }[]): { summary: Summary; missing: string[] } {
  if (parts.length === 0) throw new Error('mergeSummaries: expected at least one summary');
  const [first] = parts;
  for (const p of parts) {
    if (JSON.stringify(p.summary.config) !== JSON.stringify(first.summary.config)) throw new Error(`mergeSummaries: ${p.name} and ${first.name} are runs with different settings`);
  }
  const config = first.summary.config;
  const order = sweepEntries(config).map((e) => e.series);
  const seen = new Map<string, string>();
  const series: SeriesSummary[] = [];
  for (const p of parts) {
    for (const s of p.summary.series) {
      if (seen.has(s.series)) throw new Error(`mergeSummaries: ${s.series} is in both ${seen.get(s.series)} and ${p.name}`);
      seen.set(s.series, p.name);
      series.push(s);
    }
  }
  series.sort((a, b) => order.indexOf(a.series) - order.indexOf(b.series));
  const summary: Summary = { task: config.task, config, series, groups: groupSummaries(config.task, series), plots: [], provenance: parts.flatMap((p) => p.summary.provenance) };
  return { summary, missing: order.filter((s) => !seen.has(s)) };
}

/** Writes DIR/summary.json and the plots from the log's records; returns the summary. */
export function writeReport(config: RunConfig, dir: string, records: readonly Rec[], provenance: Provenance[]): Summary {
  const base = summarise(config, records);
  const report = taskSpec(config.task).report;
  const plots: string[] = [];
  const seedsNote = config.seeds.length > 1 ? ` (mean of ${config.seeds.length} seeds)` : '';
  const put = (file: string, svg: string) => {
    writeFileAtomicSync(join(dir, file), svg);
    plots.push(file);
  };
  const xLabel = report.x === 'epoch' ? 'epoch' : 'training batch';
  const x = (r: Rec) => (report.x === 'epoch' ? r.epoch : r.batch) as number;
  const title = `${config.task}: `;
  put('loss.svg', lineChart({ title: `${title}held-out ${report.lossLabel}${seedsNote}`, xLabel, yLabel: 'loss', series: groupCurves(records, (r) => r.loss as number, x), logY: report.logLoss }));
  const align = groupCurves(records, (r) => (r.alignment ? (r.alignment as { mean: number }).mean : null), x);
  if (align.length) put('alignment.svg', lineChart({ title: `${title}alignment of g(s_t) with the true future gradient${seedsNote}`, xLabel, yLabel: 'cosine, mean over t < T', series: align, yMin: -0.2, yMax: 1 }));
  for (const [file, svg] of Object.entries(report.plots?.(records, config, seedsNote) ?? {})) put(file, svg);
  const summary: Summary = { ...base, plots, provenance };
  writeJsonAtomicSync(join(dir, 'summary.json'), summary);
  return summary;
}
