import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { caseArb, flat, makeBatch, makeModel, relErr, RUNS, type Case } from '../helpers.ts';
import { createLearner, trainSequence } from '../../src/learners/index.ts';
import type { Learner } from '../../src/learners/learner.ts';
import { gradientAlignment } from '../../src/learners/alignment.ts';
import { createModel, type Model } from '../../src/model/model.ts';
import { modelFromJson, modelToJson } from '../../src/io/model-json.ts';
import { createToyTask } from '../../src/tasks/toy.ts';
import { Adam } from '../../src/optim/adam.ts';
import { Rng } from '../../src/rng.ts';

/**
 * The synthesiser's target scale ρ (docs/MATH.md §4.8): g = (W s + b)/ρ, the raw output trained
 * towards ρ × the per-example target. Nothing outside the synthesiser depends on ρ.
 */

const RHOS = [1 / 7, 0.1, 1, 3.5];

test('setTargetScale keeps the synthesiser function g and rescales the raw parameters', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 3, O: 2, B: 4, T: 3, loss: 'mse', seed: 9, targets: 'all' };
  const m = makeModel(c);
  const s = new Float64Array(c.B * m.stateSize).map((_, i) => Math.sin(i + 1));
  const g0 = new Float64Array(s.length);
  m.synthesiser.forward(s, c.B, g0);
  const W0 = m.synthesiser.params.W.data.slice();
  m.synthesiser.setTargetScale(0.25);
  const g1 = new Float64Array(s.length);
  m.synthesiser.forward(s, c.B, g1);
  assert.ok(relErr(g1, g0, 1e-300) < 1e-15);
  assert.equal(m.synthesiser.params.W.data[1], W0[1] * 0.25);
  assert.equal(m.synthesiser.targetScale, 0.25);
  for (const bad of [0, -1, NaN, Infinity, '0.1']) {
    assert.throws(() => m.synthesiser.setTargetScale(bad as number), /setTargetScale: targetScale: expected a finite number > 0, received/);
    assert.equal(m.synthesiser.targetScale, 0.25, 'a refused ρ changes nothing');
  }
});

/** The same function with target scale ρ: raw parameters ρ·W, ρ·b. */
function scaledCopy(m: Model, rho: number): Model {
  const json = modelToJson(m);
  const copy = modelFromJson(json);
  copy.synthesiser.setTargetScale(rho);
  return copy;
}

const learners: [string, (m: Model, c: Case, rho: number) => Learner][] = [
  ['bp-lambda traces', (m, c, rho) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.7, gamma: 0.9, sgScale: 0.5, regime: 'per-sequence', targetScale: rho, recordOutputs: true })],
  ['bp-lambda blocked', (m, c, rho) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.7, gamma: 0.9, sgScale: 0.5, regime: 'per-sequence', targetScale: rho, computation: 'blocked', traceWindow: 2, recordOutputs: true })],
  ['lambda-sg', (m, c, rho) => createLearner('lambda-sg', m, { loss: c.loss, lambda: 0.7, gamma: 0.9, sgScale: 0.5, targetScale: rho })],
  ['sg', (m, c, rho) => createLearner('sg', m, { loss: c.loss, truncation: 2, gamma: 0.9, sgScale: 0.5, targetScale: rho })],
];

for (const [name, make] of learners) {
  test(`${name}: with the same function g, ρ changes only the synthesiser's raw gradient, by the factor ρ`, () => {
    fc.assert(
      fc.property(caseArb({ maxH: 4, maxT: 6 }), fc.constantFrom(...RHOS), (c, rho) => {
        const base = makeModel(c);
        const batch = makeBatch(c);
        const r1 = trainSequence(make(base, c, 1), batch);
        const r2 = trainSequence(make(scaledCopy(base, rho), c, rho), batch);
        for (const g of ['cell', 'readout'] as const) {
          for (const k of Object.keys(r1.grads[g])) assert.ok(relErr(r2.grads[g][k].data, r1.grads[g][k].data, 1e-14) < 1e-12, `${g}.${k}`);
        }
        for (const k of ['W', 'b']) {
          const want = r1.grads.synthesiser[k].data.map((v) => rho * v);
          assert.ok(relErr(r2.grads.synthesiser[k].data, want, 1e-14) < 1e-12, `synthesiser.${k}`);
        }
        assert.equal(r2.loss, r1.loss);
        if (r1.syntheticGrads) assert.ok(relErr(flat(r2.syntheticGrads!), flat(r1.syntheticGrads), 1e-14) < 1e-12, 'syntheticGrads');
      }),
      { numRuns: Math.max(5, RUNS / 4) },
    );
  });
}

