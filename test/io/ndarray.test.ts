import { test } from 'node:test';
import assert from 'node:assert/strict';
import ndarray from 'ndarray';
import { fromNdarray, toNdarray } from '../../src/ndarray.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

test('fromNdarray copies strided views (transposed, sliced) into row-major tensors; toNdarray views without copying', () => {
  const base = ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  const t = fromNdarray(base.transpose(1, 0));
  assert.deepEqual(t.shape, [3, 2]);
  assert.deepEqual(Array.from(t.data), [1, 4, 2, 5, 3, 6]);
  const sliced = fromNdarray(base.hi(2, 2).lo(0, 1), 'float32');
  assert.deepEqual(Array.from(sliced.data), [2, 5]);
  assert.ok(sliced.data instanceof Float32Array);
  const owned = new Tensor([2, 2], new Float64Array([1, 2, 3, 4]));
  const view = toNdarray(owned);
  view.set(1, 0, 9);
  assert.equal(owned.data[2], 9);
  assert.throws(() => fromNdarray(ndarray(new Float64Array([1, NaN]), [2])), /fromNdarray: view: expected finite numbers, received NaN at \[1\]/);
  assert.throws(() => fromNdarray({} as never), /fromNdarray: view: expected an ndarray/);
});
