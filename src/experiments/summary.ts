/**
 * The report of a run folder, rebuilt from DIR/log.jsonl alone (so resumed and uninterrupted
 * runs report alike): DIR/summary.json (per series and per group of seeds, mean ± sd) and the
 * SVG plots (held-out loss and alignment over training per group, and the task's own plots).
 * What a task adds (its series details, metrics and plots) comes from its TaskSpec.report.
 */
import { join } from 'node:path';
import { writeFileAtomicSync, writeJsonAtomicSync } from '../io/atomic.ts';
import type { RunConfig } from './config.ts';
import { groupCurves } from './curves.ts';
import { lineChart } from './svg.ts';
import { taskSpec } from './tasks/index.ts';
import { l2Norm } from '../norms.ts';

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
  config: RunConfig;
  series: SeriesSummary[];
  groups: GroupSummary[];
  plots: string[];
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

export function summarise(config: RunConfig, records: readonly Rec[]): Omit<Summary, 'plots'> {
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
  const groups: GroupSummary[] = [];
  for (const g of [...new Set(series.map((s) => s.group))]) {
    const ss = series.filter((s) => s.group === g);
    const withA = ss.filter((s) => s.finalAlignment);
    groups.push({
      group: g,
      method: ss[0].method,
      seeds: ss.map((s) => s.seed),
      finalLoss: meanSd(ss.map((s) => s.finalLoss)),
      alignmentMean: withA.length ? meanSd(withA.map((s) => s.finalAlignment!.mean)) : null,
      alignmentWhole: withA.length ? meanSd(withA.map((s) => s.finalAlignment!.whole)) : null,
      metrics: Object.fromEntries(report.metrics.map((m) => [m.key, meanSd(ss.map((s) => m.of(s)))])),
      seconds: meanSd(ss.map((s) => s.seconds)),
    });
  }
  return { task: config.task, config, series, groups };
}

/** Writes DIR/summary.json and the plots from the log's records; returns the summary. */
export function writeReport(config: RunConfig, dir: string, records: readonly Rec[]): Summary {
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
  const summary: Summary = { ...base, plots };
  writeJsonAtomicSync(join(dir, 'summary.json'), summary);
  return summary;
}
