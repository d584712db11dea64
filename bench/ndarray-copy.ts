/**
 * Micro-benchmark of the `bp-lambda/ndarray` boundary copies (src/ndarray.ts), with benchmark.js:
 *
 *   node --import tsx bench/ndarray-copy.ts [--quick]
 *
 * Three ways to copy a strided ndarray view into a dense row-major array (and back):
 *   - ndarray-ops `assign` (what the adapter uses; cwise compiles one loop per layout),
 *   - a plain loop: an odometer over the outer axes and a strided inner loop, written by hand
 *     (one function call per row, none per element),
 *   - `view.get(i, j, …)` per element (what the adapter did before ndarray-ops).
 * All three are first checked to give the same array. Prints a Markdown section: million
 * elements per second from benchmark.js's fastest sample, and the ratio to the plain loop.
 */
import os from 'node:os';
import Benchmark from 'benchmark';
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import type { NdArray } from 'ndarray';

type Dense = Float64Array | Float32Array;
type View = NdArray<Float64Array | Float32Array | Uint8Array>;

/**
 * The plain loop's skeleton: calls `row(p0, k0, n, s)` for every innermost row of `view`, where p0
 * is the row's first position in view.data, s its stride there, n its length, and k0 its first
 * row-major position; the outer axes advance as an odometer.
 */
function forEachRow(view: View, row: (p0: number, k0: number, n: number, s: number) => void): void {
  const { shape, stride } = view;
  const d = shape.length;
  const n = shape[d - 1];
  const rows = shape.reduce((a, b) => a * b, 1) / n;
  const idx = new Array<number>(d - 1).fill(0);
  let base = view.offset;
  for (let r = 0; r < rows; r++) {
    row(base, r * n, n, stride[d - 1]);
    for (let a = d - 2; a >= 0; a--) {
      base += stride[a];
      if (++idx[a] < shape[a]) break;
      base -= stride[a] * shape[a];
      idx[a] = 0;
    }
  }
}

/** out ← view, row-major, by hand: strided reads along each row. */
function plainCopyIn(view: View, out: Dense): void {
  const src = view.data as ArrayLike<number>;
  forEachRow(view, (p0, k0, n, s) => {
    for (let j = 0, p = p0; j < n; j++, p += s) out[k0 + j] = src[p];
  });
}

/** view ← dense, row-major, by hand: strided writes along each row. */
function plainCopyOut(dense: Dense, view: View): void {
  const dst = view.data as Float64Array;
  forEachRow(view, (p0, k0, n, s) => {
    for (let j = 0, p = p0; j < n; j++, p += s) dst[p] = dense[k0 + j];
  });
}

/** out ← view by `get(...index)` per element (the adapter's former loop). */
function getCopyIn(view: View, out: Dense): void {
  const shape = view.shape;
  const idx = new Array<number>(shape.length).fill(0);
  const get = view.get as (...i: number[]) => number;
  for (let k = 0; k < out.length; k++) {
    out[k] = get.apply(view, idx);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/** view ← dense by `set(...index, value)` per element. */
function setCopyOut(dense: Dense, view: View): void {
  const shape = view.shape;
  const args = new Array<number>(shape.length + 1).fill(0);
  const set = view.set as (...i: number[]) => number;
  for (let k = 0; k < dense.length; k++) {
    args[shape.length] = dense[k];
    set.apply(view, args);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++args[d] < shape[d]) break;
      args[d] = 0;
    }
  }
}

interface Case {
  name: string;
  elements: number;
  /** the three implementations, same contract */
  run: Record<'ndarray-ops' | 'plain loop' | 'get/set per element', () => void>;
  /** the result of the last run (to check that all agree) */
  result: () => ArrayLike<number>;
}

function filled(n: number, Ctor: Float64ArrayConstructor | Uint8ArrayConstructor = Float64Array): Float64Array | Uint8Array {
  const a = new Ctor(n);
  for (let i = 0; i < n; i++) a[i] = (i * 7919) % 251;
  return a;
}

