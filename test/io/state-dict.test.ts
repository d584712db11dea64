import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  gateCount,
  modelFromSafetensors,
  modelFromStateDict,
  modelToSafetensors,
  modelToStateDict,
  stateDictFromJson,
  stateDictToJson,
  TORCH_RECURRENT_MODULES,
  type StateDict,
} from '../../src/io/state-dict.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { cellDefinition, cellVariants } from '../../src/cells/registry.ts';
import { createModel, type Model } from '../../src/model/model.ts';
import { predict } from '../../src/inference.ts';
import { Rng } from '../../src/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import type { DType } from '../../src/tensor/dtype.ts';
import { CELL_KINDS, type CellKind } from '../helpers.ts';

const dir = (c: string) => new URL(`../fixtures/golden/state-dict/${c}/`, import.meta.url);
const readJson = (c: string, f: string) => JSON.parse(readFileSync(new URL(f, dir(c)), 'utf8'));
const CELLS = ['rnn', 'lstm', 'gru'] as const;

/** max |got − want| / |want| over every entry, with |want| floored at 1e-3 (entries near 0). */
function relErr(got: ArrayLike<number>, want: readonly number[]): number {
  assert.equal(got.length, want.length);
  let e = 0;
  for (let i = 0; i < want.length; i++) e = Math.max(e, Math.abs(got[i] - want[i]) / Math.max(1e-3, Math.abs(want[i])));
  return e;
}

/** The model's outputs and hidden states h_t on the golden input against PyTorch's float64 ones. */
function goldenErrors(model: Model, c: string): { outputs: number; h: number } {
  const exp = readJson(c, 'expected.json') as { x: number[][][]; outputs: number[][][]; h: number[][][] };
  const { outputs, states } = predict(model, exp.x.map((xt) => Float64Array.from(xt.flat())), { states: true });
  const H = model.hiddenSize;
  const n = model.stateSize;
  let eo = 0;
  let eh = 0;
  exp.outputs.forEach((yt, t) => (eo = Math.max(eo, relErr(outputs[t], yt.flat()))));
  exp.h.forEach((ht, t) => (eh = Math.max(eh, relErr(ht.flatMap((_, b) => [...states![t].subarray(b * n, b * n + H)]), ht.flat()))));
  return { outputs: eo, h: eh };
}

const SOURCES = [
  ['state_dict.json', (c: string) => modelFromStateDict(stateDictFromJson(readJson(c, 'state_dict.json'))), 'float64', 1e-12],
  ['model.f64.safetensors', (c: string) => modelFromSafetensors(readFileSync(new URL('model.f64.safetensors', dir(c)))), 'float64', 1e-12],
  // float32 parameters computed in float32: PyTorch's float64 outputs to float32 accuracy
  ['model.f32.safetensors', (c: string) => modelFromSafetensors(readFileSync(new URL('model.f32.safetensors', dir(c)))), 'float32', 1e-4],
] as const;

for (const c of CELLS) {
  for (const [file, load, dtype, tol] of SOURCES) {
    test(`state_dict: ${c}/${file} loads as a ${c} cell and reproduces PyTorch's outputs and hidden states (≤ ${tol} relative)`, () => {
      const model = load(c);
      assert.equal(model.cell.type, c);
      assert.equal(model.dtype, dtype);
      const e = goldenErrors(model, c);
      assert.ok(e.outputs <= tol && e.h <= tol, `outputs ${e.outputs}, h ${e.h}`);
    });
  }
}

test('state_dict: the float32 files computed in float64 give PyTorch\'s outputs to the rounding of the parameters', () => {
  for (const c of CELLS) {
    const model = modelFromSafetensors(readFileSync(new URL('model.f32.safetensors', dir(c))), { dtype: 'float64' });
    assert.equal(model.dtype, 'float64');
    const e = goldenErrors(model, c);
    assert.ok(e.outputs < 1e-4 && e.outputs > 1e-12, `${c}: ${e.outputs} (float32 rounding, and no more)`);
  }
});

