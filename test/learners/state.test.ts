import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allParams, caseArb, makeBatch, makeModel, RUNS, type Case } from '../helpers.ts';
import { createLearner } from '../../src/learners/index.ts';
import type { Learner } from '../../src/learners/learner.ts';
import { LEARNER_STATE_VERSION } from '../../src/learners/learner-state.ts';
import type { Model } from '../../src/model/model.ts';
import { Adam } from '../../src/optim/adam.ts';
import { Sgd } from '../../src/optim/sgd.ts';
import { Rng } from '../../src/rng.ts';
import { modelFromJson, modelToJson } from '../../src/io/model-json.ts';
import type { DType } from '../../src/tensor/dtype.ts';

/**
 * Save and resume: a learner stopped at any step (mid-sequence, mid-window of the blocked
 * computations, with masked examples and episode ends), saved through JSON text, restored into
 * a fresh learner over a model read back from its JSON, continues with bit-identical losses,
 * parameters and gradients.
 */

type Make = (m: Model, c: Case) => Learner;
const adam = () => new Adam({ lr: { cell: 3e-3, readout: 2e-3, synthesiser: 5e-3 }, betas: [0.9, 0.98], eps: 1e-9, clipNorm: 5 });
const LEARNERS: Record<string, Make> = {
  bptt: (m, c) => createLearner('bptt', m, { loss: c.loss, optimizer: adam() }),
  tbptt: (m, c) => createLearner('tbptt', m, { loss: c.loss, truncation: 2, optimizer: adam() }),
  sg: (m, c) => createLearner('sg', m, { loss: c.loss, truncation: 3, gamma: 0.9, sgScale: 0.5, optimizer: adam() }),
  'lambda-sg': (m, c) => createLearner('lambda-sg', m, { loss: c.loss, lambda: 0.7, gamma: 0.9, optimizer: adam(), recordOutputs: true }),
  'bp-lambda traces per-step': (m, c) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.7, gamma: 0.9, sgScale: 0.5, synthClip: 1, optimizer: adam(), recordOutputs: true }),
  'bp-lambda traces per-sequence': (m, c) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.7, gamma: 0.9, regime: 'per-sequence', optimizer: adam() }),
  'bp-lambda blocked K=3': (m, c) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.7, gamma: 0.9, computation: 'blocked', traceWindow: 3, optimizer: adam() }),
  'bp-lambda blocked λ=0': (m, c) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0, gamma: 0.9, computation: 'blocked', traceWindow: 2, optimizer: new Sgd({ lr: 1e-2 }) }),
  'rtrl traces': (m, c) => createLearner('rtrl', m, { loss: c.loss, optimizer: adam() }),
  'rtrl blocked K=2': (m, c) => createLearner('rtrl', m, { loss: c.loss, computation: 'blocked', traceWindow: 2, regime: 'per-sequence', optimizer: adam() }),
};

