import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradientAlignment } from '../../src/learners/alignment.ts';
import { createLearner, trainSequence, type Method, type MethodOptions } from '../../src/learners/index.ts';
import { batchFromJson } from '../../src/io/batch-json.ts';
import type { SeqBatch } from '../../src/data/batch.ts';
import { allParams, makeBatch, makeModel, type Case } from '../helpers.ts';

const c: Case = { kind: { cell: 'rnn', activation: 'tanh' }, I: 2, H: 3, O: 3, B: 2, T: 4, loss: 'mse', seed: 7, targets: 'all' };

test('gradientAlignment checks its batch: widths, finite values, targets, loss, B ≥ 1, T ≥ 1', () => {
  const m = makeModel(c);
  const good = makeBatch(c);
  type Mutable = { -readonly [K in keyof SeqBatch]: SeqBatch[K] };
  const bad = (f: (b: Mutable) => void): SeqBatch => {
    const b: Mutable = { ...good, x: good.x.map((a) => a.slice()), y: good.y.map((a) => (a ? a.slice() : null)) };
    f(b);
    return b;
  };
  const cases: [SeqBatch, RegExp][] = [
    [bad((b) => (b.inputSize = 3)), /gradientAlignment: batch\.inputSize: expected 2 \(the model's\), received 3/],
    [bad((b) => (b.x[1] = new Float64Array(6))), /gradientAlignment: batch\.x\[1\] \(batch 2 × inputSize 2\): expected length 4, received length 6/],
    [bad((b) => (b.x[0][1] = NaN)), /batch\.x\[0\] .*: expected finite values, received NaN at index 1/],
    [bad((b) => (b.y[2] = new Float64Array(4))), /batch\.y\[2\] \(batch 2 × outputSize 3\): expected length 6, received length 4/],
    [bad((b) => (b.outputSize = 2)), /batch\.outputSize: expected 3/],
    [bad((b) => (b.loss = 'hinge' as never)), /batch\.loss: expected one of "mse", "softmax-ce", "sigmoid-bce", received "hinge"/],
    [bad((b) => (b.B = 0)), /gradientAlignment: batch\.B: expected an integer ≥ 1, received 0/],
    [bad((b) => ((b.T = 0), (b.x = []), (b.y = []))), /batch\.T: expected an integer ≥ 1, received 0/],
    [bad((b) => ((b.loss = 'sigmoid-bce'), (b.y[0]![0] = 1.5))), /batch\.y\[0\]: sigmoid-bce targets must lie in \[0, 1\], received 1\.5/],
  ];
  for (const [b, re] of cases) assert.throws(() => gradientAlignment(m, b), re);
  assert.throws(() => gradientAlignment(null as never, good), /gradientAlignment: model: expected a Model/);
  assert.ok(Number.isFinite(gradientAlignment(m, good).mean));
});

test('learner.step accepts exactly the targets the batch JSON loader accepts (one rule)', () => {
  const rows = { 'softmax-ce': [5, -3, 0], 'sigmoid-bce': [1.5, 0, 0] } as const;
  for (const [loss, row] of Object.entries(rows) as [keyof typeof rows, readonly number[]][]) {
    const json = { x: [[[0, 0]]], y: [[row]], loss };
    let loaderMessage = '';
    assert.throws(() => batchFromJson(json), (e: Error) => ((loaderMessage = e.message), true));
    const l = createLearner('bptt', makeModel({ ...c, loss }), { loss });
    l.reset(1);
    assert.throws(() => l.step(new Float64Array(2), Float64Array.from(row), true), (e: Error) => {
      // the same rule and wording after the two callers' prefixes
      const rule = loaderMessage.replace(/^batch\.y\[0\]/, '');
      assert.ok(e.message.endsWith(rule), `${e.message} vs ${loaderMessage}`);
      return true;
    });
  }
});

const methods: [Method, MethodOptions[Method]][] = [
  ['bp-lambda', { loss: 'mse', lambda: 0.5, gamma: 0.9 }],
  ['rtrl', { loss: 'mse' }],
  ['bptt', { loss: 'mse' }],
];

for (const [method, opts] of methods) {
  test(`${method}: a reset that cannot allocate names the memory and leaves the open sequence intact`, () => {
    const batch = makeBatch(c);
    const ref = createLearner(method, makeModel(c), opts);
    const l = createLearner(method, makeModel(c), opts);
    ref.reset(c.B);
    l.reset(c.B);
    for (let t = 0; t < c.T; t++) {
      if (t === 2) assert.throws(() => l.reset(1e12), /reset: batchSize 1000000000000.*needs about [\d.]+ [TPE]B of memory, which could not be allocated/);
      ref.step(batch.x[t], batch.y[t], t === c.T - 1);
      l.step(batch.x[t], batch.y[t], t === c.T - 1);
    }
    const a = ref.end();
    const b = l.end();
    assert.equal(b.loss, a.loss);
    assert.deepEqual(allParams({ groups: () => b.grads }), allParams({ groups: () => a.grads }));
    // and it still takes a normal reset afterwards
    assert.equal(trainSequence(l, batch).steps, c.T);
  });
}

test('createLearner and every learner constructor reject a missing model by name', () => {
  assert.throws(() => createLearner('bptt', null as never, { loss: 'mse' }), /createLearner: model: expected a Model \(createModel, modelFromJson, modelFromStateDict\), received null/);
  assert.throws(() => createLearner('bp-lambda', {} as never, { loss: 'mse', lambda: 1, gamma: 1 }), /createLearner: model: expected a Model/);
});
