import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allParams, assertBoundedStream, caseArb, flat, forEachCell, groupsErr, makeBatch, makeModel, relErr, RUNS, RUNS_PER_CELL, uniformArb, type Case } from '../helpers.ts';
import { BpLambdaLearner } from '../../src/learners/bp-lambda.ts';
import { LambdaSgLearner } from '../../src/learners/lambda-sg.ts';
import { BpttLearner } from '../../src/learners/bptt-learner.ts';
import { NStepSgLearner } from '../../src/learners/nstep-sg.ts';
import { bpttFromTrajectory } from '../../src/learners/bptt.ts';
import { forwardTrajectory } from '../../src/learners/trajectory.ts';
import { trainSequence } from '../../src/learners/index.ts';
import { DivergenceError, type Learner } from '../../src/learners/learner.ts';
import { jacobianToDense } from '../../src/tensor/jacobian.ts';
import { traceUpdate, traceSize } from '../../src/kernels/trace.ts';
import { bpttReference, oracleSynthesiserModel } from '../../src/testing.ts';
import { Sgd } from '../../src/optim/sgd.ts';
import { Adam } from '../../src/optim/adam.ts';
import { Rng } from '../../src/rng.ts';
import type { SeqBatch } from '../../src/data/batch.ts';
import type { Model } from '../../src/model/model.ts';

const unit = uniformArb(0, 1);
const params = fc.record({ lambda: unit, gamma: unit, sgScale: uniformArb(-2, 2), terminal: fc.boolean() });

/** Feeds a batch through a learner; the last step terminal or not. */
function run(learner: Learner, batch: SeqBatch, terminal: boolean) {
  learner.reset(batch.B);
  for (let t = 0; t < batch.T; t++) learner.step(batch.x[t], batch.y[t], terminal && t === batch.T - 1);
  return learner.end();
}

