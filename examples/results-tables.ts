/**
 * Prints the Markdown tables of docs/RESULTS.md from the run folders' summary.json files, so the
 * numbers there are generated, never typed: `node --import tsx examples/results-tables.ts [runs]`.
 * Each table names the folder it was read from; a missing folder is reported, not skipped silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MeanSd, Summary } from '../src/experiments/summary.ts';

const root = process.argv[2] ?? 'runs';

function load(folder: string): Summary | null {
  const p = join(root, folder, 'summary.json');
  if (!existsSync(p)) {
    console.log(`\n_(${folder}: no summary.json yet: the run is unfinished)_\n`);
    return null;
  }
  return JSON.parse(readFileSync(p, 'utf8')) as Summary;
}

const f = (v: number, d = 3) => (!Number.isFinite(v) ? '–' : Math.abs(v) >= 1e4 ? v.toExponential(1) : v.toFixed(d));
const pm = (m: MeanSd | null | undefined, d = 3) => (m ? (m.n > 1 ? `${f(m.mean, d)} ± ${f(m.sd, d)}` : f(m.mean, d)) : '–');
const totalSeconds = (s: Summary) => s.series.reduce((a, x) => a + x.seconds, 0);

function toySweep(): void {
  for (const gain of ['1.6', '1']) {
    for (const mode of ['fixed-rnn', 'plastic']) {
      const Ts = [10, 30, 60];
      const sums = Ts.map((T) => load(`toy-g${gain}-${mode}-T${T}`));
      if (sums.every((s) => s === null)) continue;
      const first = sums.find((s) => s !== null)!;
      const c = first.config;
      console.log(`\n**gain ${gain}, ${mode === 'plastic' ? 'plastic RNN' : 'fixed RNN'}** (H=${c.hidden}, B=${c.batch}, K=${c.pairs}, ${c.batches} batches = ${c.batches / c.batchesPerEpoch} epochs, γ=${c.gamma}, lr cell/readout/synth = ${c.lr.cell}/${c.lr.readout}/${c.lr.synthesiser}, seeds ${c.seeds.join(',')}, ${c.regime}, computation ${c.computation}; folders runs/toy-g${gain}-${mode}-T{10,30,60})\n`);
      console.log(`| λ | ${Ts.map((T) => `T=${T}: mean over t`).join(' | ')} | ${Ts.map((T) => `T=${T}: whole`).join(' | ')} | ${Ts.map((T) => `T=${T}: loss`).join(' | ')} |`);
      console.log(`|---|${Ts.map(() => '---').join('|')}|${Ts.map(() => '---').join('|')}|${Ts.map(() => '---').join('|')}|`);
      for (const g of first.groups) {
        const cells = sums.map((s) => s?.groups.find((x) => x.group === g.group));
        console.log(`| ${g.group.replace('bp-lambda λ=', '')} | ${cells.map((x) => pm(x?.alignmentMean)).join(' | ')} | ${cells.map((x) => pm(x?.alignmentWhole)).join(' | ')} | ${cells.map((x) => pm(x?.finalLoss, 4)).join(' | ')} |`);
      }
      console.log(`\nWall time (training + evaluation, all 15 runs, on a shared 2-core machine): ${sums.map((s, i) => `T=${Ts[i]}: ${s ? f(totalSeconds(s), 0) + ' s' : 'unfinished'}`).join(', ')}.`);
    }
  }
}

function groupTable(folder: string): void {
  const s = load(folder);
  if (!s) return;
  const c = s.config;
  const mnist = s.task === 'seq-mnist';
  const copy = s.task === 'copy-repeat';
  console.log(`\n(folder runs/${folder}; ${s.task}, H=${c.hidden}, B=${c.batch}, ${c.batches} batches${mnist ? ` = ${c.batches / c.batchesPerEpoch} epochs of ${c.batchesPerEpoch}` : ''}, γ=${c.gamma}, σ=${c.sgScale},${c.methods.some((m) => m === 'tbptt' || m === 'sg') ? ` n=${c.truncation},` : ''} lr cell/readout/synth = ${c.lr.cell}/${c.lr.readout}/${c.lr.synthesiser}, seeds ${c.seeds.join(',')}${mnist ? `, data ${c.data}, train subset ${c.trainSubset ?? 'all'}, validation subset ${c.valSubset ?? 'all'}, test subset ${c.testSubset ?? 'all'}` : ''}${copy ? `, threshold ${c.threshold} bits` : ''})\n`);
  const head = ['method', 'computation', 'seeds'];
  if (mnist) head.push('test error at best-val epoch', 'best val error (epoch)', 'final val loss');
  else if (copy) head.push('largest T reached (N, R; batch) per seed', 'largest T, mean ± sd', 'final held-out bits');
  else head.push('final loss');
  head.push('alignment (mean over t)', 'alignment (whole)', 'seconds per run');
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const g of s.groups) {
    const ss = s.series.filter((x) => x.group === g.group);
    const desc: Record<string, string> = { bptt: 'backprop through the whole sequence', tbptt: `backprop in windows of ${c.truncation}`, sg: `backprop in windows of ${c.truncation} + synthetic gradient at window ends` };
    const row = [g.group, desc[ss[0].method] ?? ss[0].computation.replace(/; equals .*\)$/, ')'), String(ss.length)];
    if (mnist) {
      row.push(pm(g.testErrorAtBestVal), ss.map((x) => `${f(x.best!.valError)} (${x.best!.epoch})`).join(', '), pm(g.finalLoss, 4));
    } else if (copy) {
      row.push(ss.map((x) => `${x.reached!.T} (${x.reached!.N}, ${x.reached!.R}; ${x.reached!.batch})`).join(', '), pm(g.maxT, 1), ss.map((x) => f(x.finalLoss / ((x.reached!.R * x.reached!.N + 1) * 9) / Math.LN2)).join(', '));
    } else row.push(pm(g.finalLoss, 4));
    row.push(pm(g.alignmentMean), pm(g.alignmentWhole), pm(g.seconds, 0));
    console.log(`| ${row.join(' | ')} |`);
  }
  const div = s.series.filter((x) => x.diverged);
  for (const d of div) console.log(`\n${d.series} diverged at batch ${d.diverged!.batch}: ${d.diverged!.quantity}.`);
}

/** seq-mnist over the seed folders: test error at the best-validation epoch per seed, mean ± sd. */
function mnistSeeds(): void {
  const folders = ['mnist-baselines', 'mnist-baselines-s2', 'mnist-baselines-s3', 'mnist-bplambda', 'mnist-bplambda-s2', 'mnist-bplambda-s3'];
  const rows = new Map<string, { seed: number; testError: number; epoch: number }[]>();
  const found: string[] = [];
  for (const folder of folders) {
    if (!existsSync(join(root, folder, 'summary.json'))) continue;
    found.push(folder);
    const s = JSON.parse(readFileSync(join(root, folder, 'summary.json'), 'utf8')) as Summary;
    for (const x of s.series) {
      if (!rows.has(x.group)) rows.set(x.group, []);
      rows.get(x.group)!.push({ seed: x.seed, testError: x.best!.testError, epoch: x.best!.epoch });
    }
  }
  console.log(`\n(folders ${found.map((f) => 'runs/' + f).join(', ')})\n`);
  console.log('| method | test error at best-val epoch, per seed (epoch) | mean ± sd |');
  console.log('|---|---|---|');
  for (const [g, xs] of rows) {
    const m = xs.map((x) => x.testError);
    const mean = m.reduce((a, v) => a + v, 0) / m.length;
    const sd = m.length > 1 ? Math.sqrt(m.reduce((a, v) => a + (v - mean) ** 2, 0) / (m.length - 1)) : 0;
    console.log(`| ${g} | ${xs.map((x) => `seed ${x.seed}: ${f(x.testError)} (${x.epoch})`).join(', ')} | ${m.length > 1 ? `${f(mean)} ± ${f(sd)}` : f(mean)} |`);
  }
}
if (process.argv[3] === 'mnist-seeds') mnistSeeds();

