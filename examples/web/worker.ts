/**
 * Training worker: one BP(λ) run on the toy alignment task (docs/EXPERIMENTS.md §1), online, per-step
 * regime. The page starts one worker per λ so the runs go side by side on separate cores.
 */
import { Adam, createLearner, createModel, gradientAlignment, Rng, setBackend, trainSequence, type Learner, type Model, type ModelSpec, type SeqBatch } from '../../src/index.ts';
import { createToyTask, type ToyTask } from '../../src/tasks/toy.ts';
import type { FromWorker, ProgressPoint, RunConfig, ToWorker } from './protocol.ts';

const scope = self as unknown as { postMessage(m: FromWorker): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };

interface Run {
  config: RunConfig;
  task: ToyTask;
  model: Model;
  learner: Learner;
  rng: Rng;
  evalBatch: SeqBatch;
  seq: number;
  lossSum: number;
  lossCount: number;
  running: boolean;
  busyMs: number;
  startEvaluated: boolean;
}

let run: Run | undefined;
let lambda = NaN;

function post(m: FromWorker): void {
  scope.postMessage(m);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function init(config: RunConfig): Promise<void> {
  lambda = config.lambda;
  let backendName = 'js';
  if (config.backend === 'webgl2') {
    // gpu.js is loaded only here, when asked for (a separate chunk of the page's bundle)
    const { createGpuBackend } = await import('../../src/tensor/gpu-backend.ts');
    const gpu = await createGpuBackend({ mode: 'webgl2' });
    setBackend(gpu);
    backendName = gpu.name;
  }
  const task = createToyTask({ seed: config.seed, K: config.K });
  const model = createModel({ cell: config.cell.type, ...config.cell.options, inputSize: task.patternBits, hiddenSize: config.hidden, outputSize: task.outputSize, seed: config.seed } as ModelSpec);
  const optimizer = new Adam({ lr: { cell: config.rnnLr, readout: config.rnnLr, synthesiser: config.lr } });
  const learner = createLearner('bp-lambda', model, { loss: 'mse', lambda: config.lambda, gamma: config.gamma, regime: 'per-step', optimizer });
  const evalBatch = task.batch(new Rng(config.seed + 1000), 32, config.T);
  run = { config, task, model, learner, rng: new Rng(config.seed + 1), evalBatch, seq: 0, lossSum: 0, lossCount: 0, running: false, busyMs: 0, startEvaluated: false };
  post({ type: 'ready', lambda, backend: backendName });
}

function evaluate(r: Run): ProgressPoint {
  const a = gradientAlignment(r.model, r.evalBatch);
  const point = { seq: r.seq, loss: r.lossCount ? r.lossSum / r.lossCount : NaN, alignment: a.mean, whole: a.whole };
  r.lossSum = 0;
  r.lossCount = 0;
  return point;
}

/** Trains for up to ~40 ms, reports, and yields so that pause messages get through. */
function tick(): void {
  const r = run;
  if (!r || !r.running) return;
  const { config } = r;
  const points: ProgressPoint[] = [];
  const t0 = performance.now();
  const seq0 = r.seq;
  try {
    if (r.seq === 0 && !r.startEvaluated) {
      points.push(evaluate(r));
      r.startEvaluated = true;
    }
    // at least one sequence per tick, however slow the backend
    while (r.seq < config.maxSequences && (r.seq === seq0 || performance.now() - t0 < 40)) {
      const result = trainSequence(r.learner, r.task.batch(r.rng, config.batch, config.T));
      r.seq++;
      r.lossSum += result.loss;
      r.lossCount++;
      if (r.seq % config.evalEvery === 0 || r.seq === config.maxSequences) points.push(evaluate(r));
    }
  } catch (e) {
    r.running = false;
    post({ type: 'error', lambda, message: message(e) });
    return;
  }
  r.busyMs += performance.now() - t0;
  post({ type: 'progress', lambda, seq: r.seq, points, msPerSequence: r.seq ? r.busyMs / r.seq : 0 });
  if (r.seq >= config.maxSequences) {
    r.running = false;
    post({ type: 'done', lambda, seq: r.seq });
    return;
  }
  setTimeout(tick, 0);
}

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'init') {
    init(m.config).catch((err) => post({ type: 'error', lambda, message: message(err) }));
  } else if (m.type === 'start') {
    if (!run || run.running) return;
    run.running = true;
    tick();
  } else if (m.type === 'pause') {
    if (!run) return;
    run.running = false;
    post({ type: 'paused', lambda, seq: run.seq });
  }
};