forEachCell((type, kinds) => {
  test(`BP(λ) summed over a sequence equals offline λ-SG (θ, Ψ fixed), for every λ, γ, σ, terminal or cut (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds }), params, (c, p) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const opts = { loss: c.loss, lambda: p.lambda, gamma: p.gamma, sgScale: p.sgScale };
        const online = run(new BpLambdaLearner(m, { ...opts, regime: 'per-sequence' }), batch, p.terminal);
        const oracle = run(new LambdaSgLearner(m, opts), batch, p.terminal);
        assert.ok(groupsErr(online.grads, oracle.grads, undefined, 1e-12) < 1e-9, `relative error ${groupsErr(online.grads, oracle.grads, undefined, 1e-12)}`);
        assert.ok(Math.abs(online.loss - oracle.loss) <= 1e-12 * Math.max(1, Math.abs(oracle.loss)));
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
});

test('λ = γ = 1: the BP(λ) synthesiser gradient is the regression onto the true BPTT future gradient G_t', () => {
  fc.assert(
    fc.property(caseArb(), (c) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      const got = run(new BpLambdaLearner(m, { loss: c.loss, lambda: 1, gamma: 1 }), batch, true).grads.synthesiser;
      // −(1/B)·Σ_b Σ_{t<T} (G_t − g(s_t))·[s_t; 1], G_t = ∂L/∂s_t − ∂L_t/∂s_t from BPTT
      const traj = forwardTrajectory(m, batch);
      const { stateGrads } = bpttFromTrajectory(m, traj);
      const n = m.stateSize;
      const W = new Float64Array(n * n);
      const b = new Float64Array(n);
      const g = new Float64Array(c.B * n);
      for (let t = 0; t < c.T - 1; t++) {
        m.synthesiser.forward(traj.caches[t].s, c.B, g);
        for (let r = 0; r < c.B; r++)
          for (let i = 0; i < n; i++) {
            const G = stateGrads[t][r * n + i] - traj.dLds[t][r * n + i];
            const e = -(G - g[r * n + i]) / c.B;
            for (let l = 0; l < n; l++) W[i * n + l] += e * traj.caches[t].s[r * n + l];
            b[i] += e;
          }
      }
      assert.ok(relErr(got.W.data, W, 1e-12) < 1e-9 && relErr(got.b.data, b, 1e-12) < 1e-9, `W ${relErr(got.W.data, W)} b ${relErr(got.b.data, b)}`);
    }),
    { numRuns: RUNS },
  );
});

test('λ = 0: the trace is exactly ∂g(s_t)/∂θ (the kernel ignores J and the previous trace)', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 5 }), (c) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      const cache = m.cell.createCache(c.B);
      m.cell.forward(batch.x[0], new Float64Array(c.B * m.stateSize).fill(0.3), cache);
      const n = m.stateSize;
      const rng = new Rng(c.seed);
      const Eprev = new Float64Array(c.B * traceSize(n)).map(() => rng.normal());
      const Enext = new Float64Array(c.B * traceSize(n)).fill(NaN);
      traceUpdate(m.cell.jacobian(cache), Eprev, Enext, cache.s, 0);
      for (let r = 0; r < c.B; r++)
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++)
            for (let l = 0; l <= n; l++) {
              const want = i === j ? (l < n ? cache.s[r * n + l] : 1) : 0;
              assert.equal(Enext[r * traceSize(n) + i * n * (n + 1) + j * (n + 1) + l], want);
            }
    }),
    { numRuns: RUNS },
  );
});

test('λ = 0: BP(λ) is one-step TD regression, −(1/B)Σ_t δ_t ⊗ [s_t; 1] with δ_t from the materialised Jacobian', () => {
  fc.assert(
    fc.property(caseArb(), unit, (c, gamma) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      const got = run(new BpLambdaLearner(m, { loss: c.loss, lambda: 0, gamma }), batch, true).grads.synthesiser;
      const traj = forwardTrajectory(m, batch);
      const n = m.stateSize;
      const W = new Float64Array(n * n);
      const b = new Float64Array(n);
      const g = (t: number) => {
        const out = new Float64Array(c.B * n);
        if (t < c.T - 1) m.synthesiser.forward(traj.caches[t].s, c.B, out);
        return out;
      };
      for (let t = 0; t < c.T - 1; t++) {
        const J = jacobianToDense(m.cell.jacobian(traj.caches[t + 1]), new Float64Array(c.B * n * n));
        const gt = g(t);
        const gn = g(t + 1);
        for (let r = 0; r < c.B; r++)
          for (let k = 0; k < n; k++) {
            let d = -gt[r * n + k];
            for (let i = 0; i < n; i++) d += (traj.dLds[t + 1][r * n + i] + gamma * gn[r * n + i]) * J[(r * n + i) * n + k];
            for (let l = 0; l < n; l++) W[k * n + l] -= (d * traj.caches[t].s[r * n + l]) / c.B;
            b[k] -= d / c.B;
          }
      }
      assert.ok(relErr(got.W.data, W, 1e-12) < 1e-9 && relErr(got.b.data, b, 1e-12) < 1e-9);
    }),
    { numRuns: RUNS },
  );
});

forEachCell((type, kinds) => {
  test(`oracle synthesiser: with g(s_t) = G_t (γ = σ = 1) the BP(λ) cell gradient equals BPTT (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds }), (c) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const bp = bpttReference(m, batch);
        const oracle = oracleSynthesiserModel(m, batch);
        const res = run(new BpLambdaLearner(oracle, { loss: c.loss, lambda: 1, gamma: 1, sgScale: 1 }), batch, true);
        for (const k of Object.keys(bp.cell)) assert.ok(relErr(res.grads.cell[k].data, bp.cell[k].data, 1e-12) < 1e-9, `${k}: ${relErr(res.grads.cell[k].data, bp.cell[k].data)}`);
        for (const k of Object.keys(bp.readout)) assert.ok(relErr(res.grads.readout[k].data, bp.readout[k].data, 1e-12) < 1e-12);
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
});

test('per-step BP(λ) approaches per-sequence BP(λ) as the learning rate α → 0 (the gap shrinks ∝ α)', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 3, H: 3, O: 2, B: 2, T: 8, loss: 'mse', seed: 11, targets: 'all' };
  const batch = makeBatch(c);
  const gap = (alpha: number) => {
    const perStep = makeModel(c);
    const perSeq = makeModel(c);
    const before = allParams(perSeq);
    trainSequence(new BpLambdaLearner(perStep, { loss: c.loss, lambda: 0.7, gamma: 0.9, regime: 'per-step', optimizer: new Sgd({ lr: alpha }) }), batch);
    trainSequence(new BpLambdaLearner(perSeq, { loss: c.loss, lambda: 0.7, gamma: 0.9, regime: 'per-sequence', optimizer: new Sgd({ lr: alpha }) }), batch);
    const a = allParams(perStep);
    const b = allParams(perSeq);
    let num = 0;
    let den = 0;
    for (let i = 0; i < a.length; i++) {
      num += (a[i] - b[i]) ** 2;
      den += (b[i] - before[i]) ** 2;
    }
    return Math.sqrt(num / den);
  };
  const g1 = gap(1e-2);
  const g2 = gap(1e-3);
  const g3 = gap(1e-4);
  assert.ok(g1 > 0 && g3 < 1e-3, `gaps ${g1} ${g2} ${g3}`);
  for (const ratio of [g2 / g1, g3 / g2]) assert.ok(ratio > 0.05 && ratio < 0.2, `ratio ${ratio} (gaps ${g1} ${g2} ${g3})`);
});

