/**
 * `npm run --silent bench -- math [--quick]`: the cost of the engine-independent math (src/math)
 * against the engine's own Math.* functions, and per training step at the paper's sizes
 * (LSTM H = 30, I = 28, O = 10, B = 50). Prints a markdown section (bench/RESULTS.md).
 *
 *   1. ns per call of each function on realistic arguments (pre-activations ~ N(0, 2²)), each
 *      in its own loop (monomorphic call sites), fastest of several passes.
 *   2. Per step: the transcendental calls one training step makes — LSTM forward: B·H·(3
 *      sigmoid + 2 tanh); softmax cross-entropy: B·O exp for the normaliser, B log, B·O exp for
 *      the gradient; Adam: 2 powInt — priced with the ns/call of (1), next to the measured time
 *      of the LSTM forward pass itself and of a whole step (BPTT and BP(1) per-step, js backend).
 */
import { cpus } from 'node:os';
import { cosPi, exp, expm1, log, log1p, powInt, sigmoid, tanh } from '../src/math/index.ts';
import { Rng } from '../src/rng.ts';
import { LstmCell } from '../src/cells/lstm.ts';
import { createModel } from '../src/model/model.ts';
import { parseStepArgs, timeStep } from './step.ts';

const H = 30;
const I = 28;
const O = 10;
const B = 50;

let sink = 0;

/**
 * Fastest of `rounds` passes, in ns per element, of `loop` over `xs`. Each caller passes its own
 * loop literal, so every loop's call site sees one function (monomorphic, inlinable).
 */
function nsPerCall(xs: Float64Array, loop: (xs: Float64Array) => number, rounds: number): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    sink += loop(xs);
    best = Math.min(best, ((performance.now() - t0) * 1e6) / xs.length);
  }
  return best;
}

