import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as core from '../src/index.ts';
import * as torch from '../src/pytorch.ts';
import * as testing from '../src/testing.ts';
import { describe } from '../src/validate.ts';
import { checkConfig, resolveRunConfig } from '../src/experiments/config.ts';

/**
 * Every public function of the package's entry points that takes a model, a learner, a batch,
 * gradients, a cell or a state_dict, called with undefined, null, {} and a value of the wrong
 * type in that argument: a plain Error naming the function and the argument (or, for {}, the
 * argument's missing field), the expected and the received value; never a TypeError or
 * RangeError thrown from inside.
 */

const model = core.createModel({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 1 });
const batch = core.makeBatch({ x: [[[1, 0]], [[0, 1]]], y: [[[1]], [[0]]], loss: 'mse' });
const learner = () => core.createLearner('bptt', model, { loss: 'mse' });
const grads = () => ({ model, grads: core.trainSequence(learner(), batch).grads, loss: 0.5, includeSynthesiser: false, batch: 1 });

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The bad values each argument is tried with; the last is of the wrong type for every kind. */
const BAD: unknown[] = [undefined, null, {}, 'x'];

/**
 * `call(v)` puts v in the argument `name` names ("modelToJson: model"): the error must be
 * "<name>: expected …, received <v>", or, for {}, "<name>.<field>: expected …, received undefined".
 */
function assertArgumentError(call: (v: unknown) => unknown, name: string, v: unknown): void {
  const field = `^${escape(name)}\\.[\\w.]+: expected .+, received undefined$`;
  const whole = `^${escape(name)}: expected .+, received ${escape(describe(v))}$`;
  let thrown: unknown;
  try {
    call(v);
  } catch (e) {
    thrown = e;
  }
  const label = `${name} ← ${describe(v)}`;
  assert.ok(thrown instanceof Error, `${label}: expected an Error, nothing or a non-Error was thrown`);
  assert.equal(thrown.constructor, Error, `${label}: a ${thrown.constructor.name} leaked out: ${thrown.message}`);
  const ok = new RegExp(whole).test(thrown.message) || (typeof v === 'object' && v !== null && new RegExp(field).test(thrown.message));
  assert.ok(ok, `${label}: the message does not name the argument and the received value: ${thrown.message}`);
}