test('toy: ρ = 0.1 with Adam rate α gives the alignments of ρ = 1 with rate 10α (up to Adam\'s ε)', () => {
  const task = createToyTask({ K: 1, seed: 3 });
  const train = (rho: number, lr: number) => {
    const model = createModel({ cell: 'rnn', activation: 'identity', inputSize: 10, hiddenSize: 8, outputSize: 2, seed: 4, gain: 1.6 });
    const learner = createLearner('bp-lambda', model, {
      loss: 'mse',
      lambda: 1,
      gamma: 1,
      regime: 'per-sequence',
      targetScale: rho,
      optimizer: new Adam({ lr: { cell: 0, readout: 0, synthesiser: lr }, betas: [0.9, 0.98], eps: 1e-14 }),
    });
    const rng = new Rng(5);
    for (let i = 0; i < 30; i++) trainSequence(learner, task.batch(rng, 10, 12));
    return gradientAlignment(model, task.batch(new Rng(6), 20, 12));
  };
  const a = train(1, 1e-2);
  const b = train(0.1, 1e-3);
  const c = train(0.1, 1e-2);
  assert.ok(Math.abs(a.whole - b.whole) < 1e-9, `ρ = 1 at 1e-2: ${a.whole}; ρ = 0.1 at 1e-3: ${b.whole}`);
  for (let t = 0; t < a.perStep.length; t++) assert.ok(Math.abs(a.perStep[t] - b.perStep[t]) < 1e-9, `step ${t}`);
  assert.ok(Math.abs(a.whole - c.whole) > 1e-3, 'the same nominal rate at ρ = 0.1 trains differently (the test can tell)');
});

test('model JSON keeps the target scale; a bad one is refused naming the field', () => {
  const m = createModel({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, seed: 1 });
  assert.equal(modelToJson(m).synthesiser!.targetScale, undefined, 'ρ = 1 is not written');
  m.synthesiser.setTargetScale(0.02);
  const json = modelToJson(m);
  assert.equal(json.synthesiser!.targetScale, 0.02);
  assert.equal(modelFromJson(json).synthesiser.targetScale, 0.02);
  assert.equal(m.clone().synthesiser.targetScale, 0.02);
  for (const bad of [0, -2, 'x', null]) {
    assert.throws(() => modelFromJson({ ...json, synthesiser: { ...json.synthesiser, targetScale: bad } }), /model\.synthesiser\.targetScale: expected a finite number > 0, received/);
  }
  assert.throws(() => createLearner('bp-lambda', m, { loss: 'mse', lambda: 1, gamma: 1, targetScale: 0 }), /BpLambdaLearner: targetScale: expected a finite number > 0, received 0/);
});

test('learner state records the target scale ρ; setState refuses a state saved under another ρ, naming both values, and changes nothing', () => {
  const c: Case = { kind: { cell: 'rnn', activation: 'tanh' }, I: 2, H: 3, O: 2, B: 2, T: 4, loss: 'mse', seed: 5, targets: 'all' };
  const batch = makeBatch(c);
  const learnerFor = (method: 'bp-lambda' | 'lambda-sg' | 'sg', rho: number): Learner =>
    createLearner(method, makeModel(c), method === 'sg' ? { loss: 'mse', truncation: 2, gamma: 0.9, targetScale: rho } : { loss: 'mse', lambda: 0.5, gamma: 0.9, targetScale: rho });
  for (const method of ['bp-lambda', 'lambda-sg', 'sg'] as const) {
    const l = learnerFor(method, 0.1);
    l.reset(c.B);
    l.step(batch.x[0], batch.y[0]);
    const saved = JSON.parse(JSON.stringify(l.getState()));
    assert.equal(saved.config.targetScale, 0.1, method);
    const other = learnerFor(method, 0.5);
    const before = JSON.stringify(other.getState());
    assert.throws(() => other.setState(saved), new RegExp(`${method}\\.setState: state\\.config\\.targetScale: expected 0\\.5 \\(this learner's: its model's synthesiser target scale ρ\\), received 0\\.1`), method);
    assert.equal(JSON.stringify(other.getState()), before, `${method}: nothing changed`);
    learnerFor(method, 0.1).setState(saved); // the same ρ restores
    // a state saved before ρ was recorded (no targetScale key) is still read
    delete saved.config.targetScale;
    learnerFor(method, 0.5).setState(saved);
  }
});
