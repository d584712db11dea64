/**
 * The blocked computation of BP(λ)'s eligibility trace against the trace recursion and the
 * per-sequence backward (λ-SG) computation (docs/MATH.md §4.3–4.6), one training batch each,
 * every configuration in a fresh process (`bench step`), ratios measured in the same run:
 *
 *   node --import tsx bench/blocked.ts [--quick] [--backend wasm] [--out FILE]
 *
 * Writes bench/RESULTS-blocked.md and bench/figures/blocked-*.svg (with --quick:
 * bench/out/quick/, ignored by git). The trace recursion costs the same at every step, so where
 * a whole batch of it would take minutes or not fit in memory (the copy-repeat size: 2·B·n³
 * values, 13 GB at B = 100, n = 200) it is timed on fewer steps or examples and scaled linearly
 * per step and per example; the table says where.
 */
import { cpus, loadavg } from 'node:os';
import { fmt, ok, root, step } from './child-step.ts';
import { lineChart } from '../src/experiments/svg.ts';
import { mkdirpSync, writeFileAtomicSync } from '../src/io/atomic.ts';

type Args = Record<string, string | number>;

interface Config {
  name: string;
  args: Args;
  /** the trace recursion is timed on this many steps / examples and scaled to the config's */
  tracesOn?: { steps?: number; batch?: number };
  /** paper code's figure, ms per batch (float32, 2 threads, measured on this machine beside ours) */
  paperMs?: number;
}

