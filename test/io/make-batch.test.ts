import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { makeBatch } from '../../src/data/make-batch.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { RUNS } from '../helpers.ts';

/** A random [T][B][W] array of numbers (targets of the loss's kind for y). */
const dims = fc.record({ T: fc.integer({ min: 1, max: 5 }), B: fc.integer({ min: 1, max: 4 }), I: fc.integer({ min: 1, max: 3 }), O: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 1, max: 1e6 }) });

function nested(T: number, B: number, W: number, f: (t: number, b: number, i: number) => number): number[][][] {
  return Array.from({ length: T }, (_, t) => Array.from({ length: B }, (_, b) => Array.from({ length: W }, (_, i) => f(t, b, i))));
}

const value = (seed: number) => (t: number, b: number, i: number) => Math.sin(seed + 7 * t + 3 * b + i) * 10;

test('makeBatch: nested arrays, dense typed arrays with a shape, a Tensor and ndarray views (transposed, strided) give the same batch', () => {
  fc.assert(
    fc.property(dims, ({ T, B, I, O, seed }) => {
      const xs = nested(T, B, I, value(seed));
      const ys = nested(T, B, O, value(seed + 1));
      const ref = makeBatch({ x: xs, y: ys, loss: 'mse' });
      assert.equal(ref.T, T);
      assert.equal(ref.B, B);
      assert.equal(ref.inputSize, I);
      assert.equal(ref.outputSize, O);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let i = 0; i < I; i++) assert.equal(ref.x[t][b * I + i], xs[t][b][i]);
      const flat = (a: number[][][]) => Float32Array.from(a.flat(2));
      const dense = makeBatch({ x: { data: Float64Array.from(xs.flat(2)), shape: [T, B, I] }, y: new Tensor([T, B, O], Float64Array.from(ys.flat(2))), loss: 'mse' });
      // an ndarray view of a [B][I][T] array, transposed to [T][B][I]; and a strided slice of a larger one
      const xBIT = ndarray(new Float64Array(B * I * T), [B, I, T]);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let i = 0; i < I; i++) xBIT.set(b, i, t, xs[t][b][i]);
      const yBig = ndarray(new Float64Array(T * B * 2 * O), [T, B, 2 * O]);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) yBig.set(t, b, 2 * o + 1, ys[t][b][o]);
      const view = makeBatch({ x: xBIT.transpose(2, 0, 1), y: yBig.lo(0, 0, 1).step(1, 1, 2), loss: 'mse' });
      // rows as typed arrays, float32
      const rows32 = makeBatch({ x: xs.map((s) => s.map((r) => Float32Array.from(r))), y: ys, loss: 'mse', dtype: 'float32' });
      for (const other of [dense, view]) {
        assert.deepEqual(other.x, ref.x);
        assert.deepEqual(other.y, ref.y);
      }
      assert.ok(rows32.x[0] instanceof Float32Array);
      assert.deepEqual(Array.from(rows32.x.flatMap((a) => Array.from(a))), Array.from(flat(xs)));
    }),
    { numRuns: RUNS },
  );
});

test('makeBatch: lengths mark padding that is never read; targets may be null per step', () => {
  const x = [[[1], [2]], [[3], [NaN]], [[5], ['pad']]];
  const y = [null, [[0, 1], null], [[1, 0], [0, 0]]];
  const b = makeBatch({ x: x as never, y: y as never, loss: 'softmax-ce', lengths: [3, 1] });
  assert.deepEqual(b.lengths, [3, 1]);
  assert.equal(b.y[0], null);
  assert.deepEqual(Array.from(b.x[1]), [3, 0]);
  assert.deepEqual(Array.from(b.y[2]!), [1, 0, 0, 0]);
  // without lengths the padding is read and refused
  assert.throws(() => makeBatch({ x: x as never, y: y as never, loss: 'softmax-ce' }), /makeBatch: x\[1\]\[1\]\[0\]: expected a finite number, received NaN/);
});

