/**
 * What every JavaScript runtime runs in `npm run test:runtimes` (bundled by run.mjs with the
 * core, no imports left): a small LSTM trained online with BP(λ) (per-step Adam, softmax
 * cross-entropy, inputs from the RNG's normal draws) on each backend the library offers here
 * (js, wasm, workers; a missing capability falls back and the backend says so) in float64 and
 * float32, and a checksum of its parameters: FNV-1a (64-bit) over the float64 bytes of every
 * parameter, in a fixed order. A second checksum over the engine's own Math.exp/log/tanh/cos
 * shows why the library carries its own math (those differ between engines).
 */
import { Adam, createLearner, createModel, lossStep, Rng, setBackend, getBackend, trainSequence, type Backend, type DType, type SeqBatch } from '../../../src/index.ts';
import { createBackend, type BackendChoice } from '../../../src/backends.ts';
import { cosPi, exp, log, log1p, sigmoid, tanh } from '../../../src/math/index.ts';
import type { WorkerPort } from '../../../src/tensor/workers-backend.ts';

export interface EngineRun {
  /** the backend asked for */
  backend: BackendChoice;
  /** the backend that ran (its name) and, if it stands in for the one asked for, why */
  used: string;
  fallback: string | null;
  dtype: DType;
  checksum: string;
  finalLoss: number;
}

export interface EngineReport {
  features: { webAssembly: boolean; sharedArrayBuffer: boolean; worker: boolean };
  runs: EngineRun[];
  /** checksum of src/math on fixed arguments (must agree everywhere) */
  libraryMath: string;
  /** checksum of the engine's Math.* on the same arguments (may differ between engines) */
  engineMath: string;
}

export interface EngineOptions {
  /** how to start a worker for the workers backend (default: Node worker_threads) */
  spawn?: (index: number) => WorkerPort;
}

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

/** FNV-1a, 64-bit, over the little-endian float64 bytes of the values. */
export function checksum(values: ArrayLike<number>): string {
  const view = new DataView(new ArrayBuffer(8));
  let h = OFFSET;
  for (let i = 0; i < values.length; i++) {
    view.setFloat64(0, values[i], true);
    for (let b = 0; b < 8; b++) h = ((h ^ BigInt(view.getUint8(b))) * PRIME) & MASK;
  }
  return h.toString(16).padStart(16, '0');
}

function batchOf(rng: Rng, T: number, B: number, I: number, O: number, dtype: DType): SeqBatch {
  const Arr = dtype === 'float32' ? Float32Array : Float64Array;
  const x = Array.from({ length: T }, () => {
    const xt = new Arr(B * I);
    for (let i = 0; i < xt.length; i++) xt[i] = rng.normal();
    return xt;
  });
  const y = Array.from({ length: T }, (_, t) => {
    if (t % 2 === 0) return null;
    const target = new Arr(B * O);
    for (let b = 0; b < B; b++) target[b * O + rng.int(O)] = 1;
    return target;
  });
  return { T, B, inputSize: I, outputSize: O, loss: 'softmax-ce', x, y };
}

/** Trains the LSTM on the active backend; returns the checksum of its parameters. */
function train(dtype: DType): { checksum: string; finalLoss: number } {
  const I = 4;
  const H = 6;
  const O = 3;
  const model = createModel({ cell: 'lstm', inputSize: I, hiddenSize: H, outputSize: O, seed: 5, dtype });
  const learner = createLearner('bp-lambda', model, {
    loss: 'softmax-ce',
    lambda: 0.9,
    gamma: 0.9,
    sgScale: 0.5,
    regime: 'per-step',
    optimizer: new Adam({ lr: { cell: 0.01, readout: 0.01, synthesiser: 0.003 } }),
  });
  const rng = new Rng(17);
  let finalLoss = NaN;
  for (let sequence = 0; sequence < 4; sequence++) finalLoss = trainSequence(learner, batchOf(rng, 8, 3, I, O, dtype)).loss;
  const values: number[] = [];
  const groups = model.groups() as unknown as Record<string, Record<string, { data: ArrayLike<number> }>>;
  for (const group of Object.keys(groups).sort()) {
    for (const name of Object.keys(groups[group]).sort()) values.push(...Array.from(groups[group][name].data));
  }
  return { checksum: checksum(values), finalLoss };
}

function mathArguments(): number[] {
  const rng = new Rng(23);
  return Array.from({ length: 200 }, () => (rng.next() - 0.5) * 40);
}

export async function runEngineChecks(options: EngineOptions = {}): Promise<EngineReport> {
  const g = globalThis as { WebAssembly?: unknown; SharedArrayBuffer?: unknown; Worker?: unknown };
  const runs: EngineRun[] = [];
  const initial = getBackend();
  for (const backend of ['js', 'wasm', 'workers'] as const) {
    const backendOptions: Record<string, unknown> = backend === 'workers' ? { workers: 2, minParallelFlops: 0, ...(options.spawn ? { spawn: options.spawn } : {}) } : {};
    const active: Backend & { dispose?: () => unknown } = await createBackend(backend, backendOptions);
    setBackend(active);
    try {
      for (const dtype of ['float64', 'float32'] as const) {
        runs.push({ backend, used: active.name, fallback: active.fallback ?? null, dtype, ...train(dtype) });
      }
    } finally {
      setBackend(initial);
      await active.dispose?.();
    }
  }
  const xs = mathArguments();
  const ours: number[] = [];
  const engine: number[] = [];
  for (const x of xs) {
    ours.push(exp(x), log(Math.abs(x) + 1e-3), log1p(Math.abs(x)), tanh(x / 8), sigmoid(x), cosPi(x / 7));
    engine.push(Math.exp(x), Math.log(Math.abs(x) + 1e-3), Math.log1p(Math.abs(x)), Math.tanh(x / 8), 1 / (1 + Math.exp(-x)), Math.cos((Math.PI * x) / 7));
  }
  // the softmax loss on fixed logits goes through exp and log as well
  const logits = Float64Array.from(xs.slice(0, 30));
  const targets = new Float64Array(30).fill(0.1);
  ours.push(lossStep('softmax-ce', logits, targets, 3, 10, null));
  return {
    features: { webAssembly: typeof g.WebAssembly === 'object', sharedArrayBuffer: typeof g.SharedArrayBuffer === 'function', worker: typeof g.Worker === 'function' },
    runs,
    libraryMath: checksum(ours),
    engineMath: checksum(engine),
  };
}