export async function blockedBench(argv: string[]): Promise<string> {
  const quick = argv.includes('--quick');
  const bi = argv.indexOf('--backend');
  const backend = bi >= 0 ? argv[bi + 1] : 'wasm';
  const started = performance.now();
  const load0 = loadavg()[0];
  const out: string[] = [];
  const log = (s: string) => {
    out.push(s);
    process.stderr.write(s + '\n');
  };
  const common = { method: 'bp-lambda', lambda: 1, gamma: 0.9, backend, repeats: quick ? 1 : 3 };
  log(`# BP(λ): the blocked computation against the trace recursion${quick ? ' (--quick)' : ''}\n`);
  log(`Command: \`node --import tsx bench/blocked.ts ${argv.join(' ')}\`. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, backend ${backend}, ${new Date().toISOString().slice(0, 10)}; load average ${load0.toFixed(2)} at the start.`);
  log('One full training batch (forward, TD errors, trace contractions, Adam updates of every group at every step: the per-step regime, BP(1), γ = 0.9), median of the repeats, each configuration in a fresh process. "blocked" uses the default window K = n. "backward" is the per-sequence λ-SG computation of the same per-sequence update (no per-step contributions, so no per-step clip).\n');

  // 1. the paper's configurations at their own T
  const paperConfigs: Config[] = [
    { name: 'toy: linear RNN H=30 (n=30), B=10, T=60', args: { cell: 'rnn', activation: 'identity', input: 10, hidden: 30, output: 2, batch: 10, steps: 60 }, paperMs: 380 },
    { name: 'seq-MNIST: LSTM H=30 (n=60), I=28, O=10, B=50, T=28', args: { cell: 'lstm', input: 28, hidden: 30, output: 10, batch: 50, steps: 28 }, paperMs: 2390 },
    { name: 'LSTM H=64 (n=128), I=10, O=9, B=16, T=20', args: { cell: 'lstm', input: 10, hidden: 64, output: 9, batch: 16, steps: 20 }, tracesOn: quick ? { steps: 2, batch: 4 } : { steps: 5 }, paperMs: 5360 },
    { name: 'copy-repeat size: LSTM H=100 (n=200), I=10, O=9, B=100, T=30', args: { cell: 'lstm', input: 10, hidden: 100, output: 9, batch: 100, steps: 30 }, tracesOn: quick ? { steps: 2, batch: 2 } : { steps: 3, batch: 10 } },
  ];
  const dtypes = quick ? ['float64'] : ['float64', 'float32'];
  log('## The paper\'s configurations at their own T\n');
  log('ms per batch (peak memory growth in MB). The paper code\'s figures (its PyTorch code, float32, 2 threads) were measured on this machine in one run beside ours and are quoted for scale only.\n');
  log('| configuration | dtype | traces | blocked | traces ÷ blocked | backward (per-sequence) | paper code (quoted) |');
  log('|---|---|---|---|---|---|---|');
  for (const c of paperConfigs) {
    for (const dtype of dtypes) {
      const B = Number(c.args.batch);
      const T = Number(c.args.steps);
      const tb = c.tracesOn?.batch ?? B;
      const tT = c.tracesOn?.steps ?? T;
      const tr = step({ ...c.args, ...common, dtype, batch: tb, steps: tT, regime: 'per-step', computation: 'traces', repeats: c.tracesOn ? 1 : common.repeats });
      const bl = step({ ...c.args, ...common, dtype, regime: 'per-step', computation: 'blocked' });
      const bw = step({ ...c.args, ...common, dtype, regime: 'per-sequence', computation: 'backward' });
      const scale = (B / tb) * (T / tT);
      const trMs = ok(tr) ? tr.msPerBatch * scale : NaN;
      const scaled = scale !== 1 ? ` (timed on ${tb} examples × ${tT} steps, scaled ×${fmt(scale, 0)})` : '';
      log(
        `| ${c.name} | ${dtype} | ${ok(tr) ? `${fmt(trMs, 0)} (${fmt(tr.peakRssMB, 0)})${scaled}` : tr.error} | ${ok(bl) ? `${fmt(bl.msPerBatch, 1)} (${fmt(bl.peakRssMB, 0)})` : bl.error} | ${ok(tr) && ok(bl) ? fmt(trMs / bl.msPerBatch, 1) + '×' : '–'} | ${ok(bw) ? fmt(bw.msPerBatch, 1) : bw.error} | ${c.paperMs ? `${c.paperMs} ms` : '–'} |`,
      );
    }
  }

  // 2. streams that fold several times
  const streamT = quick ? 120 : 500;
  log(`\n## A stream with several folds (LSTM, B = 10, T = ${streamT})\n`);
  log('The fold\'s n⁴ product every K steps dominates here. ms per batch (peak MB); the trace recursion timed on the first 50 steps and scaled to T (its cost per step does not depend on t).\n');
  log('| configuration | dtype | traces | blocked | traces ÷ blocked |');
  log('|---|---|---|---|---|');
  for (const H of quick ? [30] : [30, 64]) {
    for (const dtype of dtypes) {
      const args = { cell: 'lstm', input: 10, hidden: H, output: 9, batch: 10, ...common, dtype, regime: 'per-step' };
      const tr = step({ ...args, steps: 50, computation: 'traces', repeats: 1 });
      const bl = step({ ...args, steps: streamT, computation: 'blocked', repeats: 1 });
      const trMs = ok(tr) ? (tr.msPerBatch * streamT) / 50 : NaN;
      log(`| LSTM H=${H} (n=${2 * H}) | ${dtype} | ${ok(tr) ? `${fmt(trMs, 0)} (${fmt(tr.peakRssMB, 0)})` : tr.error} | ${ok(bl) ? `${fmt(bl.msPerBatch, 0)} (${fmt(bl.peakRssMB, 0)})` : bl.error} | ${ok(tr) && ok(bl) ? fmt(trMs / bl.msPerBatch, 1) + '×' : '–'} |`);
    }
  }

  // 3. time per step and memory against T
  const Ts = quick ? [10, 60, 120] : [10, 30, 60, 120, 250, 500];
  const H = 30;
  log(`\n## Time per step and memory against T (LSTM H = ${H}, n = ${2 * H}, B = 10, float64)\n`);
  log('| T | traces: ms/step | traces: peak MB | blocked: ms/step | blocked: peak MB |');
  log('|---|---|---|---|---|');
  const series: Record<string, { time: [number, number][]; mem: [number, number][] }> = { traces: { time: [], mem: [] }, blocked: { time: [], mem: [] } };
  for (const T of Ts) {
    const cells: string[] = [];
    for (const computation of ['traces', 'blocked'] as const) {
      const r = step({ cell: 'lstm', input: 10, hidden: H, output: 9, batch: 10, steps: T, ...common, regime: 'per-step', computation, repeats: 1 });
      if (ok(r)) {
        cells.push(fmt(r.msPerBatch / T, 2), fmt(r.peakRssMB, 1));
        series[computation].time.push([T, r.msPerBatch / T]);
        series[computation].mem.push([T, r.peakRssMB]);
      } else cells.push(r.error, '–');
    }
    log(`| ${T} | ${cells.join(' | ')} |`);
  }
  const dir = quick ? 'bench/out/quick/' : 'bench/';
  mkdirpSync(`${root}${dir}figures`);
  writeFileAtomicSync(`${root}${dir}figures/blocked-time-per-step.svg`, lineChart({ title: `BP(1) per step vs T (LSTM H=${H}, B=10)`, xLabel: 'T', yLabel: 'ms per step', series: Object.entries(series).map(([name, s]) => ({ name, points: s.time })) }));
  writeFileAtomicSync(`${root}${dir}figures/blocked-memory.svg`, lineChart({ title: `Peak memory vs T (LSTM H=${H}, B=10)`, xLabel: 'T', yLabel: 'peak RSS growth, MB', series: Object.entries(series).map(([name, s]) => ({ name, points: s.mem })) }));
  log('\n![time per step](figures/blocked-time-per-step.svg) ![memory](figures/blocked-memory.svg)\n');
  log(`Total wall time: ${fmt((performance.now() - started) / 1000, 0)} s; load average at the end ${loadavg()[0].toFixed(2)}.`);
  const text = out.join('\n') + '\n';
  const oi = argv.indexOf('--out');
  writeFileAtomicSync(oi >= 0 ? argv[oi + 1] : `${root}${dir}RESULTS-blocked.md`, text);
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  blockedBench(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`bench/blocked: error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
