/**
 * Prints the Markdown tables of docs/RESULTS.md from run folders' summary.json files, so the
 * numbers there are generated, never typed:
 *   node --import tsx examples/results-tables.ts [FOLDER…]   (default: every run folder in runs/)
 *   node --import tsx examples/results-tables.ts --figures [FOLDER…]
 * Folders that hold parts of one sweep (`run --shard i/N` on several machines: the same
 * settings) are merged into one table. Each table names its folders and settings, then gives
 * the verdict on each of the paper's claims that its groups test (docs/RESULTS.md, "Verdicts":
 * supported, contradicted, or not separable at this budget). A folder without a summary (an
 * unfinished run) is reported, not skipped silently; a folder that does not exist, or a summary
 * that cannot be read, is one line on standard error and exit code 1. `--figures` copies each folder's plots to
 * docs/figures/ and, for a sweep over λ, draws its alignment against λ.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunConfig } from '../src/experiments/config.ts';
import { mergeSummaries, type GroupSummary, type MeanSd, type Summary } from '../src/experiments/summary.ts';
import { lineChart } from '../src/experiments/svg.ts';
import { taskSpec } from '../src/experiments/tasks/index.ts';
import { verdict } from '../src/experiments/verdict.ts';

const args = process.argv.slice(2);
const figures = args.includes('--figures');
const named = args.filter((a) => a !== '--figures');
const folders = named.length ? named : existsSync('runs') ? readdirSync('runs').sort().map((f) => join('runs', f)) : [];

/**
 * The paper's claims (docs/EXPERIMENTS.md), per task: the metric, and the pairs of groups
 * (claimed better, claimed worse) of a sweep that test it.
 */
interface Claim {
  text: string;
  /** 'alignmentMean' or one of the task's metrics */
  metric: string;
  pairs(groups: readonly GroupSummary[]): [GroupSummary, GroupSummary][];
}
const byLambda = (groups: readonly GroupSummary[]) => groups.filter((g) => g.method === 'bp-lambda' && g.lambda !== null).sort((a, b) => a.lambda! - b.lambda!);
const alignmentRisesWithLambda: Claim = {
  text: 'alignment is higher for larger λ',
  metric: 'alignmentMean',
  pairs: (groups) => byLambda(groups).flatMap((g, i, all) => (i === 0 ? [] : [[g, all[i - 1]] as [GroupSummary, GroupSummary]])),
};
const bpLambdaBeats = (text: string, metric: string): Claim => ({
  text,
  metric,
  pairs: (groups) => byLambda(groups).flatMap((bp) => groups.filter((g) => g.method === 'sg' || g.method === 'tbptt').map((other) => [bp, other] as [GroupSummary, GroupSummary])),
});
const CLAIMS: Record<string, Claim[]> = {
  toy: [alignmentRisesWithLambda],
  'line-draw': [alignmentRisesWithLambda],
  'seq-mnist': [bpLambdaBeats('BP(λ) reaches a lower test error than n-step SG and truncated BPTT', 'testErrorAtBestVal')],
  'copy-repeat': [bpLambdaBeats('BP(λ) reaches longer sequences than n-step SG and truncated BPTT', 'maxT')],
};

function load(folder: string): Summary | null {
  if (!existsSync(folder)) throw new Error(`${folder}: no such folder`);
  if (!statSync(folder).isDirectory()) throw new Error(`${folder}: not a folder (give run folders, each with its summary.json)`);
  const p = join(folder, 'summary.json');
  if (!existsSync(p)) {
    console.log(`\n_(${folder}: no summary.json yet: the run is unfinished)_\n`);
    return null;
  }
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as Summary;
  } catch (e) {
    throw new Error(`${p}: cannot be read as JSON (${(e as Error).message})`);
  }
}

