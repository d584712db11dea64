import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLearner, createModel } from '../src/index.ts';

/** Entry points called with missing or impossible arguments: errors name the argument, the expected and the received value. */

test('createModel with no spec, null or an array: an error naming spec, the expected object and the received value', () => {
  for (const [spec, received] of [[undefined, 'undefined'], [null, 'null'], [[1], 'an array of length 1']] as const) {
    assert.throws(() => (createModel as (s?: unknown) => unknown)(spec), new RegExp(`^Error: createModel: spec: expected an object \\{ cell, inputSize, hiddenSize, outputSize, seed, … \\}.*received ${received.replace(/[[\]]/g, '\\$&')}$`));
  }
});

test('createModel with a hiddenSize whose parameters cannot be allocated: an error naming hiddenSize, the value and the memory, not a bare RangeError', () => {
  assert.throws(() => createModel({ cell: 'rnn', inputSize: 1, hiddenSize: 1e6, outputSize: 1, seed: 1 }), /^Error: createModel: hiddenSize: expected a size whose parameters fit in memory, received 1000000 \(2000004000001 parameters of the rnn with inputSize 1, outputSize 1\): needs about 16\.0 TB of memory/);
  assert.throws(() => createModel({ cell: 'lstm', inputSize: 1, hiddenSize: 1e5, outputSize: 1, seed: 1, dtype: 'float32' }), /createModel: hiddenSize: .*received 100000 .*needs about 320 GB/);
});

test('createLearner with no options, null, or the model in the method\'s place: errors naming the argument', () => {
  const model = createModel({ cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1 });
  const call = createLearner as (...a: unknown[]) => unknown;
  for (const method of ['bptt', 'tbptt', 'sg', 'bp-lambda', 'lambda-sg', 'rtrl']) {
    assert.throws(() => call(method, model), new RegExp(`^Error: createLearner: options: expected an object of ${method}'s options, at least \\{ loss \\} .*received undefined$`));
    assert.throws(() => call(method, model, null), /createLearner: options: .*received null$/);
  }
  assert.throws(() => call(model), /^Error: createLearner: method: expected one of "bptt", .*received an object with keys \[cell, readout, synthesiser\]/);
});

test('Rng.int(n) and Rng.int(lo, hi): uniform integers in range, int(n) = int(0, n); bad bounds throw naming the argument, before any draw', async () => {
  const { Rng } = await import('../src/rng.ts');
  const a = new Rng(5);
  const b = new Rng(5);
  for (let i = 0; i < 200; i++) assert.equal(a.int(7), b.int(0, 7));
  const r = new Rng(9);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = r.int(-3, 4);
    assert.ok(Number.isInteger(v) && v >= -3 && v < 4, String(v));
    seen.add(v);
  }
  assert.equal(seen.size, 7, 'every value of [-3, 4) is drawn');
  assert.equal(r.int(5, 6), 5);
  const cases: [unknown[], RegExp][] = [
    [[0], /^Error: Rng\.int: n: expected an integer ≥ 1, received 0$/],
    [[2.5], /^Error: Rng\.int: n: expected a safe integer, received 2\.5$/],
    [[5, 5], /^Error: Rng\.int: expected lo < hi, received lo = 5, hi = 5$/],
    [[6, 2], /^Error: Rng\.int: expected lo < hi, received lo = 6, hi = 2$/],
    [[0, 1.5], /^Error: Rng\.int: hi: expected a safe integer, received 1\.5$/],
    [['1', 3], /^Error: Rng\.int: lo: expected a safe integer, received "1"$/],
    [[0, 2 ** 53], /^Error: Rng\.int: hi: expected a safe integer, received 9007199254740992$/],
    [[NaN], /^Error: Rng\.int: n: expected a safe integer, received NaN$/],
    [[0, 2 ** 32 + 1], /^Error: Rng\.int: expected at most 2\^32 = 4294967296 values \(hi − lo\), received 4294967297 \(lo = 0, hi = 4294967297\)$/],
  ];
  for (const [args, re] of cases) {
    const g = new Rng(3);
    const before = g.getState();
    assert.throws(() => (g.int as (...a: unknown[]) => number)(...args), re, JSON.stringify(args));
    assert.deepEqual(g.getState(), before, 'no number drawn');
  }
});

test('setState(true) on a learner or an optimizer: "received boolean true", not an object', async () => {
  const { Adam, Sgd } = await import('../src/index.ts');
  const model = createModel({ cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1 });
  const targets: [string, { setState(s: unknown): void }][] = [
    ['bptt', createLearner('bptt', model, { loss: 'mse' })],
    ['rtrl', createLearner('rtrl', model, { loss: 'mse' })],
    ['bp-lambda', createLearner('bp-lambda', model, { loss: 'mse', lambda: 0.5, gamma: 0.9 })],
    ['Adam', new Adam({ lr: 0.1 })],
    ['Sgd', new Sgd({ lr: 0.1 })],
  ];
  for (const [name, t] of targets) {
    assert.throws(() => t.setState(true), (e: Error) => /received boolean true$/.test(e.message) && !/received an object/.test(e.message), name);
  }
});

test('an optimizer step on a non-finite gradient throws the exported OptimizerDivergenceError (instanceof works for users)', async () => {
  const { Adam, OptimizerDivergenceError, Tensor } = await import('../src/index.ts');
  const model = createModel({ cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1 });
  const opt = new Adam({ lr: 0.1 });
  const params = model.groups();
  const nan = (group: typeof params.cell) => Object.fromEntries(Object.entries(group).map(([k, t]) => [k, new Tensor(t.shape, new Float64Array(t.data.length).fill(Number.NaN))]));
  assert.throws(() => opt.step(params, { cell: nan(params.cell), readout: null, synthesiser: null } as never), (e: unknown) => e instanceof OptimizerDivergenceError && /not finite/.test((e as Error).message));
});
