import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBatch, makeModel, relErr, type Case } from '../helpers.ts';
import { BpLambdaLearner, type BpLambdaOptions } from '../../src/learners/bp-lambda.ts';
import type { Learner } from '../../src/learners/learner.ts';
import type { SeqBatch } from '../../src/data/batch.ts';
import { Sgd } from '../../src/optim/sgd.ts';

const c: Case = { kind: { cell: 'lstm' }, I: 3, H: 3, O: 2, B: 3, T: 7, loss: 'mse', seed: 5, targets: 'all' };

/** The synthesiser gradient (W then b) of the first `steps` steps, the last one terminal when `terminal`. */
function synthGrads(learner: Learner, batch: SeqBatch, steps: number, terminal: boolean): Float64Array[] {
  learner.reset(batch.B);
  for (let t = 0; t < steps; t++) learner.step(batch.x[t], batch.y[t], terminal && t === steps - 1);
  const g = learner.end().grads.synthesiser;
  return [Float64Array.from(g.W.data), Float64Array.from(g.b.data)];
}

/** v rescaled to Frobenius norm ≤ c (the oracle of the clip). */
function clipped(v: Float64Array, c: number): Float64Array {
  const norm = Math.hypot(...v);
  return norm > c ? v.map((x) => (x * c) / norm) : v;
}

for (const computation of ['traces', 'blocked'] as const) {
  const extra: Partial<BpLambdaOptions> = computation === 'blocked' ? { computation, traceWindow: 2 } : { computation };
  const opts = { loss: c.loss, lambda: 0.7, gamma: 0.9, ...extra };

  test(`synthClip, per-sequence regime (${computation}): the update is the sum of the clipped per-step contributions`, () => {
    const batch = makeBatch(c);
    for (const t of batch.y) if (t) for (let i = 0; i < t.length; i++) t[i] *= 20; // large TD errors
    const free = (m = makeModel(c)) => new BpLambdaLearner(m, { ...opts, regime: 'per-sequence' });
    // each step's contribution, with θ fixed: the differences of the sums over longer and longer prefixes
    // (a prefix cut before the end bootstraps its last TD error from g(s_k), as the whole sequence does there)
    const sums = Array.from({ length: c.T }, (_, k) => synthGrads(free(), batch, k + 1, k === c.T - 1));
    const clip = 0.05;
    const want = [new Float64Array(sums[0][0].length), new Float64Array(sums[0][1].length)];
    let active = 0;
    for (let t = 1; t < c.T; t++) {
      for (const k of [0, 1]) {
        const step = sums[t][k].map((v, i) => v - sums[t - 1][k][i]);
        if (Math.hypot(...step) > clip) active++;
        clipped(step, clip).forEach((v, i) => (want[k][i] += v));
      }
    }
    assert.ok(active >= 4, `the clip acts on ${active} tensor-steps`);
    const got = synthGrads(new BpLambdaLearner(makeModel(c), { ...opts, regime: 'per-sequence', synthClip: clip }), batch, c.T, true);
    assert.ok(relErr(got[0], want[0]) < 1e-9 && relErr(got[1], want[1]) < 1e-9, `W ${relErr(got[0], want[0])}, b ${relErr(got[1], want[1])}`);
    // a clip above every contribution changes nothing, to the bit
    const loose = synthGrads(new BpLambdaLearner(makeModel(c), { ...opts, regime: 'per-sequence', synthClip: 1e9 }), batch, c.T, true);
    assert.deepEqual(loose, sums[c.T - 1]);
  });

  test(`synthClip, per-step regime (${computation}): every step moves each synthesiser tensor by at most the clip`, () => {
    const batch = makeBatch(c);
    for (const t of batch.y) if (t) for (let i = 0; i < t.length; i++) t[i] *= 20;
    const clip = 0.02;
    const model = makeModel(c);
    const l = new BpLambdaLearner(model, { ...opts, regime: 'per-step', synthClip: clip, optimizer: new Sgd({ lr: { cell: 0, readout: 0, synthesiser: 1 } }) });
    l.reset(c.B);
    let atClip = 0;
    for (let t = 0; t < c.T; t++) {
      const before = Object.values(model.synthesiser.params).map((p) => Float64Array.from(p.data));
      l.step(batch.x[t], batch.y[t], t === c.T - 1);
      Object.values(model.synthesiser.params).forEach((p, k) => {
        const norm = Math.hypot(...p.data.map((v, i) => v - before[k][i]));
        assert.ok(norm <= clip * (1 + 1e-12), `step ${t}: ‖Δ‖ = ${norm}`);
        if (norm > clip * 0.999) atClip++;
      });
    }
    l.end();
    assert.ok(atClip >= 4, `${atClip} tensor-steps at the clip`);
  });
}
