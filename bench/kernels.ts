/**
 * Micro-benchmarks of the trace kernel, jacobianMatmul with cols = n·(n+1) (MATH.md §4.3,
 * §4.5), on every backend available here, with benchmark.js:
 *
 *   node --import tsx bench/kernels.ts [--quick] [--out FILE]
 *
 * Rates are GFLOP/s counted as the dense product does (2·B·n²·cols per call, whatever the
 * form: the lstm form does about half of those operations, so its rate is "effective").
 * Every cell also gives the ratio to the naive float64 loop (src/tensor/naive-backend.ts)
 * measured in the same run, and the summary gives ratios to tfjs-backend-wasm's batched
 * matMul of the same shapes (B × n×n by B × n×cols, float32). --quick (under 2 minutes)
 * covers (n, B) ∈ {(16, 10), (60, 10), (60, 50)}; the full run covers n ∈ {16, 32, 60, 100}
 * × B ∈ {1, 10, 50}. Each rate is from benchmark.js's fastest sample (the least disturbed
 * by other processes on a shared machine).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import Benchmark from 'benchmark';
import type { Backend } from '../src/tensor/backend.ts';
import type { Arr, DType } from '../src/tensor/dtype.ts';
import type { Jacobian } from '../src/tensor/jacobian.ts';
import { createModel } from '../src/model/model.ts';
import { NaiveBackend } from '../src/tensor/naive-backend.ts';
import { JsBackend } from '../src/tensor/js-backend.ts';
import { createWasmBackend } from '../src/tensor/wasm-backend.ts';
import { createWorkersBackend, type WorkersBackend } from '../src/tensor/workers-backend.ts';
import { createGpuBackend, type GpuBackend } from '../src/tensor/gpu-backend.ts';

/** A dense Jacobian, or a cell's own structured Jacobian at a random state (n = its state size). */
type Form = 'dense' | 'rnn' | 'lstm';
const FORMS: Form[] = ['dense', 'rnn', 'lstm'];

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const outIndex = argv.indexOf('--out');
const outFile = outIndex >= 0 ? argv[outIndex + 1] : null;

/** (n, B) configurations. */
const CONFIGS: [number, number][] = quick
  ? [[16, 10], [60, 10], [60, 50]]
  : [16, 32, 60, 100].flatMap((n) => [1, 10, 50].map((B): [number, number] => [n, B]));
/** benchmark.js budget per measurement (seconds) and minimum samples. */
const MAX_TIME = quick ? 0.15 : 1.5;
const MIN_SAMPLES = quick ? 2 : 3;
/**
 * The slow per-example loops (naive, gpu.js) are measured on at most this many examples of
 * the batch: they treat examples one after the other, so their rate does not depend on B.
 */
const SLOW_MAX_BATCH = 10;

/** One column of the table: a backend running one dtype. */
interface Column {
  label: string;
  dtype: DType;
  backend: Backend;
  /** allocate X and Y where the backend wants them (shared memory for the workers) */
  alloc?: (dtype: DType, length: number) => Arr;
  /** a per-example loop: measured on at most SLOW_MAX_BATCH examples */
  slow?: boolean;
  /** skip configurations with n above this */
  maxN?: number;
}

function fill(a: Arr, seed: number): Arr {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

function plain(dtype: DType, length: number): Arr {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

function jacobian(form: Form, dtype: DType, B: number, n: number): Jacobian {
  const a = (length: number, seed: number): Arr => fill(plain(dtype, length), seed);
  if (form === 'dense') return { kind: 'dense', batch: B, n, data: a(B * n * n, 1) };
  const hiddenSize = form === 'lstm' ? n / 2 : n;
  const model = createModel({ cell: form, inputSize: 4, hiddenSize, outputSize: 1, seed: 3, dtype });
  const cache = model.cell.createCache(B);
  model.cell.forward(a(B * 4, 2), a(B * n, 3), cache);
  return model.cell.jacobian(cache);
}

/** Seconds per call of fn: benchmark.js's fastest sample. */
function measure(name: string, fn: () => void): number {
  fn(); // warm up (compiles kernels, grows workspaces)
  const bench = new Benchmark(name, fn, { maxTime: MAX_TIME, minSamples: MIN_SAMPLES, initCount: 1 });
  bench.run();
  if (bench.error) throw bench.error;
  return Math.min(...bench.stats.sample);
}

/** tfjs-core with its cpu and wasm backends (float32 batched matMul), loaded only for this benchmark. */
async function loadTfjs(): Promise<{ rate: (backend: 'cpu' | 'wasm', B: number, n: number, cols: number) => Promise<number> } | null> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
    tf.env().set('IS_TEST', true); // silences the "install tfjs-node" banner
    return {
      async rate(backend, B, n, cols) {
        await tf.setBackend(backend);
        await tf.ready();
        const J = tf.tensor3d(fill(new Float32Array(B * n * n), 1) as Float32Array, [B, n, n]);
        const X = tf.tensor3d(fill(new Float32Array(B * n * cols), 2) as Float32Array, [B, n, cols]);
        // both backends compute eagerly and synchronously: the product is done when matMul returns
        const seconds = measure(`tfjs-${backend}`, () => tf.matMul(J, X).dispose());
        J.dispose();
        X.dispose();
        return (2 * B * n * n * cols) / seconds / 1e9;
      },
    };
  } catch (e) {
    console.error(`tfjs not available: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
}

function cell(rate: number | undefined, base: number | undefined): string {
  if (rate === undefined) return '–';
  return base === undefined ? rate.toFixed(2) : `${rate.toFixed(2)} (${(rate / base).toFixed(1)}×)`;
}

function machine(): string[] {
  const lines = [`- Node ${process.version}, ${os.type()} ${os.release()} ${os.arch()}`];
  try {
    const lscpu = execFileSync('lscpu', { encoding: 'utf8' });
    for (const key of ['Model name', 'CPU(s)', 'Thread(s) per core', 'L1d cache', 'L2 cache', 'L3 cache', 'Hypervisor vendor']) {
      const m = lscpu.match(new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s*(.*)$`, 'm'));
      if (m) lines.push(`- ${key}: ${m[1]}`);
    }
  } catch {
    lines.push(`- ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} logical cores`);
  }
  return lines;
}