test('per-step regime: memory does not grow over a 10 000-step stream', { skip: typeof globalThis.gc !== 'function' && 'needs node --expose-gc' }, () => {
  const c: Case = { kind: { cell: 'rnn', activation: 'tanh' }, I: 3, H: 4, O: 2, B: 2, T: 1, loss: 'mse', seed: 3, targets: 'all' };
  const m = makeModel(c, 'float64', 0);
  const learner = new BpLambdaLearner(m, { loss: 'mse', lambda: 0.9, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-3 }) });
  learner.reset(c.B);
  assertBoundedStream(learner, c.B, c.I, c.O);
});

test('invalid options and steps give clear errors and leave the learner unchanged', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 3, O: 2, B: 2, T: 4, loss: 'mse', seed: 5, targets: 'all' };
  const m = makeModel(c);
  const batch = makeBatch(c);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'mse', lambda: 1.5, gamma: 1 }), /lambda: expected a number in \[0, 1\], received 1.5/);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'mse', lambda: 0.5, gamma: -0.1 }), /gamma: expected a number in \[0, 1\], received -0.1/);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'mse', lambda: 0.5, gamma: 1, sgScale: NaN }), /sgScale: expected a finite number, received NaN/);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'mse', lambda: 0.5, gamma: 1, regime: 'sometimes' as never }), /regime: expected one of "per-step", "per-sequence", received "sometimes"/);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'mse', lambda: 0.5, gamma: 1, lamda: 1 } as never), /unknown option "lamda"/);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'l1' as never, lambda: 0.5, gamma: 1 }), /loss: expected one of "mse", "softmax-ce", "sigmoid-bce", received "l1"/);

  const ref = new BpLambdaLearner(makeModel(c), { loss: 'mse', lambda: 0.5, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-2 }) });
  const l = new BpLambdaLearner(m, { loss: 'mse', lambda: 0.5, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-2 }) });
  assert.throws(() => l.step(batch.x[0], batch.y[0]), /no open sequence: call reset\(batchSize\) first/);
  ref.reset(c.B);
  l.reset(c.B);
  for (let t = 0; t < c.T; t++) {
    // a bad step of each kind before every good one: nothing may change
    assert.throws(() => l.step(new Float64Array(3), batch.y[t]), /x \(batch 2 × inputSize 2\): expected length 4, received length 3/);
    assert.throws(() => l.step(batch.x[t], new Float64Array(5)), /y \(batch 2 × outputSize 2\): expected length 4, received length 5/);
    assert.throws(() => l.step(Float64Array.from(batch.x[t], (v, i) => (i === 1 ? NaN : v)), null), /expected finite values, received NaN at index 1/);
    const huge = Float64Array.from(batch.y[t]!, () => 1e300);
    assert.throws(() => l.step(batch.x[t], huge), (e: unknown) => e instanceof DivergenceError && /bp-lambda: training diverged at step \d+: the loss is not finite/.test(e.message));
    const a = l.step(batch.x[t], batch.y[t], t === c.T - 1);
    const b = ref.step(batch.x[t], batch.y[t], t === c.T - 1);
    assert.equal(a.loss, b.loss);
  }
  assert.throws(() => l.step(batch.x[0], null), /already ended at its last step/);
  const ra = l.end();
  const rb = ref.end();
  assert.equal(groupsErr(ra.grads, rb.grads), 0);
  assert.deepEqual(allParams(m), allParams(ref.model));
  assert.throws(() => l.end(), /no open sequence/);
});