const f = (v: number, d = 3) => (!Number.isFinite(v) ? '–' : Math.abs(v) >= 1e4 ? v.toExponential(1) : v.toFixed(d));
const pm = (m: MeanSd | null | undefined, d = 3) => (m ? (m.n > 1 ? `${f(m.mean, d)} ± ${f(m.sd, d)}` : f(m.mean, d)) : '–');
const value = (v: unknown) => (Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** The settings of a run in one line: sizes, length, rates, seeds, the task's options and the methods' settings. */
function describeConfig(c: RunConfig): string {
  const epochs = c.batchesPerEpoch === null ? '' : ` = ${c.batches / c.batchesPerEpoch} epochs of ${c.batchesPerEpoch}`;
  const parts = [
    `${c.task}, ${c.cell}${c.activation ? ` (${c.activation})` : ''}, H=${c.hidden}, B=${c.batch}, gain ${c.gain}, ${c.batches} batches${epochs}`,
    `lr cell/readout/synth = ${c.lr.cell}/${c.lr.readout}/${c.lr.synthesiser}, seeds ${c.seeds.join(',')}`,
    ...Object.entries(c.taskOptions).map(([k, v]) => `${k} ${value(v)}`),
    ...Object.entries(c.methodSettings).map(([k, v]) => `${k} ${value(v)}`),
  ];
  return parts.join(', ');
}

/** Where the numbers came from: commits, machines, Node versions, wall time. */
function describeProvenance(s: Summary): string {
  const distinct = (xs: string[]) => [...new Set(xs)].join(', ');
  const p = s.provenance;
  const wall = p.reduce((a, x) => a + x.wallSeconds, 0);
  return `commit ${distinct(p.map((x) => x.commit.slice(0, 10) + (x.dirty ? ' (uncommitted changes)' : '')))}; ${distinct(p.map((x) => `${x.machine.cpu}, ${x.machine.cores} cores`))}; Node ${distinct(p.map((x) => x.node))}; wall time ${wall.toFixed(0)} s${wall >= 3600 ? ` (${(wall / 3600).toFixed(1)} h)` : ''} over ${p.length} invocation${p.length === 1 ? '' : 's'}`;
}

function table(name: string, s: Summary, missing: string[]): void {
  const metrics = taskSpec(s.task).report.metrics;
  console.log(`\n(${name}; ${describeConfig(s.config)}; ${describeProvenance(s)})\n`);
  const head = ['method', 'computation', 'seeds', ...metrics.map((m) => m.label), 'final loss', 'alignment (mean over t)', 'alignment (whole)', 'seconds per run'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const g of s.groups) {
    const ss = s.series.filter((x) => x.group === g.group);
    const row = [g.group, ss[0].computation, String(ss.length), ...metrics.map((m) => pm(g.metrics[m.key], m.digits)), pm(g.finalLoss, 4), pm(g.alignmentMean), pm(g.alignmentWhole), pm(g.seconds, 0)];
    console.log(`| ${row.join(' | ')} |`);
  }
  spectralRadii(s);
  for (const d of s.series.filter((x) => x.diverged)) console.log(`\n${d.series} diverged at batch ${d.diverged!.batch}: ${d.diverged!.quantity}.`);
  if (missing.length) console.log(`\nNot in these folders (yet): ${missing.join(', ')}.`);
  verdicts(s);
}

/** r(W_hh) per seed, where the task reports it (the toy tasks' vanilla RNN): at the start and, if it moved, at the end. */
function spectralRadii(s: Summary): void {
  const bySeed = new Map<number, { initial: number; final: number }>();
  for (const x of s.series) {
    const d = x.details as { spectralRadiusInitial?: number; spectralRadiusFinal?: number };
    if (typeof d.spectralRadiusInitial !== 'number') continue;
    const seen = bySeed.get(x.seed);
    // every group of a seed starts from the same model
    if (!seen) bySeed.set(x.seed, { initial: d.spectralRadiusInitial, final: d.spectralRadiusFinal ?? d.spectralRadiusInitial });
  }
  if (bySeed.size === 0) return;
  const plastic = s.series.some((x) => {
    const d = x.details as { spectralRadiusInitial?: number; spectralRadiusFinal?: number };
    return typeof d.spectralRadiusFinal === 'number' && d.spectralRadiusFinal !== d.spectralRadiusInitial;
  });
  const seeds = [...bySeed].sort((a, b) => a[0] - b[0]);
  console.log(`\nr(W_hh), the spectral radius of the recurrent matrix at initialisation, per seed: ${seeds.map(([seed, r]) => `seed ${seed} ${f(r.initial)}`).join(', ')}.`);
  if (!plastic) return;
  const finals = s.series.map((x) => `${x.series} ${f((x.details as { spectralRadiusFinal: number }).spectralRadiusFinal)}`);
  console.log(`After training (the RNN learns): ${finals.join(', ')}.`);
}

/** The verdict rule (src/experiments/verdict.ts) on each pair of groups that tests a claim of the paper. */
function verdicts(s: Summary): void {
  const rows: string[][] = [];
  for (const claim of CLAIMS[s.task] ?? []) {
    const task = taskSpec(s.task).report.metrics.find((m) => m.key === claim.metric);
    const better = task ? task.better : 'higher';
    const of = (g: GroupSummary) => (task ? g.metrics[claim.metric] : g.alignmentMean);
    for (const [a, b] of claim.pairs(s.groups)) {
      const ma = of(a);
      const mb = of(b);
      if (!ma || !mb) continue;
      rows.push([claim.text, `${a.group} vs ${b.group}`, `${pm(ma, task?.digits)} vs ${pm(mb, task?.digits)}`, f(Math.max(ma.sd, mb.sd), task?.digits), `**${verdict(ma, mb, better)}**`]);
    }
  }
  if (!rows.length) return;
  console.log('\n| claim | claimed better vs worse | means ± sd | larger sd | verdict |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

/** docs/figures/FOLDER-*.svg: the folder's plots, and its alignment against λ where it sweeps λ. */
function copyFigures(folder: string, s: Summary): void {
  const dir = 'docs/figures';
  mkdirSync(dir, { recursive: true });
  const name = basename(folder);
  for (const plot of s.plots) {
    copyFileSync(join(folder, plot), join(dir, `${name}-${plot}`));
    console.log(`copied ${join(folder, plot)} → ${join(dir, `${name}-${plot}`)}`);
  }
  const points = byLambda(s.groups).flatMap((g) => (g.alignmentMean ? [[g.lambda!, g.alignmentMean.mean] as [number, number]] : []));
  if (points.length < 2) return;
  const file = join(dir, `${name}-alignment-vs-lambda.svg`);
  writeFileSync(file, lineChart({ title: `${name}: alignment after ${s.config.batches} batches (mean of ${s.config.seeds.length} seeds)`, xLabel: 'λ', yLabel: 'cosine, mean over t < T', series: [{ name, points }], yMin: -0.2, yMax: 1 }));
  console.log(`wrote ${file}`);
}

function main(): void {
  // one table per sweep: folders with the same settings are parts of one sweep
  const sweeps = new Map<string, { name: string; summary: Summary }[]>();
  for (const folder of folders) {
    const s = load(folder);
    if (!s) continue;
    const key = JSON.stringify(s.config);
    sweeps.set(key, [...(sweeps.get(key) ?? []), { name: folder, summary: s }]);
    if (figures) copyFigures(folder, s);
  }
  for (const parts of sweeps.values()) {
    const { summary, missing } = mergeSummaries(parts);
    console.log(`\n#### ${parts.map((p) => basename(p.name)).join(' + ')}`);
    table(parts.map((p) => p.name).join(' + '), summary, missing);
  }
}

// an error is one line on standard error and exit code 1 (no stack trace)
try {
  main();
} catch (e) {
  process.stderr.write(`results:tables: error: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
