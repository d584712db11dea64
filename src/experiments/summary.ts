/**
 * The report of a run folder, rebuilt from DIR/log.jsonl alone (so resumed and uninterrupted
 * runs report alike): DIR/summary.json (per series and per group of seeds, mean ± sd) and the
 * SVG plots (held-out loss and alignment over training per method/λ; alignment over t for the
 * toy tasks; validation error per epoch for seq-mnist; curriculum T over batches for copy-repeat).
 */
import { join } from 'node:path';
import { writeFileAtomicSync, writeJsonAtomicSync } from '../io/atomic.ts';
import type { RunConfig } from './config.ts';
import { lineChart, type ChartSeries } from './svg.ts';

type Rec = Record<string, unknown>;
interface Align {
  mean: number;
  whole: number;
  perStep?: number[];
}

export interface MeanSd {
  mean: number;
  sd: number;
  n: number;
}

export interface SeriesSummary {
  series: string;
  group: string;
  method: string;
  lambda: number | null;
  seed: number;
  computation: string;
  regime: string;
  batches: number;
  seconds: number;
  finalLoss: number;
  finalAlignment: { mean: number; whole: number } | null;
  /** seq-mnist: the evaluation with the lowest validation loss */
  best?: { epoch: number; batch: number; valLoss: number; valError: number; testError: number };
  /** copy-repeat: the furthest curriculum level reached and the batch it was reached at */
  reached?: { N: number; R: number; T: number; batch: number };
  diverged?: { batch: number; step: number | null; quantity: string };
}

export interface GroupSummary {
  group: string;
  seeds: number[];
  finalLoss: MeanSd;
  alignmentMean: MeanSd | null;
  alignmentWhole: MeanSd | null;
  testErrorAtBestVal?: MeanSd;
  maxT?: MeanSd;
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
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / (n - 1)) : 0;
  return { mean, sd, n };
}

function bySeries(records: Rec[]): Map<string, Rec[]> {
  const m = new Map<string, Rec[]>();
  for (const r of records) {
    const k = r.series as string;
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(r);
  }
  return m;
}

export function summarise(config: RunConfig, records: Rec[]): Omit<Summary, 'plots'> {
  const series: SeriesSummary[] = [];
  for (const [name, recs] of bySeries(records)) {
    const evals = recs.filter((r) => r.type === 'eval');
    if (evals.length === 0) continue;
    const last = evals[evals.length - 1];
    const a = last.alignment as Align | null;
    const s: SeriesSummary = {
      series: name,
      group: last.group as string,
      method: last.method as string,
      lambda: last.lambda as number | null,
      seed: last.seed as number,
      computation: last.computation as string,
      regime: last.regime as string,
      batches: last.batch as number,
      seconds: last.seconds as number,
      finalLoss: last.loss as number,
      finalAlignment: a ? { mean: a.mean, whole: a.whole } : null,
    };
    if (config.task === 'seq-mnist') {
      let best = evals[0];
      for (const r of evals) if ((r.batch as number) > 0 && ((best.batch as number) === 0 || (r.loss as number) < (best.loss as number))) best = r;
      s.best = { epoch: best.epoch as number, batch: best.batch as number, valLoss: best.loss as number, valError: 1 - (best.accuracy as number), testError: 1 - (best.testAccuracy as number) };
    }
    if (config.task === 'copy-repeat') {
      const adv = recs.filter((r) => r.type === 'advance');
      const top = adv[adv.length - 1];
      s.reached = top ? { N: top.N as number, R: top.R as number, T: top.T as number, batch: top.batch as number } : { N: 1, R: 1, T: 5, batch: 0 };
    }
    const dv = recs.find((r) => r.type === 'diverged');
    if (dv) s.diverged = { batch: dv.batch as number, step: dv.step as number | null, quantity: dv.quantity as string };
    series.push(s);
  }
  const groups: GroupSummary[] = [];
  for (const g of [...new Set(series.map((s) => s.group))]) {
    const ss = series.filter((s) => s.group === g);
    const withA = ss.filter((s) => s.finalAlignment);
    const gs: GroupSummary = {
      group: g,
      seeds: ss.map((s) => s.seed),
      finalLoss: meanSd(ss.map((s) => s.finalLoss)),
      alignmentMean: withA.length ? meanSd(withA.map((s) => s.finalAlignment!.mean)) : null,
      alignmentWhole: withA.length ? meanSd(withA.map((s) => s.finalAlignment!.whole)) : null,
      seconds: meanSd(ss.map((s) => s.seconds)),
    };
    if (config.task === 'seq-mnist') gs.testErrorAtBestVal = meanSd(ss.map((s) => s.best!.testError));
    if (config.task === 'copy-repeat') gs.maxT = meanSd(ss.map((s) => s.reached!.T));
    groups.push(gs);
  }
  return { task: config.task, config, series, groups };
}

