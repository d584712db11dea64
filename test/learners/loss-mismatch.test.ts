import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLearner, fit, trainSequence } from '../../src/index.ts';
import { batches, params, setup } from '../fit/fixtures.ts';

/**
 * A batch whose loss is not the learner's is refused before anything trains: its targets were
 * checked for another loss, and training it would silently optimise another objective.
 */
test('trainSequence refuses a batch whose loss differs from the learner\'s, naming both; nothing changes', () => {
  const { model, learner } = setup(1, 'mse');
  const before = params(model);
  const [bce] = batches(1, 3, 'sigmoid-bce');
  assert.throws(() => trainSequence(learner, bce), /^Error: trainSequence: batch\.loss: expected "mse" \(the learner's loss\), received "sigmoid-bce"/);
  assert.deepEqual(params(model), before);
  // the same batch is accepted by a learner created with its loss
  const ok = createLearner('bptt', model, { loss: 'sigmoid-bce' });
  assert.equal(ok.loss, 'sigmoid-bce');
  assert.ok(Number.isFinite(trainSequence(ok, bce).loss));
});

test('fit refuses training and validation batches whose loss differs from the learner\'s; nothing changes', async () => {
  const { model, learner } = setup(1, 'mse');
  const before = params(model);
  await assert.rejects(fit(learner, batches(2, 3, 'softmax-ce'), { epochs: 1 }), /fit: data \(epoch 1\) batch\[0\]\.loss: expected "mse" \(the learner's loss\), received "softmax-ce"/);
  assert.deepEqual(params(model), before);
  await assert.rejects(fit(learner, batches(2, 3, 'mse'), { epochs: 1, validationData: batches(1, 4, 'sigmoid-bce') }), /fit: options\.validationData: batch\[0\]\.loss: expected "mse" \(the learner's loss\), received "sigmoid-bce"/);
});
