import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreBatch, targetEntries } from '../../src/experiments/evaluate.ts';
import { makeBatch } from '../../src/data/make-batch.ts';
import { createModel } from '../../src/model/model.ts';

test('scoreBatch and targetEntries count only each example\'s own steps (padding past its length is not scored)', () => {
  const model = createModel({ cell: 'gru', inputSize: 1, hiddenSize: 3, outputSize: 2, seed: 2 });
  // example 0 has 3 steps, example 1 has 2: its target at t = 2 is padding
  const x = [[[1], [0.5]], [[0], [1]], [[1], [0]]];
  const y = [null, [[1, 0], [0, 1]], [[0, 1], [1, 0]]];
  const masked = makeBatch({ x, y, loss: 'softmax-ce', lengths: [3, 2] });
  assert.equal(targetEntries(masked), 3);
  assert.equal(targetEntries(makeBatch({ x, y, loss: 'softmax-ce' })), 4);
  // the oracle: each example alone, with its own length
  const alone = [
    makeBatch({ x: x.map((r) => [r[0]]), y: y.map((r) => (r === null ? null : [r[0]])), loss: 'softmax-ce' }),
    makeBatch({ x: x.slice(0, 2).map((r) => [r[1]]), y: y.slice(0, 2).map((r) => (r === null ? null : [r[1]])), loss: 'softmax-ce' }),
  ];
  const parts = alone.map((b) => scoreBatch(model, b));
  const got = scoreBatch(model, masked);
  assert.equal(got.targets, parts[0].targets + parts[1].targets);
  assert.equal(got.correct, parts[0].correct + parts[1].correct);
  assert.ok(Math.abs(got.loss - (parts[0].loss + parts[1].loss) / 2) < 1e-15, `loss ${got.loss}`);
});
