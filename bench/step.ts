/**
 * One training batch of one configuration, timed: forward, learning signals, traces and
 * parameter updates (Adam) on random data. Prints one JSON line
 *   {"config": {...}, "msPerBatch": <median>, "runs": R, "heapMB": <peak heap growth>}
 * Usage: npm run --silent bench -- step --cell lstm --input 28 --hidden 30 --output 10 --batch 50 \
 *          --steps 28 --method bp-lambda --lambda 1 --regime per-step --backend js --repeats 3
 */
import { parseArgs, usage, type OptionSpec } from '../src/cli/args.ts';
import { createModel } from '../src/model/model.ts';
import { METHOD_NAMES, methodSpec } from '../src/experiments/methods/index.ts';
import { Adam } from '../src/optim/adam.ts';
import { Rng } from '../src/rng.ts';
import { setBackend, getBackend } from '../src/tensor/ops.ts';
import type { SeqBatch } from '../src/data/batch.ts';
import { ACTIVATIONS } from '../src/cells/activations.ts';
import { CELL_TYPES, type CellType } from '../src/cells/registry.ts';
import { checkOneOf, checkUnit } from '../src/validate.ts';
import { BACKEND_NAMES, makeBackend, type BackendName } from './backends.ts';
import type { Learner } from '../src/learners/learner.ts';

export const STEP_OPTIONS: readonly OptionSpec[] = [
  { name: 'cell', kind: 'string', default: 'lstm', help: CELL_TYPES.join(' | ') },
  { name: 'activation', kind: 'string', help: `cells with an activation (rnn): ${ACTIVATIONS.join(' | ')} (default: the cell's, tanh)` },
  { name: 'input', kind: 'int', default: 28, help: 'input size I' },
  { name: 'hidden', kind: 'int', default: 30, help: 'hidden size H' },
  { name: 'output', kind: 'int', default: 10, help: 'output size O' },
  { name: 'batch', kind: 'int', default: 50, help: 'batch size B' },
  { name: 'steps', kind: 'int', default: 28, help: 'sequence length T' },
  { name: 'method', kind: 'string', default: 'bp-lambda', help: METHOD_NAMES.join(' | ') },
  { name: 'lambda', kind: 'number', default: 1, help: 'λ (bp-lambda, lambda-sg)' },
  { name: 'gamma', kind: 'number', default: 0.9, help: 'γ' },
  { name: 'truncation', kind: 'int', default: 2, help: 'n (tbptt, sg)' },
  { name: 'regime', kind: 'string', default: 'per-step', help: 'per-step | per-sequence (bp-lambda, rtrl)' },
  { name: 'computation', kind: 'string', default: 'traces', help: 'bp-lambda: traces | blocked; per-sequence also backward (the identical λ-SG computation)' },
  { name: 'trace-window', kind: 'int', help: 'K of the blocked computation (default: the state size n)' },
  { name: 'backend', kind: 'string', default: 'js', help: BACKEND_NAMES.join(' | ') },
  { name: 'workers', kind: 'int', default: 2, help: 'threads of the workers backend' },
  { name: 'dtype', kind: 'string', default: 'float64', help: 'float64 | float32' },
  { name: 'repeats', kind: 'int', default: 3, help: 'timed batches (after one warm-up batch)' },
  { name: 'seed', kind: 'int', default: 1, help: 'seed of weights and data' },
  { name: 'help', kind: 'flag', help: 'show this help' },
];

export interface StepConfig {
  cell: CellType;
  activation?: (typeof ACTIVATIONS)[number];
  input: number;
  hidden: number;
  output: number;
  batch: number;
  steps: number;
  method: string;
  lambda: number;
  gamma: number;
  truncation: number;
  regime: 'per-step' | 'per-sequence';
  computation: 'traces' | 'blocked' | 'backward';
  traceWindow?: number;
  backend: BackendName;
  workers: number;
  dtype: 'float64' | 'float32';
  repeats: number;
  seed: number;
}

