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