/** Mean over the seeds of a group, per x (points present in every seed's series only where they exist). */
function groupCurves(records: Rec[], pick: (r: Rec) => number | null, x: (r: Rec) => number = (r) => r.batch as number): ChartSeries[] {
  const groups = new Map<string, Map<number, number[]>>();
  for (const r of records) {
    if (r.type !== 'eval') continue;
    const v = pick(r);
    if (v === null || v === undefined) continue;
    const g = r.group as string;
    if (!groups.has(g)) groups.set(g, new Map());
    const m = groups.get(g)!;
    const k = x(r);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(v);
  }
  return [...groups].map(([name, m]) => ({
    name,
    points: [...m].sort((a, b) => a[0] - b[0]).map(([k, vs]) => [k, vs.reduce((a, v) => a + v, 0) / vs.length] as [number, number]),
  }));
}

export function writeReport(config: RunConfig, dir: string, records: Rec[]): Summary {
  const base = summarise(config, records);
  const plots: string[] = [];
  const seedsNote = config.seeds.length > 1 ? ` (mean of ${config.seeds.length} seeds)` : '';
  const put = (file: string, svg: string) => {
    writeFileAtomicSync(join(dir, file), svg);
    plots.push(file);
  };
  const xLabel = config.task === 'seq-mnist' ? 'epoch' : 'training batch';
  const x = config.task === 'seq-mnist' ? (r: Rec) => r.epoch as number : (r: Rec) => r.batch as number;
  const title = `${config.task}: `;
  put('loss.svg', lineChart({ title: `${title}held-out ${config.task === 'seq-mnist' ? 'validation ' : ''}loss${seedsNote}`, xLabel, yLabel: 'loss', series: groupCurves(records, (r) => r.loss as number, x), logY: config.task !== 'seq-mnist' }));
  const align = groupCurves(records, (r) => (r.alignment ? (r.alignment as Align).mean : null), x);
  if (align.length) put('alignment.svg', lineChart({ title: `${title}alignment of g(s_t) with the true future gradient${seedsNote}`, xLabel, yLabel: 'cosine, mean over t < T', series: align, yMin: -0.2, yMax: 1 }));
  if (config.task === 'toy' || config.task === 'line-draw') {
    const finals = new Map<string, number[][]>();
    const lastBatch = Math.max(...records.filter((r) => r.type === 'eval').map((r) => r.batch as number));
    for (const r of records) {
      if (r.type !== 'eval' || r.batch !== lastBatch || !r.alignment) continue;
      const p = (r.alignment as Align).perStep;
      if (!p) continue;
      if (!finals.has(r.group as string)) finals.set(r.group as string, []);
      finals.get(r.group as string)!.push(p);
    }
    const series = [...finals].map(([name, curves]) => ({ name, points: curves[0].map((_, t) => [t + 1, curves.reduce((a, c) => a + c[t], 0) / curves.length] as [number, number]) }));
    if (series.length) put('alignment-t.svg', lineChart({ title: `${title}alignment over t after ${lastBatch} batches (T = ${config.steps})${seedsNote}`, xLabel: 't (1-based)', yLabel: 'cosine(g(s_t), G_t)', series, yMin: -0.2, yMax: 1 }));
  }
  if (config.task === 'seq-mnist') {
    put('error.svg', lineChart({ title: `${title}validation error${seedsNote}`, xLabel: 'epoch', yLabel: 'error', series: groupCurves(records, (r) => 1 - (r.accuracy as number), x) }));
  }
  if (config.task === 'copy-repeat') {
    const curves: ChartSeries[] = [];
    for (const [name, recs] of bySeries(records)) {
      const pts: [number, number][] = [[0, 5]];
      let T = 5;
      for (const r of recs) {
        if (r.type === 'advance') {
          pts.push([r.batch as number, T]);
          T = r.T as number;
          pts.push([r.batch as number, T]);
        }
      }
      const last = recs.filter((r) => r.type === 'eval').pop();
      if (last) pts.push([last.batch as number, T]);
      curves.push({ name: last ? `${last.group} s${last.seed}` : name, points: pts });
    }
    put('curriculum.svg', lineChart({ title: `${title}curriculum sequence length T`, xLabel: 'training batch', yLabel: 'T = (R+1)·N + 3', series: curves }));
  }
  const summary: Summary = { ...base, plots };
  writeJsonAtomicSync(join(dir, 'summary.json'), summary);
  return summary;
}