const section = process.argv[3] === 'figures' ? 'none' : process.argv[3];
if (!section || section === 'toy') toySweep();
for (const folder of ['toy-g1.6-fixed-K8-T30', 'toy-g1.6-plastic-lr1e-4-T30', 'toy-online-T20', 'mnist-baselines', 'mnist-bplambda', 'mnist-full-baselines', 'mnist-full-bplambda', 'mnist-online-H12', 'mnist-perseq-H12', 'copy-repeat', 'copy-repeat-synthlr1e-3']) {
  if (!section || section === folder) {
    console.log(`\n#### ${folder}`);
    groupTable(folder);
  }
}

/** With a third argument `figures`: docs/figures/toy-alignment-vs-lambda-*.svg and copies of the runs' own plots. */
if (process.argv[3] === 'figures') {
  const { copyFileSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { lineChart } = await import('../src/experiments/svg.ts');
  const dir = 'docs/figures';
  mkdirSync(dir, { recursive: true });
  for (const gain of ['1.6', '1']) {
    for (const mode of ['fixed-rnn', 'plastic']) {
      const series = [10, 30, 60].flatMap((T) => {
        const s = load(`toy-g${gain}-${mode}-T${T}`);
        return s ? [{ name: `T=${T}`, points: s.groups.map((g) => [Number(g.group.replace('bp-lambda λ=', '')), g.alignmentMean!.mean] as [number, number]) }] : [];
      });
      if (!series.length) continue;
      const file = `toy-alignment-vs-lambda-gain${gain}-${mode}.svg`;
      writeFileSync(join(dir, file), lineChart({ title: `toy, gain ${gain}, ${mode === 'plastic' ? 'plastic' : 'fixed'} RNN: alignment after 3 epochs (mean of 3 seeds)`, xLabel: 'λ', yLabel: 'cosine, mean over t < T', series, yMin: -0.2, yMax: 1 }));
      console.log(`wrote ${join(dir, file)}`);
    }
  }
  const copies: [string, string][] = [
    ['demo/alignment.svg', 'demo-alignment.svg'],
    ['demo/alignment-t.svg', 'demo-alignment-t.svg'],
    ['toy-g1.6-fixed-rnn-T30/alignment-t.svg', 'toy-gain1.6-fixed-T30-alignment-t.svg'],
    ['toy-g1.6-fixed-rnn-T30/alignment.svg', 'toy-gain1.6-fixed-T30-alignment.svg'],
    ['toy-online-T20/alignment.svg', 'toy-online-T20-alignment.svg'],
    ['mnist-baselines/error.svg', 'seq-mnist-baselines-error.svg'],
    ['mnist-bplambda/error.svg', 'seq-mnist-bplambda-error.svg'],
    ['mnist-bplambda/alignment.svg', 'seq-mnist-bplambda-alignment.svg'],
    ['copy-repeat/curriculum.svg', 'copy-repeat-curriculum.svg'],
    ['copy-repeat-synthlr1e-3/curriculum.svg', 'copy-repeat-synthlr1e-3-curriculum.svg'],
    ['mnist-online-H12/error.svg', 'seq-mnist-online-H12-error.svg'],
  ];
  for (const [from, to] of copies) {
    if (existsSync(join(root, from))) {
      copyFileSync(join(root, from), join(dir, to));
      console.log(`copied ${from} → ${join(dir, to)}`);
    } else console.log(`missing ${from}`);
  }
}