test('state_dict: the RNN and LSTM take b = b_ih + b_hh, the GRU keeps both; export puts b in bias_ih_l0 and zeros in bias_hh_l0', () => {
  for (const c of CELLS) {
    const json = readJson(c, 'state_dict.json');
    const model = modelFromStateDict(stateDictFromJson(json));
    const p = model.cell.params;
    if (c === 'gru') {
      assert.deepEqual([...p.b_ih.data], json['rnn.bias_ih_l0']);
      assert.deepEqual([...p.b_hh.data], json['rnn.bias_hh_l0']);
    } else {
      assert.deepEqual([...p.b.data], json['rnn.bias_ih_l0'].map((v: number, i: number) => v + json['rnn.bias_hh_l0'][i]));
    }
    const back = modelToStateDict(model, { synthesiser: false });
    assert.deepEqual(Object.keys(back), Object.keys(json), 'PyTorch\'s keys, in its order');
    for (const k of ['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'readout.weight', 'readout.bias']) assert.deepEqual(back[k].toNested(), json[k], k);
    if (c === 'gru') for (const k of ['rnn.bias_ih_l0', 'rnn.bias_hh_l0']) assert.deepEqual(back[k].toNested(), json[k]);
    else {
      assert.deepEqual([...back['rnn.bias_ih_l0'].data], [...p.b.data]);
      assert.ok(back['rnn.bias_hh_l0'].data.every((v) => v === 0));
    }
  }
});

test('state_dict: exporting the imported GRU without the synthesiser gives back the very bytes PyTorch saved', () => {
  for (const f of ['model.f64.safetensors', 'model.f32.safetensors']) {
    const bytes = readFileSync(new URL(f, dir('gru')));
    assert.deepEqual(Buffer.from(modelToSafetensors(modelFromSafetensors(bytes), { synthesiser: false })), bytes, f);
  }
});

/** The registered cells with a PyTorch module, each under every option value the module has. */
const TORCH_KINDS = CELL_KINDS.filter((k) => TORCH_RECURRENT_MODULES.some((r) => r.cell === k.cell && Object.entries(r.options).every(([o, v]) => (k as Record<string, unknown>)[o] === v)));

test('state_dict: the module table maps onto the registry (gate counts and bias names), and covers every registered cell but the RNN activations nn.RNN lacks', () => {
  for (const r of TORCH_RECURRENT_MODULES) {
    const names = Object.keys(cellDefinition(r.cell).paramShapes(3, 5));
    assert.deepEqual(names, r.bias === 'merged' ? ['W_ih', 'W_hh', 'b'] : ['W_ih', 'W_hh', 'b_ih', 'b_hh'], r.module);
  }
  assert.deepEqual(TORCH_RECURRENT_MODULES.map((r) => [r.module, gateCount(r)]), [['nn.RNN', 1], ['nn.RNN', 1], ['nn.LSTM', 4], ['nn.GRU', 3]]);
  const missing = cellVariants().filter((v) => !TORCH_KINDS.some((k) => k.cell === v.type && Object.entries(v.options).every(([o, x]) => (k as Record<string, unknown>)[o] === x)));
  assert.deepEqual(missing.map((v) => v.name), ['rnn-identity', 'rnn-sigmoid']);
});

/** A model with every parameter (synthesiser included) drawn at random, and a target scale ≠ 1. */
function randomModel(kind: CellKind, I: number, H: number, O: number, seed: number, dtype: DType): Model {
  const m = createModel({ ...kind, inputSize: I, hiddenSize: H, outputSize: O, seed, dtype });
  const rng = new Rng(seed + 1);
  for (const t of Object.values(m.synthesiser.params)) for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-1, 1);
  m.synthesiser.setTargetScale(0.125);
  return m;
}

function assertSameModel(a: Model, b: Model, what: string): void {
  assert.equal(b.cell.type, a.cell.type, what);
  assert.deepEqual(b.cell.options, a.cell.options, what);
  assert.equal(b.dtype, a.dtype, what);
  assert.equal(b.synthesiser.targetScale, a.synthesiser.targetScale, what);
  const ga = a.groups();
  const gb = b.groups();
  for (const g of ['cell', 'readout', 'synthesiser'] as const) {
    assert.deepEqual(Object.keys(gb[g]), Object.keys(ga[g]), `${what}: ${g}`);
    for (const [k, t] of Object.entries(ga[g])) {
      assert.deepEqual(gb[g][k].shape, t.shape, `${what}: ${g}.${k}`);
      assert.deepEqual(gb[g][k].data, t.data, `${what}: ${g}.${k} (bit for bit)`);
    }
  }
}

test('state_dict round trips: export → import gives identical parameters for every cell PyTorch has, as objects, JSON and safetensors, float64 and float32', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...TORCH_KINDS),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer(),
      fc.constantFrom<DType>('float64', 'float32'),
      (kind, I, H, O, seed, dtype) => {
        const m = randomModel(kind, I, H, O, seed, dtype);
        const prefixes = { prefix: 'net.lstm.', readoutPrefix: 'net.fc.', synthesiserPrefix: 'sg.' };
        const nonlinearity = 'activation' in kind ? (kind.activation as 'tanh' | 'relu') : undefined;
        const sd = modelToStateDict(m);
        assertSameModel(m, modelFromStateDict(sd, { nonlinearity }), 'object');
        assertSameModel(m, modelFromStateDict(modelToStateDict(m, prefixes), { ...prefixes, nonlinearity }), 'prefixes');
        assertSameModel(m, modelFromSafetensors(modelToSafetensors(m)), 'safetensors (the nonlinearity from its metadata)');
        // JSON holds float64 numbers: a float32 model's values come back exactly, as float64
        const viaJson = modelFromStateDict(stateDictFromJson(JSON.parse(JSON.stringify(stateDictToJson(sd)))), { nonlinearity, dtype });
        assertSameModel(m, viaJson, 'JSON');
      },
    ),
    { numRuns: 60 },
  );
});

