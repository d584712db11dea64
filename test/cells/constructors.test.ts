import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GruCell, LstmCell, Readout, RnnCell, Synthesiser, Tensor } from '../../src/index.ts';

/**
 * The exported constructors of cells, readout and synthesiser check their arguments before
 * allocating: sizes, dtype, and given parameters (names, shapes, dtype), each error naming the
 * class and the argument (they used to fail with "Tensor: invalid dimension undefined").
 */
const cells = {
  RnnCell: (I: unknown, H: unknown, dtype: unknown = 'float64', params?: unknown) => new RnnCell(I as number, H as number, 'tanh', dtype as 'float64', params as never),
  LstmCell: (I: unknown, H: unknown, dtype: unknown = 'float64', params?: unknown) => new LstmCell(I as number, H as number, dtype as 'float64', params as never),
  GruCell: (I: unknown, H: unknown, dtype: unknown = 'float64', params?: unknown) => new GruCell(I as number, H as number, dtype as 'float64', params as never),
};

test('cell constructors: sizes, dtype and given params are checked, naming the class and the argument', () => {
  for (const [name, make] of Object.entries(cells)) {
    assert.throws(() => make(undefined, 3), new RegExp(`^Error: ${name}: inputSize: expected an integer ≥ 1, received undefined`), name);
    assert.throws(() => make(2, 0), new RegExp(`^Error: ${name}: hiddenSize: expected an integer ≥ 1, received 0`), name);
    assert.throws(() => make(2, 2.5), new RegExp(`${name}: hiddenSize: expected an integer ≥ 1, received 2.5`), name);
    assert.throws(() => make(2, 3, 'float16'), new RegExp(`${name}: dtype: expected "float64" or "float32", received "float16"`), name);
    const good = make(2, 3);
    // the same parameters are accepted (shared, not copied), others refused by name
    assert.equal(make(2, 3, 'float64', good.params).params, good.params);
    assert.throws(() => make(2, 4, 'float64', good.params), new RegExp(`${name}: params\\.W_ih: expected shape \\[\\d+, 2\\] \\(the model's\\), received \\[\\d+, 2\\]`), name);
    assert.throws(() => make(2, 3, 'float64', { W: good.params.W_ih }), new RegExp(`${name}: params: expected the model's parameters .*received W`), name);
    assert.throws(() => make(2, 3, 'float64', 7), new RegExp(`${name}: params: expected an object of Tensors by name, received 7`), name);
    assert.throws(() => make(2, 3, 'float32', good.params), new RegExp(`${name}: params\\.\\w+: expected float32 data \\(the dtype given\\), received float64`), name);
  }
});

test('Readout and Synthesiser constructors: sizes, dtype and params are checked the same way', () => {
  assert.throws(() => new Readout(undefined as never, 2), /^Error: Readout: hiddenSize: expected an integer ≥ 1, received undefined/);
  assert.throws(() => new Readout(3, -1), /Readout: outputSize: expected an integer ≥ 1, received -1/);
  assert.throws(() => new Readout(3, 2, 'int8' as never), /Readout: dtype: expected "float64" or "float32", received "int8"/);
  assert.throws(() => new Readout(3, 2, 'float64', { W: Tensor.zeros([3, 2]), b: Tensor.zeros([2]) }), /Readout: params\.W: expected shape \[2, 3\] \(the model's\), received \[3, 2\]/);
  assert.throws(() => new Synthesiser(null as never), /^Error: Synthesiser: stateSize: expected an integer ≥ 1, received null/);
  assert.throws(() => new Synthesiser(4, 'float64', { W: Tensor.zeros([4, 4]) }), /Synthesiser: params: expected the model's parameters W, b, received W/);
  assert.throws(() => new Synthesiser(4, 'float64', undefined, 0), /Synthesiser: targetScale/);
  const s = new Synthesiser(4, 'float32');
  assert.equal(new Synthesiser(4, 'float32', s.params).params, s.params);
});