/** [the argument's name in the error, the call with v in that argument, the values tried (default BAD)] */
const CASES: [string, (v: unknown) => unknown, unknown[]?][] = [
  // bp-lambda
  ['createCell: spec', (v) => core.createCell(v as never)],
  ['Model: cell', (v) => new core.Model(v as never, model.readout, model.synthesiser)],
  ['Model: readout', (v) => new core.Model(model.cell, v as never, model.synthesiser)],
  ['Model: synthesiser', (v) => new core.Model(model.cell, model.readout, v as never)],
  ['trainSequence: learner', (v) => core.trainSequence(v as never, batch)],
  ['trainSequence: batch', (v) => core.trainSequence(learner(), v as never)],
  ['bptt: model', (v) => core.bptt(v as never, batch)],
  ['bptt: batch', (v) => core.bptt(model, v as never)],
  ['bptt: truncation', (v) => core.bptt(model, batch, v as never), [null, {}, 'x', 0]],
  ['forwardTrajectory: model', (v) => core.forwardTrajectory(v as never, batch)],
  ['forwardTrajectory: batch', (v) => core.forwardTrajectory(model, v as never)],
  ['gradientAlignment: model', (v) => core.gradientAlignment(v as never, batch)],
  ['gradientAlignment: batch', (v) => core.gradientAlignment(model, v as never)],
  ['createLearner: model', (v) => core.createLearner('bp-lambda', v as never, { loss: 'mse', lambda: 1, gamma: 1 })],
  ['BpLambdaLearner: model', (v) => new core.BpLambdaLearner(v as never, { loss: 'mse', lambda: 1, gamma: 1 })],
  ['BpLambdaLearner: options', (v) => new core.BpLambdaLearner(model, v as never), [undefined]],
  ['bptt: options', (v) => new core.BpttLearner(model, v as never), [undefined]],
  ['RtrlLearner: options', (v) => new core.RtrlLearner(model, v as never), [undefined]],
  ['Predictor: model', (v) => new core.Predictor(v as never)],
  ['predict: model', (v) => core.predict(v as never, batch)],
  ['modelToJson: model', (v) => core.modelToJson(v as never)],
  ['batchToJson: batch', (v) => core.batchToJson(v as never)],
  ['gradsToJson: input', (v) => core.gradsToJson(v as never)],
  ['gradsToJson: input.model', (v) => core.gradsToJson({ ...grads(), model: v } as never)],
  ['gradsToJson: input.grads', (v) => core.gradsToJson({ ...grads(), grads: v } as never)],
  // bp-lambda/pytorch
  ['modelToStateDict: model', (v) => torch.modelToStateDict(v as never)],
  ['modelToSafetensors: model', (v) => torch.modelToSafetensors(v as never)],
  ['torchModuleOf: model', (v) => torch.torchModuleOf(v as never)],
  ['gateCount: row', (v) => torch.gateCount(v as never)],
  // an empty state_dict is one (of nothing): {} is not a bad value for these
  ['stateDictToJson: state_dict', (v) => torch.stateDictToJson(v as never), [undefined, null, 'x', [1]]],
  ['modelFromStateDict: state_dict', (v) => torch.modelFromStateDict(v as never), [undefined, null, 'x', [1]]],
  ['writeSafetensors: tensors', (v) => torch.writeSafetensors(v as never), [undefined, null, 'x', [1]]],
  // bp-lambda/testing
  ['checkCellGradients: cell', (v) => testing.checkCellGradients(v as never)],
  ['checkLearnerGradients: learner', (v) => testing.checkLearnerGradients(v as never, batch)],
  ['checkLearnerGradients: batch', (v) => testing.checkLearnerGradients(learner(), v as never)],
  ['bpttReference: model', (v) => testing.bpttReference(v as never, batch)],
  ['bpttReference: batch', (v) => testing.bpttReference(model, v as never)],
  ['oracleSynthesiserModel: model', (v) => testing.oracleSynthesiserModel(v as never, batch)],
  ['oracleSynthesiserModel: batch', (v) => testing.oracleSynthesiserModel(model, v as never)],
  ['perExampleReference: make()', (v) => testing.perExampleReference(() => v as never, batch)],
];

for (const [name, call, values = BAD] of CASES) {
  test(`${name}: ${values.map(describe).join(', ')} give an error naming the argument and the received value`, () => {
    for (const v of values) assertArgumentError(call, name, v);
  });
}

test('a state_dict or parameter group holding a non-Tensor: the error names the key and the received value', () => {
  assert.throws(() => torch.stateDictToJson({ a: 1 } as never), { message: 'stateDictToJson: state_dict.a: expected a Tensor, received 1' });
  assert.throws(() => torch.modelFromStateDict({ 'rnn.weight_hh_l0': [[1]] } as never), { message: 'modelFromStateDict: state_dict.rnn.weight_hh_l0: expected a Tensor, received an array of length 1' });
  const g = grads();
  assert.throws(() => core.gradsToJson({ ...g, grads: { ...g.grads, cell: { ...g.grads.cell, W_hh: [1] } } } as never), { message: 'gradsToJson: input.grads.cell.W_hh: expected a Tensor, received an array of length 1' });
  assert.throws(
    () => core.gradsToJson({ ...g, grads: { ...g.grads, readout: { W: g.grads.readout.W } } } as never),
    { message: 'gradsToJson: input.grads.readout: expected the model\'s parameters W, b, received W' },
  );
  assert.throws(
    () => core.gradsToJson({ ...g, grads: { ...g.grads, cell: { ...g.grads.cell, W_hh: core.Tensor.zeros([2, 2]) } } } as never),
    { message: 'gradsToJson: input.grads.cell.W_hh: expected shape [3, 3] (the model\'s), received [2, 2]' },
  );
  assert.throws(() => core.createCell({ type: 'rnn', inputSize: 1, hiddenSize: 1, dtype: 'float64', params: { W_ih: 1, W_hh: 1, b: 1 } } as never), { message: 'createCell: spec.params.W_ih: expected a Tensor, received 1' });
});