test('state_dict: the export holds the keys PyTorch expects, with the synthesiser and its target scale unless asked otherwise', () => {
  const m = randomModel({ cell: 'lstm' }, 3, 4, 2, 7, 'float64');
  const sd = modelToStateDict(m);
  assert.deepEqual(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, t.shape])), {
    'rnn.weight_ih_l0': [16, 3],
    'rnn.weight_hh_l0': [16, 4],
    'rnn.bias_ih_l0': [16],
    'rnn.bias_hh_l0': [16],
    'readout.weight': [2, 4],
    'readout.bias': [2],
    'synthesiser.weight': [8, 8],
    'synthesiser.bias': [8],
    'synthesiser.target_scale': [],
  });
  assert.equal(sd['synthesiser.target_scale'].data[0], 0.125);
  assert.deepEqual(Object.keys(modelToStateDict(m, { synthesiser: false })), Object.keys(sd).slice(0, 6));
  m.synthesiser.setTargetScale(1);
  assert.ok(!('synthesiser.target_scale' in modelToStateDict(m)), 'ρ = 1 is not written');
  assert.equal(modelToStateDict(m, { dtype: 'float32' })['rnn.weight_hh_l0'].dtype, 'float32');
  assert.deepEqual(readSafetensors(modelToSafetensors(m)).metadata, { format: 'pt' });
  assert.deepEqual(readSafetensors(modelToSafetensors(createModel({ cell: 'rnn', activation: 'relu', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1 }))).metadata, { format: 'pt', nonlinearity: 'relu' });
});

/** The golden RNN state_dict with edits. */
function rnnDict(edit: (sd: StateDict) => void = () => {}): StateDict {
  const sd = stateDictFromJson(readJson('rnn', 'state_dict.json'));
  edit(sd);
  return sd;
}
const t = (shape: number[], v = 0.1) => new Tensor(shape, new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(v));