export async function mathBench(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const unknown = argv.filter((a) => a !== '--quick');
  if (unknown.length) throw new Error(`bench math: unknown option ${unknown[0]} (known: --quick)`);
  const rng = new Rng(1);
  const n = quick ? 100_000 : 400_000;
  const pre = Float64Array.from({ length: n }, () => 2 * rng.normal());
  const positive = pre.map((v) => Math.abs(v) + 1e-3);
  const turns = pre.map((v) => v / 4);
  const steps = Float64Array.from({ length: n }, (_, i) => 1 + (i % 100_000));
  const rounds = quick ? 10 : 30;
  const rows: [string, number, number][] = [
    ['exp', nsPerCall(pre, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += exp(v[i]); return a; }, rounds), nsPerCall(pre, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += Math.exp(v[i]); return a; }, rounds)],
    ['expm1', nsPerCall(pre, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += expm1(v[i]); return a; }, rounds), nsPerCall(pre, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += Math.expm1(v[i]); return a; }, rounds)],
    ['log', nsPerCall(positive, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += log(v[i]); return a; }, rounds), nsPerCall(positive, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += Math.log(v[i]); return a; }, rounds)],
    ['log1p', nsPerCall(positive, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += log1p(v[i]); return a; }, rounds), nsPerCall(positive, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += Math.log1p(v[i]); return a; }, rounds)],
    ['tanh', nsPerCall(pre, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += tanh(v[i]); return a; }, rounds), nsPerCall(pre, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += Math.tanh(v[i]); return a; }, rounds)],
    ['sigmoid (vs the two-branch Math.exp form)', nsPerCall(pre, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += sigmoid(v[i]); return a; }, rounds), nsPerCall(pre, (v) => { let a = 0; for (let i = 0; i < v.length; i++) { const z = v[i]; a += z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)); } return a; }, rounds)],
    ['powInt (vs `**`, β = 0.999, t = 1..10⁵)', nsPerCall(steps, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += powInt(0.999, v[i]); return a; }, rounds), nsPerCall(steps, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += 0.999 ** v[i]; return a; }, rounds)],
    ['cosPi (vs Math.cos(π·x))', nsPerCall(turns, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += cosPi(v[i]); return a; }, rounds), nsPerCall(turns, (v) => { let a = 0; for (let i = 0; i < v.length; i++) a += Math.cos(Math.PI * v[i]); return a; }, rounds)],
  ];
  const ns = Object.fromEntries(rows.map(([name, ours, engine]) => [name.split(' ')[0], [ours, engine]]));
  const calls = { sigmoid: 3 * B * H, tanh: 2 * B * H, exp: 2 * B * O, log: B, powInt: 2 };
  const price = (k: 0 | 1) => (Object.entries(calls).reduce((a, [f, c]) => a + c * ns[f][k], 0) / 1e3);
  const oursUs = price(0);
  const engineUs = price(1);
  // the LSTM forward pass itself: two matrix products and the gate nonlinearities
  const cell = createModel({ cell: 'lstm', inputSize: I, hiddenSize: H, outputSize: O, seed: 1 }).cell as LstmCell;
  const cache = cell.createCache(B);
  const x = Float64Array.from({ length: B * I }, () => rng.normal());
  const s0 = Float64Array.from({ length: B * 2 * H }, () => 0.5 * rng.normal());
  let forwardUs = Infinity;
  for (let r = 0; r < 20 * rounds; r++) {
    const t0 = performance.now();
    cell.forward(x, s0, cache);
    forwardUs = Math.min(forwardUs, (performance.now() - t0) * 1e3);
  }
  const common = ['--cell', 'lstm', '--input', String(I), '--hidden', String(H), '--output', String(O), '--batch', String(B), '--backend', 'js'];
  const bptt = await timeStep(parseStepArgs([...common, '--method', 'bptt', '--steps', '28', '--repeats', quick ? '2' : '5'])!);
  // T = 28 as in the paper: the traces fill up over the first steps, so a short sequence would understate a step
  const bpl = await timeStep(parseStepArgs([...common, '--method', 'bp-lambda', '--lambda', '1', '--regime', 'per-step', '--steps', '28', '--repeats', '1'])!);
  const bpttStepUs = (bptt.msPerBatch * 1e3) / 28;
  const bplStepUs = (bpl.msPerBatch * 1e3) / 28;

  const out1: string[] = [];
  out1.push('## Engine-independent math: cost (src/math against Math.*)\n');
  out1.push(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}. Command: \`npm run --silent bench -- math${quick ? ' --quick' : ''}\`. Arguments: pre-activations ~ N(0, 2²) (|x| + 10⁻³ for log, x/4 for cosPi), ${n.toLocaleString('en-US')} per function, fastest of ${rounds} passes.\n`);
  out1.push('| function | src/math, ns/call | Math.*, ns/call | ratio |');
  out1.push('|---|---|---|---|');
  for (const [name, ours, engine] of rows) out1.push(`| ${name} | ${ours.toFixed(1)} | ${engine.toFixed(1)} | ${(ours / engine).toFixed(2)}× |`);
  out1.push('');
  out1.push(`Per training step at the paper's sizes (LSTM H = ${H}, I = ${I}, O = ${O}, B = ${B}): the ${calls.sigmoid} sigmoid, ${calls.tanh} tanh, ${calls.exp} exp, ${calls.log} log and ${calls.powInt} powInt calls of one step (LSTM forward, softmax cross-entropy and its gradient, Adam's bias corrections) priced at the ns/call above, next to measured times (js backend, float64, same process; the forward pass includes its ${calls.sigmoid + calls.tanh} gate nonlinearities):\n`);
  out1.push('| | µs per step |');
  out1.push('|---|---|');
  out1.push(`| transcendental calls, src/math | ${oursUs.toFixed(0)} |`);
  out1.push(`| transcendental calls, Math.* | ${engineUs.toFixed(0)} |`);
  out1.push(`| LSTM forward pass (2 matrix products + gates), fastest | ${forwardUs.toFixed(0)} |`);
  out1.push(`| whole step, BPTT (T = 28, per step) | ${bpttStepUs.toFixed(0)} |`);
  out1.push(`| whole step, BP(1) per-step traces (T = 28, per step) | ${bplStepUs.toFixed(0)} |`);
  out1.push('');
  out1.push(`The deterministic math costs ${(oursUs - engineUs).toFixed(0)} µs per step more than the engine's functions: ${((100 * (oursUs - engineUs)) / bpttStepUs).toFixed(1)} % of a BPTT step, ${((100 * (oursUs - engineUs)) / bplStepUs).toFixed(2)} % of a BP(1) per-step step.`);
  process.stdout.write(`${out1.join('\n')}\n`);
  if (sink === 42) process.stdout.write('\n');
}