async function main(): Promise<void> {
  const started = Date.now();
  const workers = Math.max(1, os.availableParallelism() - 1);
  const wasm = await createWasmBackend({ fallback: false });
  const wasm32 = await createWasmBackend({ fallback: false, float32: 'f32x4' });
  const workersWasm: WorkersBackend = await createWorkersBackend({ workers, kernels: 'wasm' });
  const workersWasm32: WorkersBackend = await createWorkersBackend({ workers, kernels: 'wasm', float32: 'f32x4' });
  const gpuWasm: GpuBackend = await createGpuBackend({ mode: 'webasm' });
  const tfjs = await loadTfjs();
  const threads = `${workers + 1} threads`;

  const columns: Column[] = [
    { label: 'naive f64', dtype: 'float64', backend: new NaiveBackend(), slow: true },
    { label: 'js f64', dtype: 'float64', backend: new JsBackend() },
    { label: 'wasm f64x2', dtype: 'float64', backend: wasm },
    { label: `workers-wasm f64x2 (${threads})`, dtype: 'float64', backend: workersWasm, alloc: (d, l) => workersWasm.alloc(d, l) },
    { label: 'wasm f32x4', dtype: 'float32', backend: wasm32 },
    { label: `workers-wasm f32x4 (${threads})`, dtype: 'float32', backend: workersWasm32, alloc: (d, l) => workersWasm32.alloc(d, l) },
    { label: 'gpu.js webasm f32', dtype: 'float32', backend: gpuWasm, slow: true, maxN: quick ? 16 : 60 },
  ];

  const header = ['n', 'B', 'form', ...columns.map((c) => c.label), 'tfjs-wasm matMul f32', 'tfjs-cpu matMul f32'];
  const rows: string[][] = [];
  const summary: string[] = [];

  const loadBefore = os.loadavg();
  for (const [n, B] of CONFIGS) {
    const cols = n * (n + 1);
    const flops = 2 * B * n * n * cols;
    const tf = tfjs === null ? null : { wasm: await tfjs.rate('wasm', B, n, cols), cpu: await tfjs.rate('cpu', B, n, cols) };
    for (const form of FORMS) {
      const rates: (number | undefined)[] = [];
      for (const col of columns) {
        if (n > (col.maxN ?? Infinity)) {
          rates.push(undefined);
          continue;
        }
        const b = col.slow ? Math.min(B, SLOW_MAX_BATCH) : B;
        const alloc = col.alloc ?? plain;
        const J = jacobian(form, col.dtype, b, n);
        const X = fill(alloc(col.dtype, b * n * cols), 9);
        const Y = alloc(col.dtype, b * n * cols);
        const seconds = measure(`${col.label} ${form} n=${n} B=${b}`, () => col.backend.jacobianMatmul(J, X, Y, cols, 0.9, 0));
        rates.push((flops * b) / B / seconds / 1e9);
      }
      const naive = rates[0];
      const row = [String(n), String(B), form, ...rates.map((r, i) => cell(r, i === 0 ? undefined : naive) + (columns[i].slow && B > SLOW_MAX_BATCH && r !== undefined ? ' †' : ''))];
      row.push(form === 'dense' && tf ? cell(tf.wasm, naive) : '', form === 'dense' && tf ? cell(tf.cpu, naive) : '');
      rows.push(row);
      console.error(row.join(' | '));
      if (n === 60 && B === 50 && tf) {
        const vsTf = columns.flatMap((c, i) => (rates[i] === undefined ? [] : [`${c.label} ${(rates[i]! / tf.wasm).toFixed(1)}×`])).join(', ');
        summary.push(`- ${form}: ${vsTf}`);
      }
    }
  }
  await Promise.all([workersWasm.dispose(), workersWasm32.dispose()]);
  gpuWasm.dispose();

  const table = [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
  const text = [
    `# Trace kernel micro-benchmarks${quick ? ' (--quick)' : ''}`,
    '',
    `Command: \`node --import tsx bench/kernels.ts ${argv.join(' ')}\` (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    '',
    ...machine(),
    `- load average (1 min) at start and end: ${loadBefore[0].toFixed(2)}, ${os.loadavg()[0].toFixed(2)} (other processes shared the machine when this is above ~0.1)`,
    '',
    'jacobianMatmul(J, X, Y, cols = n·(n+1), alpha = 0.9, beta = 0) over a batch of B examples.',
    'Cells: GFLOP/s counted as 2·B·n²·cols per call for every form (dense-equivalent; the lstm',
    'form performs about half of those operations), and in parentheses the ratio to the naive',
    'float64 loop measured in the same run. tfjs columns: tf.matMul of a B×n×n by a B×n×cols',
    'float32 tensor (the dense trace product), on the dense rows. Rates from benchmark.js\'s',
    'fastest sample.',
    `† measured on the first ${SLOW_MAX_BATCH} examples of the batch (a per-example loop: its rate does not depend on B).`,
    '– not measured in this mode.',
    '',
    table,
    '',
    ...(summary.length > 0 ? ['Ratios to tfjs-backend-wasm matMul at n = 60, B = 50:', '', ...summary, ''] : []),
  ].join('\n');
  console.log(text);
  if (outFile) writeFileSync(outFile, text);
}

await main();
