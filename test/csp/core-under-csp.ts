/**
 * Runs the core under `node --disallow-code-generation-from-strings` (the Node equivalent of a
 * Content-Security-Policy without 'unsafe-eval'): imports the public entry point, checks that
 * code generation really is blocked, trains a small model online with BP(λ), and checks the
 * summed BP(λ) update against the λ-SG oracle. Exits non-zero on any failure.
 */
import * as core from '../../src/index.ts';

let blocked = false;
try {
  new Function('return 1')();
} catch {
  blocked = true;
}
if (!blocked) throw new Error('csp: code generation from strings is not disallowed: run with --disallow-code-generation-from-strings');

const model = core.createModel({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 2, seed: 1 });
const rng = new core.Rng(2);
const T = 6;
const B = 3;
const x = Array.from({ length: T }, () => Float64Array.from({ length: B * 3 }, () => rng.normal()));
const y = Array.from({ length: T }, (_, t) => (t % 2 ? Float64Array.from({ length: B * 2 }, () => rng.normal()) : null));
const batch: core.SeqBatch = { T, B, inputSize: 3, outputSize: 2, loss: 'mse', x, y };

const learner = core.createLearner('bp-lambda', model, { loss: 'mse', lambda: 0.8, gamma: 0.9, regime: 'per-step', optimizer: new core.Adam({ lr: 1e-2 }) });
let first = 0;
let last = 0;
for (let epoch = 0; epoch < 30; epoch++) {
  const r = core.trainSequence(learner, batch);
  if (epoch === 0) first = r.loss;
  last = r.loss;
}
if (!(last < first)) throw new Error(`csp: BP(λ) did not reduce the loss (${first} → ${last})`);

const fixed = core.createLearner('bp-lambda', model, { loss: 'mse', lambda: 0.8, gamma: 0.9, regime: 'per-sequence' });
const oracle = core.createLearner('lambda-sg', model, { loss: 'mse', lambda: 0.8, gamma: 0.9 });
const a = core.trainSequence(fixed, batch).grads.synthesiser.W.data;
const b = core.trainSequence(oracle, batch).grads.synthesiser.W.data;
let worst = 0;
for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
if (!(worst < 1e-12)) throw new Error(`csp: BP(λ) and λ-SG disagree by ${worst}`);
console.log(`csp: core ran with code generation disallowed: loss ${first.toFixed(4)} → ${last.toFixed(4)}, BP(λ) = λ-SG within ${worst.toExponential(1)}`);
