/**
 * Sequential MNIST, row by row (docs/EXPERIMENTS.md §2): 28 steps of 28 pixels in [0, 1] (pixel / 255, no
 * other normalisation), 10 classes, softmax cross-entropy with a one-hot target at the last step
 * only. Browser-safe: no Node imports here. Reading the files from disk is in `mnist-files.ts`;
 * this module parses IDX bytes, splits, samples subsets, batches, and makes the synthetic
 * stand-in that tests and CI use.
 */
import { Rng } from '../rng.ts';
import type { SeqBatch } from '../data/batch.ts';
import { alloc, checkDType, type Arr, type DType } from '../tensor/dtype.ts';
import { checkInt, checkObject, checkRng, fail } from '../validate.ts';

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_CLASSES = 10;
/** Default validation size of the seeded 48 000 / 12 000 split of the 60 000 training images. */
const MNIST_VALIDATION_SIZE = 12000;
/** Fraction of the training images held out for validation (12 000 / 60 000). */
const VALIDATION_FRACTION = MNIST_VALIDATION_SIZE / 60000;

/** A set of images stored as raw bytes: `pixels[(i·rows + r)·cols + c]` ∈ 0..255, `labels[i]` ∈ 0..9. */
export interface MnistSet {
  readonly n: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

/** The training set (60 000 for the real data) and the test set (10 000). */
export interface MnistData {
  readonly train: MnistSet;
  readonly test: MnistSet;
}

/** A selection of examples of one set. */
export interface MnistView {
  readonly set: MnistSet;
  readonly indices: Int32Array;
}

/** Train / validation (both from `data.train`) and test (from `data.test`) views. */
export interface MnistSplits {
  readonly train: MnistView;
  readonly validation: MnistView;
  readonly test: MnistView;
}

/** A sequential-MNIST batch plus the class of each example. */
export interface MnistBatch extends SeqBatch {
  readonly labels: Uint8Array;
}

/** A parsed IDX array of unsigned bytes. */
export interface IdxArray {
  readonly dims: number[];
  readonly data: Uint8Array;
}

const CONTEXT = 'mnist';

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/**
 * Parses an IDX file of unsigned bytes (type code 0x08): a 4-byte big-endian magic number
 * 0x0000 08 D, D big-endian 32-bit dimension sizes, then the data. Throws on a bad magic number,
 * another type code, a truncated file or trailing bytes. `name` labels the error messages.
 */
export function parseIdx(bytes: Uint8Array, name = 'idx'): IdxArray {
  if (!(bytes instanceof Uint8Array)) fail(`${CONTEXT}: ${name}: bytes`, 'a Uint8Array', bytes);
  if (bytes.length < 4) fail(`${CONTEXT}: ${name}: length`, 'at least 4 bytes (the magic number)', bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const typeCode = bytes[2];
  const ndims = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || ndims === 0) {
    throw new Error(`${CONTEXT}: ${name}: magic number: expected 0x000008DD (two zero bytes, type code, dimension count ≥ 1), received ${hex32(magic)}`);
  }
  if (typeCode !== 0x08) {
    throw new Error(`${CONTEXT}: ${name}: type code: expected 0x08 (unsigned byte), received 0x${typeCode.toString(16).padStart(2, '0')}`);
  }
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    fail(`${CONTEXT}: ${name}: length`, `at least ${headerLength} bytes (header of ${ndims} dimensions), truncated file`, bytes.length);
  }
  const dims = Array.from({ length: ndims }, (_, d) => view.getUint32(4 + 4 * d, false));
  const dataLength = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerLength + dataLength) {
    const what = bytes.length < headerLength + dataLength ? 'truncated file' : 'trailing bytes';
    fail(`${CONTEXT}: ${name}: length`, `${headerLength + dataLength} bytes (${dims.join('×')} + ${headerLength} header; ${what})`, bytes.length);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Builds an MnistSet from the bytes of an images IDX file and a labels IDX file. */
export function mnistSetFromIdx(imageBytes: Uint8Array, labelBytes: Uint8Array, name = 'mnist'): MnistSet {
  const images = parseIdx(imageBytes, `${name} images`);
  const labels = parseIdx(labelBytes, `${name} labels`);
  if (images.dims.length !== 3) fail(`${CONTEXT}: ${name} images: dimensions`, '3 (count, rows, cols)', images.dims.length);
  if (labels.dims.length !== 1) fail(`${CONTEXT}: ${name} labels: dimensions`, '1 (count)', labels.dims.length);
  const [n, rows, cols] = images.dims;
  if (labels.dims[0] !== n) fail(`${CONTEXT}: ${name} labels: count`, `${n} (the image count)`, labels.dims[0]);
  const badLabel = labels.data.findIndex((label) => label >= MNIST_CLASSES);
  if (badLabel >= 0) fail(`${CONTEXT}: ${name} labels[${badLabel}]`, `a class in 0..${MNIST_CLASSES - 1}`, labels.data[badLabel]);
  return { n, rows, cols, pixels: images.data, labels: labels.data };
}

/** A seeded split of indices 0..n−1 into `validation` (nVal of them) and `train` (the rest), each sorted. */
export function splitTrainValidation(n: number, nVal: number, seed: number): { train: Int32Array; validation: Int32Array } {
  checkInt(n, `${CONTEXT}: n`, 1);
  checkInt(nVal, `${CONTEXT}: nVal`, 0, n);
  checkInt(seed, `${CONTEXT}: seed`, -(2 ** 31), 2 ** 32 - 1);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(seed).shuffle(order);
  return { train: order.slice(nVal).sort(), validation: order.slice(0, nVal).sort() };
}

/** A seeded random subset of `size` of `indices` (sorted); all of them when size ≥ their count. */
export function sampleSubset(indices: Int32Array, size: number, seed: number): Int32Array {
  if (!(indices instanceof Int32Array)) fail(`${CONTEXT}: indices`, 'an Int32Array', indices);
  checkInt(size, `${CONTEXT}: size`, 0);
  checkInt(seed, `${CONTEXT}: seed`, -(2 ** 31), 2 ** 32 - 1);
  if (size >= indices.length) return indices.slice();
  const order = indices.slice();
  new Rng(seed).shuffle(order);
  return order.slice(0, size).sort();
}

export interface MnistSplitOptions {
  /** Seed of the train / validation split and of the subsets. */
  seed: number;
  /** Validation size (default one fifth of the training set: 12 000 of 60 000). */
  nVal?: number;
  /** Keep only this many training examples (CPU budgets). */
  trainSubset?: number;
  /** Keep only this many validation examples. */
  validationSubset?: number;
  /** Keep only this many test examples. */
  testSubset?: number;
}

/** The seeded train / validation split of `data.train`, the test set, and optional subsets of each. */
export function mnistSplits(data: MnistData, options: MnistSplitOptions): MnistSplits {
  checkObject(data, `${CONTEXT}: data`);
  checkMnistSet('data.train', data.train);
  checkMnistSet('data.test', data.test);
  checkObject(options, `${CONTEXT}: options`);
  const { seed, nVal = Math.round(data.train.n * VALIDATION_FRACTION) } = options;
  const split = splitTrainValidation(data.train.n, nVal, seed);
  const allTest = Int32Array.from({ length: data.test.n }, (_, i) => i);
  const subset = (indices: Int32Array, size: number | undefined, offset: number): Int32Array =>
    size === undefined ? indices : sampleSubset(indices, size, (seed + offset) | 0);
  return {
    train: { set: data.train, indices: subset(split.train, options.trainSubset, 1) },
    validation: { set: data.train, indices: subset(split.validation, options.validationSubset, 2) },
    test: { set: data.test, indices: subset(allTest, options.testSubset, 3) },
  };
}

function checkMnistSet(name: string, set: MnistSet): void {
  checkObject(set, `${CONTEXT}: ${name}`);
  checkInt(set.n, `${CONTEXT}: ${name}.n`, 0);
  checkInt(set.rows, `${CONTEXT}: ${name}.rows`, 1);
  checkInt(set.cols, `${CONTEXT}: ${name}.cols`, 1);
  if (!(set.pixels instanceof Uint8Array) || set.pixels.length !== set.n * set.rows * set.cols) {
    fail(`${CONTEXT}: ${name}.pixels`, `a Uint8Array of ${set.n * set.rows * set.cols} bytes`, set.pixels);
  }
  if (!(set.labels instanceof Uint8Array) || set.labels.length !== set.n) {
    fail(`${CONTEXT}: ${name}.labels`, `a Uint8Array of ${set.n} bytes`, set.labels);
  }
}

/**
 * The batch of the examples `indices` of `set`: T = rows steps, x[t] is B×cols with row t of each
 * image as pixel / 255, y is null except at the last step, where it holds one-hot rows.
 */
export function mnistBatch(set: MnistSet, indices: ArrayLike<number>, dtype: DType = 'float64'): MnistBatch {
  checkMnistSet('set', set);
  if (typeof indices !== 'object' || indices === null || typeof indices.length !== 'number' || indices.length < 1) {
    fail(`${CONTEXT}: indices`, 'a non-empty array of example indices', indices);
  }
  checkDType(dtype, `${CONTEXT}: dtype`);
  const B = indices.length;
  const { rows: T, cols: I } = set;
  const labels = new Uint8Array(B);
  const x: Arr[] = Array.from({ length: T }, () => alloc(dtype, B * I));
  for (let b = 0; b < B; b++) {
    const example = indices[b];
    checkInt(example, `${CONTEXT}: indices[${b}]`, 0, set.n - 1);
    labels[b] = set.labels[example];
    const base = example * T * I;
    for (let t = 0; t < T; t++) {
      const row = x[t];
      for (let c = 0; c < I; c++) row[b * I + c] = set.pixels[base + t * I + c] / 255;
    }
  }
  const target = alloc(dtype, B * MNIST_CLASSES);
  for (let b = 0; b < B; b++) target[b * MNIST_CLASSES + labels[b]] = 1;
  const y: (Arr | null)[] = Array.from({ length: T }, (_, t) => (t === T - 1 ? target : null));
  return { T, B, inputSize: I, outputSize: MNIST_CLASSES, loss: 'softmax-ce', x, y, labels };
}

export interface MnistEpochOptions {
  batchSize: number;
  /** When given, the order is shuffled with it (training); otherwise the view's order (evaluation). */
  rng?: Rng;
  dtype?: DType;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
}

/** Number of batches one epoch over `n` examples yields. */
export function batchesPerEpoch(n: number, batchSize: number, dropLast = false): number {
  checkInt(n, `${CONTEXT}: n`, 0);
  checkInt(batchSize, `${CONTEXT}: batchSize`, 1);
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** One epoch over `view` as batches; shuffled by `options.rng` when given. Arguments are checked on call. */
export function mnistEpoch(view: MnistView, options: MnistEpochOptions): Generator<MnistBatch, void, undefined> {
  checkObject(view, `${CONTEXT}: view`);
  checkMnistSet('view.set', view.set);
  if (!(view.indices instanceof Int32Array)) fail(`${CONTEXT}: view.indices`, 'an Int32Array', view.indices);
  checkObject(options, `${CONTEXT}: options`);
  const { batchSize, rng, dtype = 'float64', dropLast = false } = options;
  checkInt(batchSize, `${CONTEXT}: batchSize`, 1);
  if (rng !== undefined) checkRng(rng, `${CONTEXT}: rng`);
  checkDType(dtype, `${CONTEXT}: dtype`);
  const order = view.indices.slice();
  if (rng) rng.shuffle(order);
  const count = batchesPerEpoch(order.length, batchSize, dropLast);
  return (function* () {
    for (let k = 0; k < count; k++) {
      yield mnistBatch(view.set, order.subarray(k * batchSize, Math.min((k + 1) * batchSize, order.length)), dtype);
    }
  })();
}

/** Seed of the synthetic class prototypes, shared by every synthetic set so train and test agree. */
const SYNTHETIC_PROTOTYPE_SEED = 20240314;

export interface SyntheticMnistOptions {
  /** Number of images. */
  n: number;
  /** Seed of the samples (labels, intensities, noise). */
  seed: number;
  /** Standard deviation of the per-pixel Gaussian noise, in [0, 1] units (default 0.2). */
  noise?: number;
  /** Seed of the ten class prototypes (default SYNTHETIC_PROTOTYPE_SEED). */
  prototypeSeed?: number;
}

/**
 * A small seeded stand-in for MNIST with the same shapes (28×28 bytes, labels 0–9): each class
 * is a fixed prototype of three thick strokes; an image is its class prototype at a random
 * intensity in [0.7, 1] plus Gaussian noise, clamped to [0, 1] and stored as bytes. Labels are
 * balanced (i mod 10) in a seeded order. Learnable, and never downloaded.
 */
export function syntheticMnist(options: SyntheticMnistOptions): MnistSet {
  checkObject(options, 'syntheticMnist: options');
  const { n, seed, noise = 0.2, prototypeSeed = SYNTHETIC_PROTOTYPE_SEED } = options;
  checkInt(n, 'syntheticMnist: n', 1);
  checkInt(seed, 'syntheticMnist: seed', -(2 ** 31), 2 ** 32 - 1);
  checkInt(prototypeSeed, 'syntheticMnist: prototypeSeed', -(2 ** 31), 2 ** 32 - 1);
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) fail('syntheticMnist: noise', 'a finite number ≥ 0', noise);
  const prototypes = strokePrototypes(new Rng(prototypeSeed));
  const rng = new Rng(seed);
  const size = MNIST_ROWS * MNIST_COLS;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(order);
  const labels = Uint8Array.from(order, (i) => i % MNIST_CLASSES);
  const pixels = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    const prototype = prototypes[labels[i]];
    const intensity = rng.uniform(0.7, 1);
    for (let p = 0; p < size; p++) {
      const value = intensity * prototype[p] + noise * rng.normal();
      pixels[i * size + p] = Math.round(255 * Math.min(1, Math.max(0, value)));
    }
  }
  return { n, rows: MNIST_ROWS, cols: MNIST_COLS, pixels, labels };
}