/** Per step: the step's options (some examples masked out, some episodes ending), from a seed. */
function stepOptions(c: Case, seed: number, masked: boolean) {
  const rng = new Rng(seed);
  return Array.from({ length: c.T }, () => {
    if (!masked) return undefined;
    const active = Array.from({ length: c.B }, () => rng.next() < 0.8);
    return { active, terminal: active.map((a) => a && rng.next() < 0.2) };
  });
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (not bit-identical)`);
}

/** Two sequences; the learner is saved after `stop` steps of the second and restored into a fresh one. */
function check(name: string, c: Case, dtype: DType, seed: number, stop: number, masked: boolean): void {
  const make = LEARNERS[name];
  const batch = makeBatch(c, dtype);
  const opts = stepOptions(c, seed, masked);
  const model = makeModel(c, dtype);
  const learner = make(model, c);
  const run = (l: Learner, from: number, to: number, losses: number[]) => {
    for (let t = from; t < to; t++) losses.push(l.step(batch.x[t], batch.y[t], t === c.T - 1, opts[t]).loss);
  };
  learner.reset(c.B);
  run(learner, 0, c.T, []);
  learner.end();
  learner.reset(c.B);
  run(learner, 0, stop, []);

  const text = JSON.stringify({ model: modelToJson(model), learner: learner.getState() });
  const saved = JSON.parse(text);
  const model2 = modelFromJson(saved.model, dtype);
  const learner2 = make(model2, c);
  learner2.setState(saved.learner);
  assert.equal(JSON.stringify(learner2.getState()), JSON.stringify(saved.learner), 'the restored state reads back the same');

  const [a, b]: number[][] = [[], []];
  run(learner, stop, c.T, a);
  run(learner2, stop, c.T, b);
  sameBits(b, a, 'step losses');
  const ra = learner.end();
  const rb = learner2.end();
  assert.ok(Object.is(rb.loss, ra.loss), `sequence loss ${rb.loss} vs ${ra.loss}`);
  for (const g of ['cell', 'readout', 'synthesiser'] as const) for (const k of Object.keys(ra.grads[g])) sameBits(rb.grads[g][k].data, ra.grads[g][k].data, `grads.${g}.${k}`);
  sameBits(allParams(model2), allParams(model), 'parameters');
  // and a further sequence from there
  for (const l of [learner, learner2]) l.reset(c.B);
  const [a2, b2]: number[][] = [[], []];
  run(learner, 0, c.T, a2);
  run(learner2, 0, c.T, b2);
  sameBits(b2, a2, 'next sequence losses');
  learner.end();
  learner2.end();
  sameBits(allParams(model2), allParams(model), 'parameters after the next sequence');
}

for (const name of Object.keys(LEARNERS)) {
  test(`save and resume mid-sequence is bit-identical, float64 and float32, with and without masks (${name})`, () => {
    fc.assert(
      fc.property(caseArb({ maxH: 4, maxT: 9 }), fc.constantFrom<DType>('float64', 'float32'), fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: 100 }), fc.boolean(), (c, dtype, seed, at, masked) => {
        check(name, c, dtype, seed, at % (c.T + 1), masked);
      }),
      { numRuns: RUNS },
    );
  });
}

test('learner states between sequences carry the optimizer; a restored state is refused whole when it does not fit', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 3, O: 2, B: 2, T: 5, loss: 'mse', seed: 4, targets: 'all' };
  const m = makeModel(c);
  const batch = makeBatch(c);
  const l = createLearner('bp-lambda', m, { loss: 'mse', lambda: 0.5, gamma: 0.9, computation: 'blocked', traceWindow: 2, optimizer: adam() });
  l.reset(c.B);
  for (let t = 0; t < 3; t++) l.step(batch.x[t], batch.y[t]);
  const good = JSON.parse(JSON.stringify(l.getState()));
  assert.equal(good.version, LEARNER_STATE_VERSION);
  assert.equal(good.sequence.rule.trace.window.length, 1, 'three steps with K = 2: one fold, one pending step');

  const fresh = () => createLearner('bp-lambda', makeModel(c), { loss: 'mse', lambda: 0.5, gamma: 0.9, computation: 'blocked', traceWindow: 2, optimizer: adam() });
  const edit = (f: (s: any) => void) => {
    const s = structuredClone(good);
    f(s);
    return s;
  };
  const cases: [unknown, RegExp][] = [
    [null, /bp-lambda\.setState: state: expected an object with keys format, version, method, config, model, optimizer, sequence, received null/],
    [edit((s) => (s.version = 2)), /state\.version: expected 1 \(this version of bp-lambda reads learner states of version 1 only\), received 2/],
    [edit((s) => (s.format = 'x')), /state\.format: expected "bp-lambda\/learner-state", received "x"/],
    [edit((s) => (s.method = 'rtrl')), /state\.method: expected "bp-lambda" \(this learner's\), received "rtrl"/],
    [edit((s) => (s.config.lambda = 0.6)), /state\.config\.lambda: expected 0\.5 \(this learner's\), received 0\.6/],
    [edit((s) => (s.config.traceWindow = 3)), /state\.config\.traceWindow: expected 2 \(this learner's\), received 3/],
    [edit((s) => (s.model.hiddenSize = 4)), /state\.model\.hiddenSize: expected 3 \(the model's\), received 4/],
    [edit((s) => (s.optimizer.name = 'sgd')), /state\.optimizer\.name: expected "adam" \(this learner's optimizer\), received "sgd"/],
    [edit((s) => (s.optimizer.state.cell.step = -1)), /Adam\.setState: cell\.step: expected an integer ≥ 0, received -1/],
    [edit((s) => s.sequence.committed.s.pop()), /state\.sequence\.committed\.s: expected an array of length 12, received an array of length 11/],
    [edit((s) => (s.sequence.rule.trace.folded[3] = 'x')), /state\.sequence\.rule\.trace\.folded\[3\]: expected a finite number, received "x"/],
    [edit((s) => s.sequence.rule.trace.window.push(...s.sequence.rule.trace.window, ...s.sequence.rule.trace.window)), /state\.sequence\.rule\.trace\.window: expected an array of at most 2 entries, received an array of length 3/],
    [edit((s) => (s.sequence.rule.trace.window[0].jacobian.kind = 'dense')), /state\.sequence\.rule\.trace\.window\[0\]\.jacobian\.kind: expected "structured" \(the cell's form\), received "dense"/],
    [edit((s) => (s.sequence.pendingRestarts = [0, 2])), /state\.sequence\.pendingRestarts\[1\]: expected 0 or 1, received 2/],
    [edit((s) => (s.sequence.extra = 1)), /state\.sequence: unknown key "extra"/],
  ];
  for (const [s, re] of cases) {
    const target = fresh();
    const before = JSON.stringify(target.getState());
    const params = allParams(target.model);
    assert.throws(() => target.setState(s), re);
    assert.equal(JSON.stringify(target.getState()), before, 'a refused state changes nothing (learner and optimizer)');
    assert.deepEqual(allParams(target.model), params);
  }
  // float32: a value that is not a float32 is refused
  const m32 = makeModel(c, 'float32');
  const l32 = createLearner('rtrl', m32, { loss: 'mse' });
  l32.reset(c.B);
  l32.step(Float32Array.from(batch.x[0]), Float32Array.from(batch.y[0]!));
  const s32 = JSON.parse(JSON.stringify(l32.getState()));
  s32.sequence.committed.s[0] = 0.1;
  assert.throws(() => createLearner('rtrl', makeModel(c, 'float32'), { loss: 'mse' }).setState(s32), /state\.sequence\.committed\.s\[0\]: expected a float32 value \(the model is float32\), received 0\.1/);
  // no optimizer on one side
  assert.throws(() => createLearner('bp-lambda', makeModel(c), { loss: 'mse', lambda: 0.5, gamma: 0.9, computation: 'blocked', traceWindow: 2 }).setState(good), /state\.optimizer: expected null \(this learner has no optimizer\)/);
  // between sequences: only the optimizer's state travels, and the next sequence matches
  l.end();
  const between = JSON.parse(JSON.stringify(l.getState()));
  assert.equal(between.sequence, null);
  const m2 = modelFromJson(JSON.parse(JSON.stringify(modelToJson(m))));
  const l2 = createLearner('bp-lambda', m2, { loss: 'mse', lambda: 0.5, gamma: 0.9, computation: 'blocked', traceWindow: 2, optimizer: adam() });
  l2.setState(between);
  for (const x of [l, l2]) {
    x.reset(c.B);
    for (let t = 0; t < c.T; t++) x.step(batch.x[t], batch.y[t], t === c.T - 1);
    x.end();
  }
  sameBits(allParams(m2), allParams(m), 'parameters');
  assert.throws(() => l2.step(batch.x[0], null), /no open sequence/);
});