test('makeBatch: errors name the argument, the expected and the received value', () => {
  const x = nested(2, 2, 3, () => 0.5);
  const y = nested(2, 2, 1, () => 1);
  const cases: [unknown, RegExp][] = [
    [null, /makeBatch: expected \{ x, y, loss, lengths\?, dtype\? \} \(or \{ x, lengths\?, dtype\? \}: inputs only\), received null/],
    [{ x, y, loss: 'hinge' }, /makeBatch: loss: expected one of "mse", "softmax-ce", "sigmoid-bce", received "hinge"/],
    [{ x, y, loss: 'mse', dtype: 'int8' }, /makeBatch: dtype: expected one of "float64", "float32", received "int8"/],
    [{ x: [], y, loss: 'mse' }, /makeBatch: x: expected \[T\]\[B\]\[I\] with T, B and the width ≥ 1, received an array of length 0/],
    [{ x: 'abc', y, loss: 'mse' }, /makeBatch: x: expected \[T\]\[B\]\[I\]: nested arrays, \{ data, shape \} or an ndarray view, received "abc"/],
    [{ x: [x[0], x[0].slice(0, 1)], y, loss: 'mse' }, /makeBatch: x\[1\]: expected 2 rows \(one per example\), received an array of length 1/],
    [{ x: [x[0], [[1, 2, 3], [1, 2]]], y, loss: 'mse' }, /makeBatch: x\[1\]\[1\]: expected 3 values, received an array of length 2/],
    [{ x, y: y.slice(0, 1), loss: 'mse' }, /makeBatch: y: expected T = 2 steps of B = 2 examples \(x's\), received T = 1, B = 2/],
    [{ x: { data: new Float64Array(11), shape: [2, 2, 3] }, y, loss: 'mse' }, /makeBatch: x\.data: expected 12 values \(shape \[2, 2, 3\]\), received length 11/],
    [{ x: { data: new Float64Array(12), shape: [4, 3] }, y, loss: 'mse' }, /makeBatch: x\.shape: expected \[T, B, W\] with every size ≥ 1, received \[4, 3\]/],
    [{ x, y: [null, [[1], [1.5]]], loss: 'sigmoid-bce' }, /makeBatch: y\[1\]: sigmoid-bce targets must lie in \[0, 1\], received 1\.5/],
    [{ x, y: [null, [[0], [1]]], loss: 'softmax-ce' }, /makeBatch: y\[1\]\[0\]: softmax-ce targets must be one-hot/],
    [{ x, y, loss: 'mse', lengths: [2, 3] }, /makeBatch: lengths\[1\]: expected an integer in \[1, 2\], received 3/],
    [{ x, y, loss: 'mse', lengths: [2] }, /makeBatch: lengths: expected length 2 \(the batch size\), received length 1/],
    [{ x: [null, x[1]], y, loss: 'mse' }, /makeBatch: x\[0\]: expected 2 rows \(inputs at every step\), received null/],
  ];
  for (const [src, re] of cases) assert.throws(() => makeBatch(src as never), re);
});

test('makeBatch with dtype float32: a value finite in float64 but beyond float32 is refused, naming the argument and the value', () => {
  const x = nested(2, 1, 2, () => 0.5);
  const y = nested(2, 1, 1, () => 1);
  x[1][0][1] = 1e39;
  assert.throws(() => makeBatch({ x, y, loss: 'mse', dtype: 'float32' }), /makeBatch: x\[1\]\[0\]\[1\]: expected a number within float32's range .* for dtype 'float32', received 1e\+39/);
  y[0][0][0] = -3.5e38;
  assert.throws(() => makeBatch({ x: nested(2, 1, 2, () => 0.5), y, loss: 'mse', dtype: 'float32' }), /makeBatch: y\[0\]\[0\]\[0\]: .*received -3\.5e\+38/);
  // the largest float32 itself is accepted, and float64 keeps the value as it is
  x[1][0][1] = 3.4028234663852886e38;
  assert.equal(makeBatch({ x, y: nested(2, 1, 1, () => 1), loss: 'mse', dtype: 'float32' }).x[1][1], 3.4028234663852886e38);
  x[1][0][1] = 1e39;
  assert.equal(makeBatch({ x, y: nested(2, 1, 1, () => 1), loss: 'mse' }).x[1][1], 1e39);
});

test('makeBatch without y and loss: an inputs-only batch that predict takes (lengths honoured); a loss without y, and unknown keys, are refused naming them', async () => {
  const { predict } = await import('../../src/inference.ts');
  const { createModel } = await import('../../src/model/model.ts');
  const x = nested(3, 2, 2, (t, b, i) => t - b + 0.5 * i);
  const inputs = makeBatch({ x, lengths: [3, 2] });
  assert.deepEqual(Object.keys(inputs).sort(), ['B', 'T', 'inputSize', 'lengths', 'x']);
  assert.equal(inputs.T, 3);
  assert.deepEqual(Array.from(inputs.x[1]), [1, 1.5, 0, 0.5]);
  const model = createModel({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, seed: 4 });
  const full = makeBatch({ x: x.map((s) => s.map((r) => r.map((v) => v))), y: nested(3, 2, 2, () => 0), loss: 'mse', lengths: [3, 2] });
  assert.deepEqual(predict(model, inputs), predict(model, full), 'the same prediction as the batch with targets');
  // the dtype applies
  assert.ok(makeBatch({ x, dtype: 'float32' }).x[0] instanceof Float32Array);
  assert.throws(() => makeBatch({ x, loss: 'mse' } as never), /^Error: makeBatch: y: expected the targets \[T\]\[B\]\[O\] that loss "mse" applies to, received undefined/);
  assert.throws(() => makeBatch({ x, y: nested(3, 2, 1, () => 1), loss: 'mse', lenghts: [3, 2] } as never), /^Error: makeBatch: unknown key "lenghts" \(known: x, y, loss, lengths, dtype\)$/);
  assert.throws(() => makeBatch({ x, target: 1 } as never), /^Error: makeBatch: unknown key "target"/);
});