function cases(): Case[] {
  // 1. a transposed 512×512 float64 matrix into a dense float64 tensor (strided reads)
  const N = 512;
  const t: View = ndarray(filled(N * N), [N, N]).transpose(1, 0);
  const outT = new Float64Array(N * N);
  // 2. a batch of 256 images, 28×28 uint8, every other image, into float32 (contiguous rows, type change)
  const imgs: View = ndarray(filled(512 * 28 * 28, Uint8Array), [512, 28, 28]).step(2);
  const outI = new Float32Array(256 * 28 * 28);
  // 3. a dense 512×512 float64 tensor out into a transposed view (strided writes)
  const src = filled(N * N) as Float64Array;
  const target: View = ndarray(new Float64Array(N * N), [N, N]).transpose(1, 0);
  // 4. a small view: one time step of a batch, B = 10 rows of I = 28 inputs, every other column (per-call overhead)
  const step: View = ndarray(filled(10 * 56), [10, 56]).step(1, 2);
  const outS = new Float64Array(10 * 28);
  const dense = (a: Dense, shape: number[]): View => ndarray(a, shape);
  return [
    {
      name: 'in: transposed 512×512 float64 → float64',
      elements: N * N,
      run: { 'ndarray-ops': () => ops.assign(dense(outT, [N, N]), t), 'plain loop': () => plainCopyIn(t, outT), 'get/set per element': () => getCopyIn(t, outT) },
      result: () => outT,
    },
    {
      name: 'in: every other image of 512 × 28×28 uint8 → float32',
      elements: outI.length,
      run: { 'ndarray-ops': () => ops.assign(dense(outI, [256, 28, 28]), imgs), 'plain loop': () => plainCopyIn(imgs, outI), 'get/set per element': () => getCopyIn(imgs, outI) },
      result: () => outI,
    },
    {
      name: 'out: float64 512×512 → transposed view',
      elements: N * N,
      run: { 'ndarray-ops': () => ops.assign(target, dense(src, [N, N])), 'plain loop': () => plainCopyOut(src, target), 'get/set per element': () => setCopyOut(src, target) },
      result: () => target.data as Float64Array,
    },
    {
      name: 'in: small, 10×28 (every other column of 10×56) float64 → float64',
      elements: outS.length,
      run: { 'ndarray-ops': () => ops.assign(dense(outS, [10, 28]), step), 'plain loop': () => plainCopyIn(step, outS), 'get/set per element': () => getCopyIn(step, outS) },
      result: () => outS,
    },
  ];
}

function fastestHz(fn: () => void, maxTime: number): number {
  const b = new Benchmark('x', fn, { maxTime, minSamples: 5 });
  b.run({ async: false });
  if (b.error) throw b.error;
  const fastest = Math.min(...b.stats.sample);
  return 1 / fastest;
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const maxTime = quick ? 0.3 : 1;
  const rows: string[] = [];
  for (const c of cases()) {
    const results: Record<string, number[]> = {};
    for (const [name, fn] of Object.entries(c.run)) {
      (c.result() as Float64Array).fill(NaN);
      fn();
      results[name] = Array.from(c.result());
    }
    const [first, ...rest] = Object.entries(results);
    for (const [name, r] of rest) if (r.some((v, i) => v !== first[1][i])) throw new Error(`${c.name}: ${name} differs from ${first[0]}`);
    const rate: Record<string, number> = {};
    for (const [name, fn] of Object.entries(c.run)) rate[name] = (fastestHz(fn, maxTime) * c.elements) / 1e6;
    const plain = rate['plain loop'];
    const cell = (name: string) => `${rate[name].toFixed(0)} (${(rate[name] / plain).toFixed(2)}×)`;
    rows.push(`| ${c.name} | ${cell('ndarray-ops')} | ${plain.toFixed(0)} | ${cell('get/set per element')} |`);
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Machine: ${os.cpus().length} × ${cpu}, Node ${process.version}; load average (1 min) ${os.loadavg()[0].toFixed(2)}.`);
  console.log('Million elements copied per second (benchmark.js, fastest sample), and the ratio to the plain loop.\n');
  console.log('| copy | ndarray-ops assign | plain loop | get/set per element |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

main();