test('batchToJson: a batch whose x[t] is not B × inputSize values is refused, naming the step', () => {
  const bad = { ...batch, x: [batch.x[0], new Float64Array(1)] };
  assert.throws(() => core.batchToJson(bad), /^Error: batchToJson: batch\.x\[1\] \(batch 1 × inputSize 2\): expected length 2, received length 1$/);
  assert.deepEqual(core.batchToJson(batch), { x: [[[1, 0]], [[0, 1]]], y: [[[1]], [[0]]], loss: 'mse' });
});

test('batch JSON with an empty or non-array step: the error names the element, x[0] or x[0][0], and what it is', () => {
  const cases: [unknown, string][] = [
    [[null, null, null], 'batch.x[0]: expected a non-empty array of shape [B][I] (x is [T][B][I]), received null'],
    [[[], []], 'batch.x[0]: expected a non-empty array of shape [B][I] (x is [T][B][I]), received an array of length 0'],
    [[[[]]], 'batch.x[0][0]: expected a non-empty array of shape [I] (x is [T][B][I]), received an array of length 0'],
    [[[5]], 'batch.x[0][0]: expected a non-empty array of shape [I] (x is [T][B][I]), received 5'],
    [[], 'batch.x: expected a non-empty array of shape [T][B][I], received an array of length 0'],
    ['x', 'batch.x: expected a non-empty array of shape [T][B][I], received "x"'],
  ];
  for (const [x, message] of cases) assert.throws(() => core.batchFromJson({ x, y: [null], loss: 'mse' }), { message }, JSON.stringify(x));
  assert.throws(() => core.batchFromJson({ x: [[[1]]], y: [[[]]], loss: 'mse' }), { message: 'batch.y[0][0]: expected a non-empty array of shape [O] (y[t] is [B][O]), received an array of length 0' });
  assert.throws(() => core.batchFromJson({ x: [[[1]]], y: [[]], loss: 'mse' }), { message: 'batch.y[0]: expected null or a non-empty array of shape [1][O], received an array of length 0' });
});

test('betas outside [0, 1), in a run config or Adam\'s options: the error quotes the offending value', () => {
  const config = resolveRunConfig('toy', {});
  assert.throws(() => checkConfig({ ...config, betas: [1.5, 0.98] }), { message: 'config.betas[0]: expected a number in [0, 1), received 1.5' });
  assert.throws(() => checkConfig({ ...config, betas: [0.9, '0.98'] as never }), { message: 'config.betas[1]: expected a number in [0, 1), received "0.98"' });
  assert.throws(() => checkConfig({ ...config, betas: [0.9] as never }), { message: 'config.betas: expected [β1, β2], two numbers in [0, 1), received an array of length 1' });
  assert.throws(() => new core.Adam({ lr: 1, betas: [1.5, 0.98] }), { message: 'Adam: betas[0]: expected a number in [0, 1), received 1.5' });
  assert.throws(() => new core.Adam({ lr: 1, betas: [0.9, -0.1] }), { message: 'Adam: betas[1]: expected a number in [0, 1), received -0.1' });
});

test('the checks accept what the library itself produces: a model, its learner, batch, gradients and state_dict go through unchanged', () => {
  const sd = torch.modelToStateDict(model);
  assert.deepEqual(Object.keys(torch.stateDictToJson(sd)), Object.keys(sd));
  assert.equal(torch.torchModuleOf(model).module, 'nn.RNN');
  const json = core.gradsToJson({ ...grads(), stateGrads: core.bptt(model, batch).stateGrads });
  assert.deepEqual(Object.keys(json), ['cell', 'readout', 'loss', 'stateGrads']);
  assert.equal(core.forwardTrajectory(model, batch).loss, core.bptt(model, batch).loss);
  const oracle = testing.oracleSynthesiserModel(model, batch);
  assert.ok(oracle instanceof core.Model);
  assert.deepEqual(core.modelToJson(core.modelFromJson(core.modelToJson(model))), core.modelToJson(model));
});
