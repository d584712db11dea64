import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam } from '../../src/optim/adam.ts';
import { Sgd } from '../../src/optim/sgd.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import type { ModelGroups } from '../../src/model/model.ts';

const groups = (c: number[], r: number[], s: number[]): ModelGroups => ({
  cell: { W: new Tensor([c.length], Float64Array.from(c)) },
  readout: { W: new Tensor([r.length], Float64Array.from(r)) },
  synthesiser: { W: new Tensor([s.length], Float64Array.from(s)) },
});

test('SGD: θ ← θ − lr·g with a learning rate per group (rate 0 leaves a group unchanged)', () => {
  const p = groups([1, 2], [3], [4]);
  new Sgd({ lr: { cell: 0.1, readout: 0, synthesiser: 0.5 } }).step(p, groups([1, -1], [10], [2]));
  assert.deepEqual(Array.from(p.cell.W.data), [0.9, 2.1]);
  assert.deepEqual(Array.from(p.readout.W.data), [3]);
  assert.deepEqual(Array.from(p.synthesiser.W.data), [3]);
});

test('global-norm clipping rescales the stepped groups to norm ≤ clipNorm', () => {
  const p = groups([0, 0], [0], [0]);
  // ‖(3, 4, 12)‖ = 13 → scaled by 1/13 (the synthesiser's 100 is not stepped: rate 0)
  new Sgd({ lr: { cell: 1, readout: 1, synthesiser: 0 }, clipNorm: 1 }).step(p, groups([3, 4], [12], [100]));
  assert.deepEqual(Array.from(p.cell.W.data), [-3 / 13, -4 / 13]);
  assert.deepEqual(Array.from(p.readout.W.data), [-12 / 13]);
  const q = groups([0], [0], [0]);
  new Sgd({ lr: 1, clipNorm: 10 }).step(q, groups([3], [4], [0]));
  assert.deepEqual(Array.from(q.cell.W.data), [-3]); // norm 5 < 10: unchanged
});

test('Adam matches a hand computation over two steps (β = 0.9/0.98, ε = 1e-9 as in the paper)', () => {
  const p = groups([1], [0], [0]);
  const adam = new Adam({ lr: { cell: 0.1, readout: 0, synthesiser: 0 }, betas: [0.9, 0.98], eps: 1e-9 });
  adam.step(p, groups([0.5], [0], [0]));
  // m = 0.05, v = 0.005; m̂ = 0.5, v̂ = 0.25: θ = 1 − 0.1·0.5/(0.5 + 1e-9)
  const t1 = 1 - (0.1 * 0.5) / (0.5 + 1e-9);
  assert.ok(Math.abs(p.cell.W.data[0] - t1) < 1e-15);
  adam.step(p, groups([-1], [0], [0]));
  // m = 0.9·0.05 − 0.1 = −0.055, v = 0.98·0.005 + 0.02 = 0.0249
  const m = -0.055 / (1 - 0.81);
  const v = 0.0249 / (1 - 0.98 * 0.98);
  assert.ok(Math.abs(p.cell.W.data[0] - (t1 - (0.1 * m) / (Math.sqrt(v) + 1e-9))) < 1e-15);
});

test('Adam state round-trips: a restored optimizer continues identically', () => {
  const a = new Adam({ lr: 0.01 });
  const pa = groups([1, -1], [2], [0.5]);
  const g = (k: number) => groups([Math.sin(k), Math.cos(k)], [k / 10], [1 / (k + 1)]);
  for (let k = 0; k < 3; k++) a.step(pa, g(k));
  const b = new Adam({ lr: 0.01 });
  b.setState(JSON.parse(JSON.stringify(a.getState())));
  const pb = groups(Array.from(pa.cell.W.data), Array.from(pa.readout.W.data), Array.from(pa.synthesiser.W.data));
  for (let k = 3; k < 6; k++) {
    a.step(pa, g(k));
    b.step(pb, g(k));
  }
  assert.deepEqual(pb, pa);
});

test('optimizers reject bad options with clear errors', () => {
  assert.throws(() => new Adam({ lr: -1 }), /Adam: lr: expected a finite number ≥ 0, received -1/);
  assert.throws(() => new Adam({ lr: { cell: 1, rnn: 1 } as never }), /Adam: lr: unknown option "rnn"/);
  assert.throws(() => new Adam({ lr: 1, betas: [0.9, 1] }), /Adam: betas\[1\]: expected a number in \[0, 1\), received 1/);
  assert.throws(() => new Adam({ lr: 1, eps: 0 }), /Adam: eps: expected a finite number > 0, received 0/);
  assert.throws(() => new Sgd({ lr: 1, clipNorm: NaN }), /Sgd: clipNorm: expected a finite number > 0, received NaN/);
  assert.throws(() => new Sgd({ lr: 1, momentum: 0.9 } as never), /Sgd: unknown option "momentum"/);
  assert.throws(() => new Adam({ lr: 1 }).setState({ t: -1 }), /Adam\.setState: state: unknown option "t"/);
});

test('an optimizer binds to the parameters of its first step: another model\'s are refused, naming the tensor; nothing changes; setState unbinds', async () => {
  const { createLearner, createModel, trainSequence } = await import('../../src/index.ts');
  for (const make of [() => new Adam({ lr: 0.1 }), () => new Sgd({ lr: 0.1 })]) {
    const opt = make();
    const a = groups([1, 2], [3], [4]);
    const b = groups([1, 2], [3], [4]);
    opt.step(a, groups([1, 1], [1], [1]));
    opt.step(a, groups([1, 1], [1], [1])); // the same parameters again: fine
    const state = JSON.stringify(opt.getState());
    assert.throws(() => opt.step(b, groups([1, 1], [1], [1])), new RegExp(`^Error: ${opt.name === 'adam' ? 'Adam' : 'Sgd'}\\.step: params: expected the parameters this optimizer first stepped .*received another model's \\(cell\\.W is another array\\); give each model its own optimizer`));
    assert.deepEqual(Array.from(b.cell.W.data), [1, 2], 'the other model is unchanged');
    assert.equal(JSON.stringify(opt.getState()), state, 'the optimizer is unchanged');
    // a restored state binds at its next step
    opt.setState(JSON.parse(state));
    opt.step(b, groups([1, 1], [1], [1]));
    assert.throws(() => opt.step(a, groups([1, 1], [1], [1])), /another model's/);
  }
  // through learners: one optimizer shared by two models' learners
  const optimizer = new Adam({ lr: 0.01 });
  const m1 = createModel({ cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1 });
  const m2 = createModel({ cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 2 });
  const batch = { T: 2, B: 1, inputSize: 1, outputSize: 1, loss: 'mse' as const, x: [Float64Array.of(1), Float64Array.of(-1)], y: [null, Float64Array.of(0.5)] };
  trainSequence(createLearner('bptt', m1, { loss: 'mse', optimizer }), batch);
  const before = JSON.stringify(m2.groups());
  assert.throws(() => trainSequence(createLearner('bptt', m2, { loss: 'mse', optimizer }), batch), /Adam\.step: params: expected the parameters this optimizer first stepped/);
  assert.equal(JSON.stringify(m2.groups()), before);
});
