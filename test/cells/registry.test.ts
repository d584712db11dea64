import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CELLS, CELL_TYPES, cellDefinition, cellVariants, createCell } from '../../src/cells/registry.ts';
import { createModel } from '../../src/model/model.ts';
import { modelFromJson, modelToJson } from '../../src/io/model-json.ts';
import { Rng } from '../../src/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

test('every registered cell is what its definition says: type, options, state size, parameter names and shapes', () => {
  assert.equal(new Set(CELL_TYPES).size, CELLS.length, 'type names are unique');
  assert.ok(CELL_TYPES.includes('gru'));
  for (const v of cellVariants()) {
    const def = cellDefinition(v.type);
    for (const [I, H] of [[1, 1], [3, 5]]) {
      const cell = createCell({ type: v.type, inputSize: I, hiddenSize: H, options: v.options, dtype: 'float32' });
      assert.equal(cell.type, v.type);
      assert.deepEqual(cell.options, v.options);
      assert.equal(cell.stateSize, def.stateSize(H));
      assert.equal(cell.dtype, 'float32');
      const shapes = def.paramShapes(I, H);
      assert.deepEqual(Object.keys(cell.params), Object.keys(shapes), `${v.name}: parameter names in JSON order`);
      for (const [k, t] of Object.entries(cell.params)) {
        assert.deepEqual(t.shape, shapes[k], `${v.name}.${k}`);
        assert.ok(t.data instanceof Float32Array && t.data.every((x) => x === 0), `${v.name}.${k}: zeros`);
      }
    }
  }
  assert.deepEqual(cellVariants().map((v) => v.name), ['rnn-identity', 'rnn-tanh', 'rnn-relu', 'rnn-sigmoid', 'lstm', 'gru']);
});

test('createModel initialises every cell like PyTorch: uniform(±1/√H) tensor by tensor in order, then W_hh × gain, then the readout', () => {
  for (const type of CELL_TYPES) {
    const H = 4;
    const gain = 1.7;
    const m = createModel({ cell: type, inputSize: 3, hiddenSize: H, outputSize: 2, seed: 42, gain });
    const rng = new Rng(42);
    const bound = 1 / Math.sqrt(H);
    for (const [k, t] of [...Object.entries(m.cell.params), ...Object.entries(m.readout.params)]) {
      const scale = k === 'W_hh' ? gain : 1;
      for (let i = 0; i < t.size; i++) assert.equal(t.data[i], rng.uniform(-bound, bound) * scale, `${type}.${k}[${i}]`);
    }
    assert.ok(m.synthesiser.params.W.data.every((x) => x === 0));
    const again = createModel({ cell: type, inputSize: 3, hiddenSize: H, outputSize: 2, seed: 42, gain });
    assert.deepEqual(modelToJson(again), modelToJson(m), 'same seed, same numbers');
  }
});

test('Model.clone goes through the registry: same type, options and numbers, independent parameters', () => {
  for (const v of cellVariants()) {
    const m = createModel({ cell: v.type, ...v.options, inputSize: 2, hiddenSize: 3, outputSize: 2, seed: 7 } as never);
    const c = m.clone();
    assert.equal(c.cell.type, v.type);
    assert.deepEqual(c.cell.options, v.options);
    assert.deepEqual(modelToJson(c), modelToJson(m));
    c.cell.params.W_hh.data[0] += 1;
    assert.notEqual(c.cell.params.W_hh.data[0], m.cell.params.W_hh.data[0]);
  }
});

test('createModel and createCell reject unknown cells, options a cell lacks, bad values and mismatched parameters, naming the field', () => {
  const base = { inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 1 };
  const cases: [() => unknown, RegExp][] = [
    [() => createModel({ ...base, cell: 'lru' } as never), /createModel: cell: expected one of "rnn", "lstm", "gru", received "lru"$/],
    [() => createModel({ ...base, cell: 'lstm', activation: 'tanh' }), /createModel: activation: the lstm cell has no option "activation" \(it has no options\), received "tanh"$/],
    [() => createModel({ ...base, cell: 'gru', activation: 'relu' }), /createModel: activation: the gru cell has no option "activation"/],
    [() => createModel({ ...base, cell: 'rnn', activation: 'gelu' } as never), /createModel: activation: expected one of "identity", "tanh", "relu", "sigmoid", received "gelu"$/],
    [() => createModel({ ...base, cell: 'gru', bias: true } as never), /createModel: unknown option "bias"/],
    [() => createCell({ type: 'gru', inputSize: 2, hiddenSize: 3, dtype: 'float64', params: { W_ih: Tensor.zeros([9, 2]), W_hh: Tensor.zeros([9, 3]), b: Tensor.zeros([9]) } }), /^Error: createCell: spec\.params: the gru cell's parameters are W_ih, W_hh, b_ih, b_hh, received W_ih, W_hh, b$/],
    [() => createCell({ type: 'gru', inputSize: 2, hiddenSize: 3, dtype: 'float64', params: { W_ih: Tensor.zeros([9, 2]), W_hh: Tensor.zeros([3, 3]), b_ih: Tensor.zeros([9]), b_hh: Tensor.zeros([9]) } }), /^Error: createCell: spec\.W_hh: expected shape \[9, 3\], received \[3, 3\]$/],
    [() => createCell({ type: 'gru', inputSize: 0, hiddenSize: 3, dtype: 'float64' }), /^Error: createCell: spec\.inputSize: expected an integer ≥ 1, received 0/],
    [() => createCell({ type: 'gru', inputSize: 2, hiddenSize: 3, dtype: 'float16' as never }), /^Error: createCell: spec\.dtype: expected "float64" or "float32", received "float16"/],
    [() => createCell({ type: 'lstm', inputSize: 2, hiddenSize: 3, dtype: 'float32', params: { W_ih: Tensor.zeros([12, 2]), W_hh: Tensor.zeros([12, 3]), b: Tensor.zeros([12]) } }), /^Error: createCell: spec\.W_ih: expected float32 data, received float64$/],
  ];
  for (const [f, re] of cases) assert.throws(f, re);
});

test('model JSON of every cell carries its options and parameters by name and reads back into the same cell', () => {
  for (const v of cellVariants()) {
    const m = createModel({ cell: v.type, ...v.options, inputSize: 2, hiddenSize: 3, outputSize: 2, seed: 3 } as never);
    const json = modelToJson(m);
    const def = cellDefinition(v.type);
    assert.deepEqual(Object.keys(json.cell), ['type', ...Object.keys(def.options), 'inputSize', 'hiddenSize', ...Object.keys(def.paramShapes(2, 3))]);
    const back = modelFromJson(JSON.parse(JSON.stringify(json)));
    assert.equal(back.cell.type, v.type);
    assert.deepEqual(back.cell.options, v.options);
    assert.equal(back.stateSize, m.stateSize);
  }
});