test('synthClip rescales each per-step synthesiser gradient to Frobenius norm ≤ clip, keeping its direction', () => {
  const c: Case = { kind: { cell: 'rnn', activation: 'tanh' }, I: 3, H: 4, O: 2, B: 3, T: 6, loss: 'mse', seed: 21, targets: 'all' };
  const batch = makeBatch(c);
  for (const t of batch.y) if (t) for (let i = 0; i < t.length; i++) t[i] *= 50; // large errors, large gradients
  const clip = 0.01;
  const clipped = makeModel(c);
  const free = makeModel(c);
  const lc = new BpLambdaLearner(clipped, { loss: 'mse', lambda: 0.8, gamma: 0.9, synthClip: clip, optimizer: new Sgd({ lr: { cell: 0, readout: 0, synthesiser: 1 } }) });
  const lf = new BpLambdaLearner(free, { loss: 'mse', lambda: 0.8, gamma: 0.9, optimizer: new Sgd({ lr: { cell: 0, readout: 0, synthesiser: 1 } }) });
  lc.reset(c.B);
  lf.reset(c.B);
  let clippedSteps = 0;
  for (let t = 0; t < c.T; t++) {
    const before = clipped.synthesiser.params.W.data.slice();
    const freeBefore = free.synthesiser.params.W.data.slice();
    lc.step(batch.x[t], batch.y[t], t === c.T - 1);
    lf.step(batch.x[t], batch.y[t], t === c.T - 1);
    const d = Float64Array.from(clipped.synthesiser.params.W.data, (v, i) => v - before[i]);
    const norm = Math.hypot(...d);
    assert.ok(norm <= clip * (1 + 1e-12), `step ${t}: ‖ΔW‖ = ${norm}`);
    if (t === 1) {
      // the first TD update: same state in both runs, so the clipped step is the free one rescaled
      const df = Float64Array.from(free.synthesiser.params.W.data, (v, i) => v - freeBefore[i]);
      const nf = Math.hypot(...df);
      assert.ok(nf > clip);
      assert.ok(relErr(d, df.map((v) => (v * clip) / nf)) < 1e-12);
    }
    if (norm > clip * 0.999) clippedSteps++;
  }
  assert.ok(clippedSteps >= 2, `clipped ${clippedSteps} steps`);
  assert.throws(() => new BpLambdaLearner(clipped, { loss: 'mse', lambda: 1, gamma: 1, synthClip: 0 }), /synthClip: expected a finite number > 0, received 0/);
});

test('offline learners stop on a non-finite loss with a DivergenceError and apply nothing: the run equals one that never saw the failed step', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 2, O: 2, B: 2, T: 3, loss: 'mse', seed: 2, targets: 'all' };
  const batch = makeBatch(c);
  const learners: [string, (m: Model) => Learner][] = [
    ['bptt', (m) => new BpttLearner(m, { loss: 'mse', optimizer: new Adam({ lr: 1 }) })],
    ['tbptt', (m) => new BpttLearner(m, { loss: 'mse', truncation: 2, optimizer: new Adam({ lr: 1 }) })],
    ['sg', (m) => new NStepSgLearner(m, { loss: 'mse', truncation: 2, gamma: 1, optimizer: new Adam({ lr: 1 }) })],
    ['lambda-sg', (m) => new LambdaSgLearner(m, { loss: 'mse', lambda: 1, gamma: 1, optimizer: new Adam({ lr: 1 }) })],
  ];
  for (const [method, make] of learners) {
    const failed = makeModel(c);
    const clean = failed.clone();
    const before = allParams(failed);
    const l = make(failed);
    l.reset(c.B);
    l.step(batch.x[0], batch.y[0]);
    assert.throws(() => l.step(batch.x[1], Float64Array.from(batch.y[1]!, () => 1e300)), (e: unknown) => e instanceof DivergenceError && new RegExp(`${method}: training diverged at step 1: the loss or the state is not finite`).test(e.message));
    assert.deepEqual(allParams(failed), before, `${method}: the failed step changed no parameter`);
    l.step(batch.x[1], batch.y[1]);
    l.step(batch.x[2], batch.y[2], true);
    const got = l.end();
    const want = run(make(clean), batch, true);
    assert.equal(got.loss, want.loss, `${method}: the failed step left nothing in the sequence`);
    assert.deepEqual(allParams(failed), allParams(clean), `${method}: the same update as a run without the failed step`);
    assert.notDeepEqual(allParams(failed), before, `${method}: the update was applied`);
  }
});
