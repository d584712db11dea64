/**
 * Prints the Markdown tables of docs/RESULTS.md from run folders' summary.json files, so the
 * numbers there are generated, never typed:
 *   node --import tsx examples/results-tables.ts [FOLDER…]   (default: every run folder in runs/)
 *   node --import tsx examples/results-tables.ts --figures [FOLDER…]
 * Each table names its folder and settings; a folder without a summary (an unfinished run) is
 * reported, not skipped silently. `--figures` copies each folder's plots to docs/figures/ and,
 * for a sweep over λ, draws its alignment against λ.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunConfig } from '../src/experiments/config.ts';
import type { MeanSd, Summary } from '../src/experiments/summary.ts';
import { lineChart } from '../src/experiments/svg.ts';
import { taskSpec } from '../src/experiments/tasks/index.ts';

const args = process.argv.slice(2);
const figures = args.includes('--figures');
const named = args.filter((a) => a !== '--figures');
const folders = named.length ? named : existsSync('runs') ? readdirSync('runs').sort().map((f) => join('runs', f)) : [];

function load(folder: string): Summary | null {
  const p = join(folder, 'summary.json');
  if (!existsSync(p)) {
    console.log(`\n_(${folder}: no summary.json yet: the run is unfinished)_\n`);
    return null;
  }
  return JSON.parse(readFileSync(p, 'utf8')) as Summary;
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

function table(folder: string, s: Summary): void {
  const metrics = taskSpec(s.task).report.metrics;
  console.log(`\n(folder ${folder}; ${describeConfig(s.config)})\n`);
  const head = ['method', 'computation', 'seeds', ...metrics.map((m) => m.label), 'final loss', 'alignment (mean over t)', 'alignment (whole)', 'seconds per run'];
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const g of s.groups) {
    const ss = s.series.filter((x) => x.group === g.group);
    const row = [g.group, ss[0].computation, String(ss.length), ...metrics.map((m) => pm(g.metrics[m.key], m.digits)), pm(g.finalLoss, 4), pm(g.alignmentMean), pm(g.alignmentWhole), pm(g.seconds, 0)];
    console.log(`| ${row.join(' | ')} |`);
  }
  for (const d of s.series.filter((x) => x.diverged)) console.log(`\n${d.series} diverged at batch ${d.diverged!.batch}: ${d.diverged!.quantity}.`);
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
  const points = s.groups.flatMap((g) => {
    const lambda = s.series.find((x) => x.group === g.group)?.lambda;
    return lambda !== null && lambda !== undefined && g.alignmentMean ? [[lambda, g.alignmentMean.mean] as [number, number]] : [];
  });
  if (points.length < 2) return;
  const file = join(dir, `${name}-alignment-vs-lambda.svg`);
  writeFileSync(file, lineChart({ title: `${name}: alignment after ${s.config.batches} batches (mean of ${s.config.seeds.length} seeds)`, xLabel: 'λ', yLabel: 'cosine, mean over t < T', series: [{ name, points }], yMin: -0.2, yMax: 1 }));
  console.log(`wrote ${file}`);
}

for (const folder of folders) {
  const s = load(folder);
  if (!s) continue;
  console.log(`\n#### ${basename(folder)}`);
  table(folder, s);
  if (figures) copyFigures(folder, s);
}