test('state_dict: what a single-layer module plus a readout cannot hold is refused, naming the key', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['a second layer', () => modelFromStateDict(rnnDict((sd) => (sd['rnn.weight_ih_l1'] = t([4, 4])))), /^Error: modelFromStateDict: rnn.weight_ih_l1: a module with more than one layer \(num_layers > 1\): only single-layer modules are supported$/],
    ['bidirectional', () => modelFromStateDict(rnnDict((sd) => (sd['rnn.bias_hh_l0_reverse'] = t([4])))), /^Error: modelFromStateDict: rnn.bias_hh_l0_reverse: a bidirectional module \(bidirectional=True\): only one direction is supported$/],
    ['projections', () => modelFromStateDict(rnnDict((sd) => (sd['rnn.weight_hr_l0'] = t([4, 2])))), /rnn.weight_hr_l0: an LSTM with projections \(proj_size > 0\) is not supported$/],
    ['an unknown key', () => modelFromStateDict(rnnDict((sd) => (sd['embedding.weight'] = t([3, 3])))), /^Error: modelFromStateDict: embedding.weight: unknown key; expected a single-layer nn.RNN, nn.LSTM or nn.GRU under "rnn." and an nn.Linear readout \(keys: rnn.weight_ih_l0, /],
    ['W_hh not G·H × H', () => modelFromStateDict(rnnDict((sd) => (sd['rnn.weight_hh_l0'] = t([8, 4])))), /^Error: modelFromStateDict: rnn.weight_hh_l0: expected shape \[G·H, H\] with H ≥ 1 and G = 1 \(nn.RNN\), 4 \(nn.LSTM\), 3 \(nn.GRU\), received \[8, 4\]$/],
    ['W_hh 1-D', () => modelFromStateDict(rnnDict((sd) => (sd['rnn.weight_hh_l0'] = t([4])))), /rnn.weight_hh_l0: expected shape \[G·H, H\] .*received \[4\]$/],
    ['W_ih rows', () => modelFromStateDict(rnnDict((sd) => (sd['rnn.weight_ih_l0'] = t([5, 3])))), /^Error: modelFromStateDict: rnn.weight_ih_l0: expected shape \[4, I\] \(I ≥ 1\), received \[5, 3\]$/],
    ['a bias length', () => modelFromStateDict(rnnDict((sd) => (sd['rnn.bias_hh_l0'] = t([3])))), /^Error: modelFromStateDict: rnn.bias_hh_l0: expected shape \[4\], received \[3\]$/],
    ['one bias of two', () => modelFromStateDict(rnnDict((sd) => delete sd['rnn.bias_hh_l0'])), /^Error: modelFromStateDict: missing key rnn.bias_hh_l0 while rnn.bias_ih_l0 is present/],
    ['the readout width', () => modelFromStateDict(rnnDict((sd) => (sd['readout.weight'] = t([2, 5])))), /^Error: modelFromStateDict: readout.weight: expected shape \[O, 4\] \(O ≥ 1\), received \[2, 5\]$/],
    ['no readout', () => modelFromStateDict(rnnDict((sd) => delete sd['readout.weight'])), /^Error: modelFromStateDict: missing key readout.weight \(expected shape \[O, 4\] \(O ≥ 1\)\)$/],
    ['no W_hh', () => modelFromStateDict(rnnDict((sd) => delete sd['rnn.weight_hh_l0'])), /^Error: modelFromStateDict: missing key rnn.weight_hh_l0/],
    ['the synthesiser size', () => modelFromStateDict(rnnDict((sd) => Object.assign(sd, { 'synthesiser.weight': t([3, 3]), 'synthesiser.bias': t([3]) }))), /synthesiser.weight: expected shape \[4, 4\], received \[3, 3\]$/],
    ['half a synthesiser', () => modelFromStateDict(rnnDict((sd) => (sd['synthesiser.weight'] = t([4, 4])))), /missing key synthesiser.bias while synthesiser.weight is present/],
    ['a bad target scale', () => modelFromStateDict(rnnDict((sd) => (sd['synthesiser.target_scale'] = t([], -1)))), /synthesiser.target_scale: expected one finite number > 0 \(shape \[\] or \[1\]\), received shape \[\] holding -1$/],
    ['a NaN', () => modelFromStateDict(rnnDict((sd) => (sd['rnn.weight_hh_l0'].data[5] = NaN))), /^Error: modelFromStateDict: rnn.weight_hh_l0: expected finite values, received NaN at flat index 5$/],
    ['the cell option against the gate count', () => modelFromStateDict(rnnDict(), { cell: 'lstm' }), /rnn.weight_hh_l0: shape \[4, 4\] is an nn.RNN's \(1H rows\), but options.cell is "lstm" \(4H rows\)$/],
    ['a nonlinearity for an LSTM', () => modelFromStateDict(stateDictFromJson(readJson('lstm', 'state_dict.json')), { nonlinearity: 'relu' }), /options.nonlinearity applies to nn.RNN only, and rnn.weight_hh_l0 \(shape \[16, 4\]\) is an nn.LSTM's$/],
    ['an unknown nonlinearity', () => modelFromStateDict(rnnDict(), { nonlinearity: 'sigmoid' as never }), /options.nonlinearity: expected one of "tanh", "relu", received "sigmoid"$/],
    ['an unknown option', () => modelFromStateDict(rnnDict(), { layers: 2 } as never), /modelFromStateDict: options: unknown option "layers"/],
    ['a prefix not a string', () => modelFromStateDict(rnnDict(), { prefix: 1 as never }), /options.prefix: expected a string .*received 1$/],
    ['not a Tensor', () => modelFromStateDict({ 'rnn.weight_hh_l0': [[1]] } as never), /^Error: modelFromStateDict: state_dict\.rnn\.weight_hh_l0: expected a Tensor, received an array of length 1$/],
    ['the identity RNN on export', () => modelToStateDict(createModel({ cell: 'rnn', activation: 'identity', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1 })), /^Error: modelToStateDict: model.cell: the rnn cell with activation identity has no PyTorch module; expected one of: rnn activation tanh \(nn.RNN nonlinearity=tanh\), rnn activation relu \(nn.RNN nonlinearity=relu\), lstm \(nn.LSTM\), gru \(nn.GRU\)$/],
    ['the sigmoid RNN to safetensors', () => modelToSafetensors(createModel({ cell: 'rnn', activation: 'sigmoid', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1 })), /the rnn cell with activation sigmoid has no PyTorch module/],
    ['metadata against the option', () => modelFromSafetensors(modelToSafetensors(createModel({ cell: 'rnn', activation: 'relu', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1 })), { nonlinearity: 'tanh' }), /options.nonlinearity: the file's metadata says "relu", received "tanh"$/],
    ['a ragged JSON array', () => stateDictFromJson({ 'rnn.weight_hh_l0': [[1, 2], [3]] }), /^Error: state_dict: rnn.weight_hh_l0\[1\]: expected an array of shape \[2, 2\]; at this level length 2, received length 1$/],
    ['a string in JSON', () => stateDictFromJson({ 'readout.bias': [1, '2'] }, 'sd.json'), /^Error: sd.json: readout.bias\[1\]: expected a finite number/],
  ];
  for (const [what, run, message] of cases) assert.throws(run, message, what);
});

test('state_dict: a module built with bias=False (no bias keys) imports with zero biases; a state_dict without a prefix imports with prefix ""', () => {
  const sd = rnnDict((d) => {
    delete d['rnn.bias_ih_l0'];
    delete d['rnn.bias_hh_l0'];
    delete d['readout.bias'];
  });
  const m = modelFromStateDict(sd);
  assert.ok(m.cell.params.b.data.every((v) => v === 0) && m.readout.params.b.data.every((v) => v === 0));
  const bare = Object.fromEntries(Object.entries(rnnDict()).map(([k, v]) => [k.replace(/^rnn\./, ''), v]));
  assertSameModel(modelFromStateDict(rnnDict()), modelFromStateDict(bare, { prefix: '' }), 'prefix ""');
  assert.throws(() => modelFromStateDict(bare), /weight_ih_l0: unknown key/);
});

test('state_dict: nn.RNN\'s nonlinearity is tanh unless told (the tensors cannot tell), and relu changes the outputs', () => {
  const tanh = modelFromStateDict(rnnDict());
  const relu = modelFromStateDict(rnnDict(), { nonlinearity: 'relu', cell: 'rnn' });
  assert.equal(tanh.cell.options.activation, 'tanh');
  assert.equal(relu.cell.options.activation, 'relu');
  const x = [new Float64Array([0.5, -1, 2])];
  assert.notDeepEqual(predict(tanh, x).outputs, predict(relu, x).outputs);
});

test('state_dict: the nonlinearity in a safetensors file\'s metadata concerns nn.RNN only; options are checked before the file is read', () => {
  const lstm = readSafetensors(readFileSync(new URL('model.f64.safetensors', dir('lstm')))).tensors;
  assert.equal(modelFromSafetensors(writeSafetensors(lstm, { nonlinearity: 'relu' })).cell.type, 'lstm');
  assert.throws(() => modelFromSafetensors(writeSafetensors(lstm, { nonlinearity: 'gelu' })), /^Error: modelFromSafetensors: __metadata__.nonlinearity: expected one of "tanh", "relu", received "gelu"$/);
  assert.throws(() => modelFromSafetensors(new Uint8Array(3), null as never), /^Error: modelFromSafetensors: options: expected an options object, received null$/);
});

test('state_dict: a state_dict of float32 tensors gives a float32 model, a mixed one float64; dtype overrides', () => {
  const f32 = readSafetensors(readFileSync(new URL('model.f32.safetensors', dir('lstm')))).tensors;
  assert.equal(modelFromStateDict(f32).dtype, 'float32');
  assert.equal(modelFromStateDict({ ...f32, 'readout.bias': f32['readout.bias'].as('float64') }).dtype, 'float64');
  assert.equal(modelFromStateDict(f32, { dtype: 'float64' }).dtype, 'float64');
  const bytes = writeSafetensors(f32);
  assert.equal(modelFromSafetensors(bytes, { dtype: 'float64' }).cell.params.W_hh.dtype, 'float64');
});
