import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { copyToNdarray, fromNdarray, toNdarray, type NdArrayView } from '../../src/ndarray.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

const RUNS = Number(process.env.FC_RUNS ?? 60);

/** Every multi-index of `shape` in row-major order. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const size = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < size; k++) {
    yield idx.slice();
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

/**
 * A random strided view of a random base array: shape of 1–3 axes, then a transpose, a step
 * (possibly negative) and a lo/hi window on each axis. Values are distinct integers.
 */
const viewArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
    perm: fc.integer({ min: 0, max: 5 }),
    steps: fc.array(fc.constantFrom(1, 2, -1, -2), { minLength: 3, maxLength: 3 }),
    lo: fc.array(fc.nat(2), { minLength: 3, maxLength: 3 }),
    f32: fc.boolean(),
  })
  .map(({ shape, perm, steps, lo, f32 }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = f32 ? new Float32Array(size) : new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = i + 1;
    let v = ndarray(data, shape) as unknown as NdArrayView;
    const axes = shape.map((_, i) => i);
    for (let r = 0; r < perm % shape.length; r++) axes.push(axes.shift()!);
    v = v.transpose(...axes);
    v = v.lo(...v.shape.map((d, i) => Math.min(lo[i], d - 1)));
    v = v.step(...v.shape.map((_, i) => steps[i]));
    return v;
  });

test('fromNdarray equals element-by-element reads of random strided views (transposed, stepped, windowed)', () => {
  fc.assert(
    fc.property(viewArb, fc.constantFrom('float64' as const, 'float32' as const), (view, dtype) => {
      const t = fromNdarray(view, dtype);
      assert.deepEqual(t.shape, view.shape);
      assert.equal(t.dtype, dtype);
      let k = 0;
      for (const idx of indices(view.shape)) assert.equal(t.data[k++], view.get(...idx), `[${idx}]`);
    }),
    { numRuns: RUNS, seed: 15 },
  );
});

test('copyToNdarray writes exactly the elements of a strided target view, and nothing around it', () => {
  fc.assert(
    fc.property(viewArb, (target) => {
      const before = Array.from(target.data as ArrayLike<number>);
      const values = Float64Array.from({ length: target.shape.reduce((a, b) => a * b, 1) }, (_, i) => -(i + 1));
      const t = new Tensor(target.shape, values);
      assert.equal(copyToNdarray(t, target), target);
      const written = new Set<number>();
      let k = 0;
      for (const idx of indices(target.shape)) {
        assert.equal(target.get(...idx), values[k++]);
        written.add(target.index(...idx));
      }
      const after = target.data as ArrayLike<number>;
      for (let i = 0; i < before.length; i++) if (!written.has(i)) assert.equal(after[i], before[i], `untouched element ${i}`);
    }),
    { numRuns: RUNS, seed: 16 },
  );
});

test('fromNdarray copies strided views into row-major tensors; toNdarray views without copying', () => {
  const base = ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  const t = fromNdarray(base.transpose(1, 0));
  assert.deepEqual(t.shape, [3, 2]);
  assert.deepEqual(Array.from(t.data), [1, 4, 2, 5, 3, 6]);
  const sliced = fromNdarray(base.hi(2, 2).lo(0, 1), 'float32');
  assert.deepEqual(Array.from(sliced.data), [2, 5]);
  assert.ok(sliced.data instanceof Float32Array);
  assert.deepEqual(Array.from(fromNdarray(ndarray(new Int16Array([-3, 7]), [2])).data), [-3, 7]);
  assert.deepEqual(Array.from(fromNdarray(ndarray([1.5, 2.5, 3.5], [3]).step(-1)).data), [3.5, 2.5, 1.5]);
  const owned = new Tensor([2, 2], new Float64Array([1, 2, 3, 4]));
  const view = toNdarray(owned);
  view.set(1, 0, 9);
  assert.equal(owned.data[2], 9);
  assert.equal(view.get(0, 1), 2);
});

test('fromNdarray and copyToNdarray reject bad input with the argument, the expectation and the value', () => {
  assert.throws(() => fromNdarray(ndarray(new Float64Array([1, NaN]), [2])), { message: 'fromNdarray: view: expected finite numbers, received NaN at [1]' });
  assert.throws(() => fromNdarray(ndarray([1, 2, null, 4] as unknown as number[], [2, 2])), { message: 'fromNdarray: view: expected finite numbers, received null at [1, 0]' });
  assert.throws(() => fromNdarray(ndarray([1, '2'] as unknown as number[], [2])), { message: 'fromNdarray: view: expected finite numbers, received "2" at [1]' });
  assert.throws(() => fromNdarray(ndarray(new BigInt64Array([1n]) as never, [1]) as never), { message: 'fromNdarray: view: expected numeric elements, received dtype bigint64' });
  assert.throws(() => fromNdarray({} as never), /^Error: fromNdarray: view: expected an ndarray \(shape, stride, offset, dtype, data\), received an object with keys \[\]$/);
  assert.throws(() => fromNdarray(ndarray(new Float64Array(2), [2]), 'int32' as never), { message: 'fromNdarray: dtype: expected "float64" or "float32", received "int32"' });
  const target = ndarray(new Float64Array(6), [2, 3]);
  assert.throws(() => copyToNdarray(new Tensor([3, 2], new Float64Array(6)), target), { message: 'copyToNdarray: target: expected shape [3, 2] (the tensor\'s), received [2, 3]' });
  assert.deepEqual(Array.from(target.data), [0, 0, 0, 0, 0, 0], 'nothing written after the error');
  assert.throws(() => copyToNdarray([1, 2] as never, target), /copyToNdarray: t: expected a Tensor, received an array of length 2/);
  assert.throws(() => toNdarray(null as never), { message: 'toNdarray: t: expected a Tensor, received null' });
});