/** Ten 28×28 prototypes in {0, 1}, each three 2-pixel-thick random strokes inside the 4..24 box. */
function strokePrototypes(rng: Rng): Float64Array[] {
  return Array.from({ length: MNIST_CLASSES }, () => {
    const image = new Float64Array(MNIST_ROWS * MNIST_COLS);
    for (let stroke = 0; stroke < 3; stroke++) {
      const [r0, c0, r1, c1] = [rng.uniform(4, 24), rng.uniform(4, 24), rng.uniform(4, 24), rng.uniform(4, 24)];
      for (let k = 0; k <= 40; k++) {
        const r = Math.floor(r0 + ((r1 - r0) * k) / 40);
        const c = Math.floor(c0 + ((c1 - c0) * k) / 40);
        for (const [dr, dc] of [[0, 0], [0, 1], [1, 0], [1, 1]]) image[(r + dr) * MNIST_COLS + c + dc] = 1;
      }
    }
    return image;
  });
}

/** A synthetic train and test set (distinct sample seeds, shared prototypes). */
export function syntheticMnistData(options: { nTrain: number; nTest: number; seed: number; noise?: number }): MnistData {
  checkObject(options, 'syntheticMnist: options');
  checkInt(options.nTrain, 'syntheticMnist: nTrain', 1);
  checkInt(options.nTest, 'syntheticMnist: nTest', 1);
  checkInt(options.seed, 'syntheticMnist: seed', -(2 ** 31), 2 ** 32 - 1);
  return {
    train: syntheticMnist({ n: options.nTrain, seed: options.seed, noise: options.noise }),
    test: syntheticMnist({ n: options.nTest, seed: (options.seed + 7919) | 0, noise: options.noise }),
  };
}