export function randomBatch(c: StepConfig, rng: Rng): SeqBatch {
  const mk = (n: number) => (c.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const x = Array.from({ length: c.steps }, () => mk(c.batch * c.input).map(() => rng.normal()));
  const y = Array.from({ length: c.steps }, () => {
    const yt = mk(c.batch * c.output);
    for (let b = 0; b < c.batch; b++) yt[b * c.output + rng.int(c.output)] = 1;
    return yt;
  });
  return { T: c.steps, B: c.batch, inputSize: c.input, outputSize: c.output, loss: 'softmax-ce', x, y };
}

/** The configuration's learner, built by its method's spec (as `run` and `grads` build it); σ = 0.1, ρ = 1, no clip. */
export function makeLearner(c: StepConfig): Learner {
  const model = createModel({ cell: c.cell, ...(c.activation !== undefined ? { activation: c.activation } : {}), inputSize: c.input, hiddenSize: c.hidden, outputSize: c.output, seed: c.seed, dtype: c.dtype });
  const optimizer = new Adam({ lr: 1e-4, betas: [0.9, 0.98], eps: 1e-9 });
  const spec = methodSpec(c.method, 'bench step: --method');
  const all: Record<string, unknown> = { lambdas: [c.lambda], gamma: c.gamma, sgScale: 0.1, targetScale: 1, truncation: c.truncation, regime: c.regime, computation: c.computation, traceWindow: c.traceWindow ?? null, synthClip: null };
  const settings = Object.fromEntries(spec.settings.map((s) => [s.key, all[s.key]]));
  spec.check?.(settings, 'bench step');
  return spec.createLearner(model, { loss: 'softmax-ce', optimizer }, settings, (spec.variants?.(settings) ?? [{}])[0]);
}

/** Times `repeats` full training batches after one warm-up; returns the median in ms and the peak heap growth. */
export async function timeStep(c: StepConfig): Promise<{ msPerBatch: number; times: number[]; heapMB: number; peakRssMB: number }> {
  const { backend, dispose } = await makeBackend(c.backend, { workers: c.workers, float32: c.dtype === 'float32' });
  const previous = getBackend();
  setBackend(backend);
  try {
    const rng = new Rng(c.seed);
    const batch = randomBatch(c, rng);
    const learner = makeLearner(c);
    const run = () => {
      learner.reset(batch.B);
      for (let t = 0; t < batch.T; t++) learner.step(batch.x[t], batch.y[t], t === batch.T - 1);
      learner.end();
    };
    const rss0 = process.memoryUsage().rss;
    const heap0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    let peak = heap0;
    run();
    const times: number[] = [];
    for (let r = 0; r < c.repeats; r++) {
      const t0 = performance.now();
      run();
      times.push(performance.now() - t0);
      const mem = process.memoryUsage();
      peak = Math.max(peak, mem.heapUsed + mem.arrayBuffers);
    }
    const sorted = [...times].sort((a, b) => a - b);
    // maxRSS is the process's peak resident size: in a fresh process, its growth over the start is the run's peak memory
    const peakRssMB = (process.resourceUsage().maxRSS * 1024 - rss0) / 2 ** 20;
    return { msPerBatch: sorted[Math.floor(sorted.length / 2)], times, heapMB: (peak - heap0) / 2 ** 20, peakRssMB };
  } finally {
    setBackend(previous);
    dispose();
  }
}

export function parseStepArgs(argv: string[]): StepConfig | null {
  const { opts } = parseArgs(argv, STEP_OPTIONS, 'bench step');
  if (opts.help) {
    process.stdout.write(usage('npm run --silent bench -- step [options]', 'Times one full training batch of one configuration on random data.', STEP_OPTIONS) + '\n');
    return null;
  }
  const cell = checkOneOf(opts.cell, CELL_TYPES, 'bench step: --cell');
  return {
    cell,
    ...(opts.activation !== undefined ? { activation: checkOneOf(opts.activation, ACTIVATIONS, 'bench step: --activation') } : {}),
    input: opts.input as number,
    hidden: opts.hidden as number,
    output: opts.output as number,
    batch: opts.batch as number,
    steps: opts.steps as number,
    method: opts.method as string,
    lambda: checkUnit(opts.lambda, 'bench step: --lambda'),
    gamma: checkUnit(opts.gamma, 'bench step: --gamma'),
    truncation: opts.truncation as number,
    regime: checkOneOf(opts.regime, ['per-step', 'per-sequence'] as const, 'bench step: --regime'),
    computation: checkOneOf(opts.computation, ['traces', 'blocked', 'backward'] as const, 'bench step: --computation'),
    ...(opts['trace-window'] !== undefined ? { traceWindow: opts['trace-window'] as number } : {}),
    backend: checkOneOf(opts.backend, BACKEND_NAMES, 'bench step: --backend'),
    workers: opts.workers as number,
    dtype: checkOneOf(opts.dtype, ['float64', 'float32'] as const, 'bench step: --dtype'),
    repeats: opts.repeats as number,
    seed: opts.seed as number,
  };
}

export async function stepCommand(argv: string[]): Promise<void> {
  const c = parseStepArgs(argv);
  if (!c) return;
  for (const k of ['input', 'hidden', 'output', 'batch', 'steps', 'repeats', 'truncation', 'workers'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`bench step: --${k}: expected an integer ≥ 1, received ${c[k]}`);
  }
  const r = await timeStep(c);
  process.stdout.write(JSON.stringify({ config: c, msPerBatch: +r.msPerBatch.toFixed(3), runs: c.repeats, heapMB: +r.heapMB.toFixed(2), peakRssMB: +r.peakRssMB.toFixed(1) }) + '\n');
}
