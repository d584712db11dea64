/**
 * A tour of the public API in a few lines each (`npm run example:api`): batches from arrays with
 * per-example lengths, training with `fit`, inference with `predict` and `Predictor`, saving and
 * resuming a learner in the middle of a stream, and the testing helpers. Each part prints one
 * line; the whole runs in a few seconds. The README's API section explains each call.
 */
import { Adam, createLearner, createModel, fit, makeBatch, modelFromJson, modelToJson, predict, Predictor, Rng, type SeqBatch } from '../src/index.ts';
import { bpttReference, checkLearnerGradients } from '../src/testing.ts';

const rng = new Rng(1);

/** B sequences of T random bits; the target at the last step: was the first bit set? (one-hot) */
function firstBit(B: number, T: number): SeqBatch {
  const x = Array.from({ length: T }, () => Array.from({ length: B }, () => [rng.int(2)]));
  const last = x[0].map(([bit]) => (bit ? [0, 1] : [1, 0]));
  return makeBatch({ x, y: [...Array.from({ length: T - 1 }, () => null), last], loss: 'softmax-ce' });
}

// 1. Batches: nested arrays [T][B][I]; example 1 is 2 steps long, its step t = 2 is padding
const ragged = makeBatch({
  x: [[[1], [0]], [[0], [1]], [[1], [0]]],
  y: [null, [[0], [1]], [[1], [0]]],
  loss: 'mse',
  lengths: [3, 2],
});
console.log(`1. makeBatch: T = ${ragged.T}, B = ${ragged.B}, lengths ${Array.from(ragged.lengths!).join(', ')}`);

// 2. Training: fit, epochs over an array of batches, validation, a metric, a callback that stops early
const model = createModel({ cell: 'lstm', inputSize: 1, hiddenSize: 8, outputSize: 2, seed: 1 });
const learner = createLearner('bp-lambda', model, { loss: 'softmax-ce', lambda: 1, gamma: 1, regime: 'per-step', optimizer: new Adam({ lr: 0.02 }) });
const history = await fit(learner, Array.from({ length: 10 }, () => firstBit(16, 4)), {
  epochs: 15,
  validationData: [firstBit(200, 4)],
  metrics: ['accuracy'],
  callbacks: { onEpochEnd: (_epoch, logs) => logs.val_accuracy < 1 },
});
const acc = history.history.val_accuracy;
console.log(`2. fit: ${acc.length} epochs, validation accuracy ${acc[0].toFixed(3)} → ${acc[acc.length - 1].toFixed(3)}`);

// 3. Inference: a whole sequence, or step by step on a stream keeping the state
const probe = firstBit(4, 4);
const { outputs } = predict(model, probe.x);
const stream = new Predictor(model, 4);
let last: Float64Array | Float32Array = outputs[0];
for (const x of probe.x) last = stream.step(x).output;
console.log(`3. predict and Predictor agree on the last output: ${last.every((v, i) => v === outputs[3][i])}`);

// 4. Save and resume in the middle of a stream: the model as JSON, the learner's state (optimizer included)
const data = firstBit(8, 6);
learner.reset(8);
for (let t = 0; t < 3; t++) learner.step(data.x[t], data.y[t]);
const saved = JSON.stringify({ model: modelToJson(model), learner: learner.getState() });
const restored = JSON.parse(saved);
const twin = createLearner('bp-lambda', modelFromJson(restored.model), { loss: 'softmax-ce', lambda: 1, gamma: 1, regime: 'per-step', optimizer: new Adam({ lr: 0.02 }) });
twin.setState(restored.learner);
let same = true;
for (let t = 3; t < 6; t++) same &&= twin.step(data.x[t], data.y[t], t === 5).loss === learner.step(data.x[t], data.y[t], t === 5).loss;
console.log(`4. resumed from JSON, the next steps are bit-identical: ${same}`);

// 5. Testing helpers: a learner's gradients against finite differences, and BPTT as the reference of RTRL
const small = createModel({ cell: 'gru', inputSize: 1, hiddenSize: 3, outputSize: 2, seed: 5 });
const check = checkLearnerGradients(createLearner('rtrl', small, { loss: 'softmax-ce' }), firstBit(2, 3), { maxEntries: 6 });
const ref = bpttReference(small, firstBit(2, 3));
console.log(`5. RTRL against finite differences: worst error ${check.worst.toExponential(1)} (${check.ok ? 'ok' : 'NOT ok'}); BPTT reference holds ${Object.keys(ref.cell).join(', ')}`);
