/**
 * The benchmark suite: `npm run bench` (writes bench/RESULTS.md and bench/figures/*.svg, the
 * tracked results) or `npm run bench -- --quick` (under 2 minutes, wasm backend only, no kernel
 * section; writes bench/out/quick/RESULTS.md and bench/out/quick/figures/*.svg, ignored by git,
 * so a quick run never rewrites the tracked results). Every configuration runs
 * in a fresh process (`bench step`), so its peak memory is its own. Timings are reported with
 * the ratio to a baseline measured in the same run, or to a figure quoted beside it.
 */
import { spawnSync } from 'node:child_process';
import { fmt, ok, root, step } from './child-step.ts';
import { cpus } from 'node:os';
import { lineChart } from '../src/experiments/svg.ts';
import { mkdirpSync, writeFileAtomicSync } from '../src/io/atomic.ts';
import { tfjsLstmStep } from './tfjs-lstm.ts';

function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, Node ${process.version}`;
}

export async function suite(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const unknown = argv.filter((a) => a !== '--quick');
  if (unknown.length) throw new Error(`unknown option ${unknown[0]} (known: --quick, or the subcommand \`step\`)`);
  const started = performance.now();
  const out: string[] = [];
  const log = (s: string) => {
    out.push(s);
    process.stderr.write(s + '\n');
  };
  const backends = quick ? ['wasm'] : ['js', 'workers', 'wasm'];
  const outDir = quick ? 'bench/out/quick/' : 'bench/';
  const outFile = `${outDir}RESULTS.md`;
  log(`# Benchmark results\n\nMachine: ${machine()}. Command: \`npm run bench${quick ? ' -- --quick' : ''}\` (${new Date().toISOString().slice(0, 10)}).`);
  log('All timings are medians of full training batches (forward, learning signals, traces, Adam updates) on random data, each configuration in a fresh process.\n');

  // 1. the paper code's three configurations
  log('## Online BP(λ) at the paper code\'s configurations\n');
  log('The paper code\'s figures are those quoted in our performance issue (its PyTorch code, CPU, OpenBLAS with 2 threads, on this machine); "speed-up" is that figure divided by ours.\n');
  log('| configuration | paper code (quoted) | ours, per-step traces: backend → ms/batch | best speed-up | ours, per-sequence (λ-SG computation) | speed-up |');
  log('|---|---|---|---|---|---|');
  const paper: { name: string; ms: number; args: Record<string, string | number> }[] = [
    { name: 'sequential MNIST: LSTM H=30, B=50, T=28, BP(1)', ms: 2400, args: { cell: 'lstm', input: 28, hidden: 30, output: 10, batch: 50, steps: 28 } },
    { name: 'toy: linear RNN H=30, B=10, T=60', ms: 155, args: { cell: 'rnn', activation: 'identity', input: 10, hidden: 30, output: 2, batch: 10, steps: 60 } },
    { name: 'LSTM H=64, B=16, T=20', ms: 5600, args: { cell: 'lstm', input: 10, hidden: 64, output: 9, batch: 16, steps: 20 } },
  ];
  for (const p of paper) {
    const cells: string[] = [];
    let best = Infinity;
    for (const backend of backends) {
      const r = step({ ...p.args, method: 'bp-lambda', lambda: 1, regime: 'per-step', backend, repeats: quick || p.ms > 1000 ? 1 : 3 });
      cells.push(ok(r) ? `${backend} ${fmt(r.msPerBatch, 0)}` : `${backend}: ${r.error}`);
      if (ok(r)) best = Math.min(best, r.msPerBatch);
    }
    const seq = step({ ...p.args, method: 'bp-lambda', lambda: 1, regime: 'per-sequence', computation: 'backward', repeats: quick ? 3 : 7 });
    log(`| ${p.name} | ${p.ms} ms | ${cells.join('; ')} | ${fmt(p.ms / best, 2)}× | ${ok(seq) ? fmt(seq.msPerBatch, 1) + ' ms' : seq.error} | ${ok(seq) ? fmt(p.ms / seq.msPerBatch, 0) + '×' : '–'} |`);
  }

  // 2. one training step per method, LSTM, growing H
  const Hs = quick ? [8, 16] : [8, 16, 30, 64];
  const B = 16;
  const T = 20;
  log(`\n## One training batch per method (LSTM, I = 10, O = 9, B = ${B}, T = ${T}, js backend)\n`);
  log('ms per batch (peak memory growth in MB). RTRL costs O(n²·|Ψ|) per example and step and is run only up to H = 16.\n');
  const methods: [string, Record<string, string | number>][] = [
    ['BPTT', { method: 'bptt' }],
    ['truncated BPTT n=2', { method: 'tbptt', truncation: 2 }],
    ['n-step SG n=2', { method: 'sg', truncation: 2 }],
    ['BP(1) per-step traces', { method: 'bp-lambda', lambda: 1, regime: 'per-step' }],
    ['BP(1) per-sequence, λ-SG computation', { method: 'bp-lambda', lambda: 1, regime: 'per-sequence', computation: 'backward' }],
    ['RTRL', { method: 'rtrl' }],
  ];
  log(`| method | ${Hs.map((h) => `H = ${h}`).join(' | ')} |`);
  log(`|---|${Hs.map(() => '---').join('|')}|`);
  for (const [name, m] of methods) {
    const row: string[] = [];
    for (const H of Hs) {
      if (m.method === 'rtrl' && H > 16) {
        row.push('–');
        continue;
      }
      const heavy = m.method === 'bp-lambda' && m.regime === 'per-step' && H >= 30;
      const r = step({ cell: 'lstm', input: 10, hidden: H, output: 9, batch: B, steps: T, ...m, repeats: heavy || quick ? 1 : 3 });
      row.push(ok(r) ? `${fmt(r.msPerBatch, 1)} (${fmt(r.peakRssMB, 0)})` : r.error);
    }
    log(`| ${name} | ${row.join(' | ')} |`);
  }

  // 3. growth with T
  const Ts = quick ? [10, 40] : [10, 20, 40, 80, 160];
  const growthH = 16;
  log(`\n## Growth with the sequence length (LSTM H = ${growthH}, I = 10, O = 9, B = ${B})\n`);
  log('BP(λ) per-step keeps no history: its time per step and its memory stay flat in T. BPTT stores the whole trajectory: memory grows linearly.\n');
  log(`| T | ${['BPTT', 'BP(1) per-step'].map((m) => `${m}: ms/step | ${m}: peak MB`).join(' | ')} |`);
  log('|---|---|---|---|---|');
  const series: Record<string, { time: [number, number][]; mem: [number, number][] }> = { BPTT: { time: [], mem: [] }, 'BP(1) per-step': { time: [], mem: [] } };
  for (const steps of Ts) {
    const row: string[] = [];
    for (const [name, m] of [['BPTT', { method: 'bptt' }], ['BP(1) per-step', { method: 'bp-lambda', lambda: 1, regime: 'per-step' }]] as const) {
      const r = step({ cell: 'lstm', input: 10, hidden: growthH, output: 9, batch: B, steps, ...m, repeats: quick ? 1 : 3 });
      if (ok(r)) {
        row.push(fmt(r.msPerBatch / steps, 3), fmt(r.peakRssMB, 1));
        series[name].time.push([steps, r.msPerBatch / steps]);
        series[name].mem.push([steps, r.peakRssMB]);
      } else row.push(r.error, '–');
    }
    log(`| ${steps} | ${row.join(' | ')} |`);
  }
  mkdirpSync(`${root}${outDir}figures`);
  writeFileAtomicSync(`${root}${outDir}figures/time-per-step.svg`, lineChart({ title: `Time per step vs T (LSTM H=${growthH}, B=${B})`, xLabel: 'T', yLabel: 'ms per step', series: Object.entries(series).map(([name, s]) => ({ name, points: s.time })) }));
  writeFileAtomicSync(`${root}${outDir}figures/memory.svg`, lineChart({ title: `Peak memory vs T (LSTM H=${growthH}, B=${B})`, xLabel: 'T', yLabel: 'peak RSS growth, MB', series: Object.entries(series).map(([name, s]) => ({ name, points: s.mem })) }));
  log('\n![time per step](figures/time-per-step.svg) ![memory](figures/memory.svg)\n');

  // 4. our BPTT against tfjs-layers' LSTM (same size, same run)
  log('## BPTT: ours against tfjs-layers (LSTM H = 30, I = 28, O = 10, B = 50, T = 28, same run)\n');
  const ours = step({ cell: 'lstm', input: 28, hidden: 30, output: 10, batch: 50, steps: 28, method: 'bptt', repeats: quick ? 3 : 7 });
  log('| implementation | ms per batch | ratio to ours |');
  log('|---|---|---|');
  const oursMs = ok(ours) ? ours.msPerBatch : NaN;
  log(`| bp-lambda BPTT (float64, js backend) | ${fmt(oursMs)} | 1 |`);
  for (const backend of ['cpu', 'wasm'] as const) {
    try {
      const ms = await tfjsLstmStep({ backend, input: 28, hidden: 30, output: 10, batch: 50, steps: 28, repeats: quick ? 2 : 5 });
      log(`| tfjs-layers LSTM, tfjs-backend-${backend} (float32) | ${fmt(ms)} | ${fmt(ms / oursMs, 2)}× slower |`);
    } catch (e) {
      log(`| tfjs-layers LSTM, tfjs-backend-${backend} | failed: ${(e as Error).message} | – |`);
    }
  }

  // 5. kernels: the quick grid here; the full grid (n ∈ {16, 32, 60, 100} × B ∈ {1, 10, 50}) is
  // `npm run bench:kernels -- --out bench/RESULTS-kernels.md` (about half an hour)
  log('\n## Kernels (trace product, quick grid; the full grid: bench/RESULTS-kernels.md)\n');
  if (quick) log('Skipped in the quick run: `npm run bench:kernels -- --quick`.');
  const k = quick ? null : spawnSync(process.execPath, ['--import', 'tsx', 'bench/kernels.ts', '--quick'], { cwd: root, encoding: 'utf8', timeout: 20 * 60_000 });
  if (k) log(k.status === 0 ? k.stdout.trim() : `kernel benchmark failed: ${(k.stderr || '').trim().split('\n').pop()}`);

  // 6. the ndarray adapter's boundary copies: ndarray-ops against a plain loop (about 15 s)
  log('\n## ndarray boundary copies (`bp-lambda/ndarray`): ndarray-ops against a plain loop\n');
  const nd = spawnSync(process.execPath, ['--import', 'tsx', 'bench/ndarray-copy.ts', ...(quick ? ['--quick'] : [])], { cwd: root, encoding: 'utf8', timeout: 5 * 60_000 });
  log(nd.status === 0 ? nd.stdout.trim() : `ndarray benchmark failed: ${(nd.stderr || '').trim().split('\n').pop()}`);

  // 7. the engine-independent math against Math.* (ns per call, and per training step)
  const m = spawnSync(process.execPath, ['--import', 'tsx', 'bench/main.ts', 'math', ...(quick ? ['--quick'] : [])], { cwd: root, encoding: 'utf8', timeout: 10 * 60_000 });
  log(m.status === 0 ? `\n${m.stdout.trim()}` : `\nmath benchmark failed: ${(m.stderr || '').trim().split('\n').pop()}`);

  log(`\nTotal wall time: ${fmt((performance.now() - started) / 1000, 0)} s.`);
  writeFileAtomicSync(root + outFile, out.join('\n') + '\n');
}
