import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allParams, assertBoundedStream, caseArb, makeBatch, makeModel, relErr, RUNS, type Case } from '../helpers.ts';
import { BpLambdaLearner, type BpLambdaOptions } from '../../src/learners/bp-lambda.ts';
import type { ModelGroups } from '../../src/model/model.ts';
import type { Optimizer, StepGrads } from '../../src/optim/optimizer.ts';
import { Adam } from '../../src/optim/adam.ts';
import { createModel } from '../../src/model/model.ts';
import { RtrlLearner, type RtrlOptions } from '../../src/learners/rtrl.ts';
import { BlockedScratch, StepWindow } from '../../src/kernels/blocked-trace.ts';
import { bpttFromTrajectory } from '../../src/learners/bptt.ts';
import { forwardTrajectory } from '../../src/learners/trajectory.ts';

/**
 * "Blocked traces equal traces": the blocked computation (a folded trace and a window,
 * docs/MATH.md §4.6) against the trace recursion e_t = γλ·J_t·e_{t−1} + ∂g(s_t)/∂θ, for every
 * cell, with windows shorter than, equal to and longer than the sequence.
 */

/** An optimizer that changes nothing and records every step's synthesiser gradient (δ_t·e_t). */
function recorder(): Optimizer & { steps: number[][] } {
  const steps: number[][] = [];
  return {
    steps,
    step(_params: ModelGroups, grads: StepGrads) {
      // null: no synthesiser gradient at this step (the first one)
      steps.push(grads.synthesiser === null ? [] : [...grads.synthesiser.W.data, ...grads.synthesiser.b.data]);
    },
  } as Optimizer & { steps: number[][] };
}

// λ and γ away from 0 most of the time (where old steps matter), and exactly 0 and 1
const unit = fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0.3, max: 1, noNaN: true }), fc.double({ min: 0.3, max: 1, noNaN: true }));
const settings = fc.record({
  lambda: unit,
  gamma: unit,
  window: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 18 })),
  terminal: fc.boolean(),
});

function run(c: Case, opts: Omit<BpLambdaOptions, 'loss'>, terminal: boolean) {
  const model = makeModel(c);
  const batch = makeBatch(c);
  const learner = new BpLambdaLearner(model, { loss: c.loss, ...opts });
  learner.reset(c.B);
  for (let t = 0; t < c.T; t++) learner.step(batch.x[t], batch.y[t], terminal && t === c.T - 1);
  return { model, result: learner.end() };
}

test('blocked = traces: δ_t·e_t at every step (K = 1, K < T, K ≥ T; terminal and cut sequences)', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 5, maxT: 16 }), settings, (c, s) => {
      const a = recorder();
      const b = recorder();
      run(c, { lambda: s.lambda, gamma: s.gamma, optimizer: a, computation: 'traces' }, s.terminal);
      run(c, { lambda: s.lambda, gamma: s.gamma, optimizer: b, computation: 'blocked', traceWindow: s.window }, s.terminal);
      assert.equal(b.steps.length, a.steps.length);
      for (let t = 0; t < a.steps.length; t++) {
        const err = relErr(b.steps[t], a.steps[t], 1e-12);
        assert.ok(err < 1e-10, `step ${t}: relative error ${err} (K = ${s.window}, T = ${c.T})`);
      }
    }),
    { numRuns: RUNS },
  );
});

test('blocked = traces: per-step Adam updates of θ and Ψ at every step give the same parameters', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 5, maxT: 14 }), settings, (c, s) => {
      const opts = (computation: 'traces' | 'blocked') => ({
        lambda: s.lambda,
        gamma: s.gamma,
        regime: 'per-step' as const,
        synthClip: 0.5,
        optimizer: new Adam({ lr: { cell: 1e-2, readout: 1e-2, synthesiser: 1e-2 } }),
        computation,
        ...(computation === 'blocked' ? { traceWindow: s.window } : {}),
      });
      const a = run(c, opts('traces'), s.terminal);
      const b = run(c, opts('blocked'), s.terminal);
      const err = relErr(allParams(b.model), allParams(a.model), 1e-12);
      assert.ok(err < 1e-9, `parameters differ by ${err} (K = ${s.window}, T = ${c.T})`);
    }),
    { numRuns: RUNS },
  );
});

test('blocked = traces on a stream crossing many folds (K = 3, 60 steps, LSTM)', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 3, O: 2, B: 2, T: 60, loss: 'mse', seed: 11, targets: 'mixed' };
  const a = recorder();
  const b = recorder();
  run(c, { lambda: 0.9, gamma: 0.95, optimizer: a, computation: 'traces' }, false);
  run(c, { lambda: 0.9, gamma: 0.95, optimizer: b, computation: 'blocked', traceWindow: 3 }, false);
  for (let t = 0; t < a.steps.length; t++) assert.ok(relErr(b.steps[t], a.steps[t], 1e-12) < 1e-10, `step ${t}`);
});

test('blocked: options are checked', () => {
  const c: Case = { kind: { cell: 'rnn', activation: 'tanh' }, I: 2, H: 3, O: 2, B: 2, T: 3, loss: 'mse', seed: 1, targets: 'all' };
  const m = makeModel(c);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'mse', lambda: 1, gamma: 1, computation: 'blocked', traceWindow: 0 }), /traceWindow: expected an integer ≥ 1, received 0/);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'mse', lambda: 1, gamma: 1, computation: 'traces', traceWindow: 4 }), /traceWindow: applies to computation "blocked" only/);
  assert.throws(() => new BpLambdaLearner(m, { loss: 'mse', lambda: 1, gamma: 1, computation: 'fast' as never }), /computation: expected one of "traces", "blocked", received "fast"/);
});

test('blocked, per-step regime: memory does not grow over a 10 000-step stream', { skip: typeof globalThis.gc !== 'function' && 'needs node --expose-gc' }, () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 3, H: 3, O: 2, B: 2, T: 1, loss: 'mse', seed: 3, targets: 'all' };
  const m = makeModel(c, 'float64', 0);
  const learner = new BpLambdaLearner(m, { loss: 'mse', lambda: 0.9, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-3 }), computation: 'blocked', traceWindow: 7 });
  learner.reset(c.B);
  assertBoundedStream(learner, c.B, c.I, c.O);
});

/** An optimizer that changes nothing and records every step's cell gradient. */
function cellRecorder(): Optimizer & { steps: number[][] } {
  const steps: number[][] = [];
  return {
    steps,
    step(_params: ModelGroups, grads: StepGrads) {
      steps.push(grads.cell === null ? [] : Object.values(grads.cell).flatMap((t) => Array.from(t.data)));
    },
  } as Optimizer & { steps: number[][] };
}

function runRtrl(c: Case, opts: Omit<RtrlOptions, 'loss'>, terminal: boolean) {
  const model = makeModel(c);
  const batch = makeBatch(c);
  const learner = new RtrlLearner(model, { loss: c.loss, ...opts });
  learner.reset(c.B);
  for (let t = 0; t < c.T; t++) learner.step(batch.x[t], batch.y[t], terminal && t === c.T - 1);
  return { model, result: learner.end() };
}

test('blocked RTRL = RTRL: (1/B)·Σ_b ∂L_t/∂s_t·M_t at every step (K = 1, K < T, K ≥ T)', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 4, maxT: 12 }), fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 14 })), fc.boolean(), (c, K, terminal) => {
      const a = cellRecorder();
      const b = cellRecorder();
      runRtrl(c, { optimizer: a }, terminal);
      runRtrl(c, { optimizer: b, computation: 'blocked', traceWindow: K }, terminal);
      assert.equal(b.steps.length, a.steps.length);
      for (let t = 0; t < a.steps.length; t++) assert.ok(relErr(b.steps[t], a.steps[t], 1e-12) < 1e-10, `step ${t}: ${relErr(b.steps[t], a.steps[t], 1e-12)} (K = ${K}, T = ${c.T})`);
    }),
    { numRuns: RUNS },
  );
});

test('blocked RTRL = BPTT summed over a sequence, and per-step Adam updates match plain RTRL', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 4, maxT: 10 }), fc.integer({ min: 1, max: 6 }), (c, K) => {
      const model = makeModel(c);
      const batch = makeBatch(c);
      const want = bpttFromTrajectory(model, forwardTrajectory(model, batch)).cell;
      const got = runRtrl(c, { computation: 'blocked', traceWindow: K, regime: 'per-sequence' }, true).result.grads.cell;
      for (const k of Object.keys(want)) assert.ok(relErr(got[k].data, want[k].data, 1e-12) < 1e-10, k);
      const adam = () => new Adam({ lr: 1e-2 });
      const p1 = allParams(runRtrl(c, { optimizer: adam() }, true).model);
      const p2 = allParams(runRtrl(c, { optimizer: adam(), computation: 'blocked', traceWindow: K }, true).model);
      assert.ok(relErr(p2, p1, 1e-12) < 1e-9);
    }),
    { numRuns: RUNS },
  );
});

test('the default computation: blocked, except float32 states below n = 48 (BP(λ)); blocked from n = 32 (RTRL)', () => {
  const make = (H: number, dtype: 'float64' | 'float32') => createModel({ cell: 'lstm', inputSize: 2, hiddenSize: H, outputSize: 2, seed: 1, dtype });
  assert.equal(new BpLambdaLearner(make(4, 'float64'), { loss: 'mse', lambda: 1, gamma: 1 }).trace.computation, 'blocked');
  assert.equal(new BpLambdaLearner(make(4, 'float32'), { loss: 'mse', lambda: 1, gamma: 1 }).trace.computation, 'traces');
  assert.equal(new BpLambdaLearner(make(24, 'float32'), { loss: 'mse', lambda: 1, gamma: 1 }).trace.computation, 'blocked');
  assert.equal(new RtrlLearner(make(8, 'float64'), { loss: 'mse' }).influence.computation, 'traces');
  assert.equal(new RtrlLearner(make(16, 'float64'), { loss: 'mse' }).influence.computation, 'blocked');
});

test('blocked: the window allocates its slots as steps arrive (K = 10⁹ holds as many slots as steps, reused across sequences)', () => {
  let made = 0;
  const w = new StepWindow<Float64Array>(1e9, 2, 3, () => {
    made++;
    return new Float64Array(8);
  });
  assert.equal(made, 0);
  const J = { kind: 'dense' as const, batch: 2, n: 3, data: new Float64Array(18) };
  for (let t = 0; t < 5; t++) {
    w.stage(J, (a) => a.fill(t));
    w.commitAppend();
  }
  assert.equal(made, 5);
  assert.deepEqual(Array.from({ length: 5 }, (_, k) => w.local(k)[0]), [0, 1, 2, 3, 4]);
  w.clear();
  for (let t = 0; t < 3; t++) {
    w.stage(J, (a) => a.fill(10 + t));
    w.commitAppend();
  }
  assert.equal(made, 5, 'a new sequence reuses the slots');
  // a window of capacity K folds at K: K + 1 slots, then the ring turns without growing
  const small = new StepWindow<Float64Array>(2, 2, 3, () => {
    made++;
    return new Float64Array(8);
  });
  made = 0;
  for (let t = 0; t < 6; t++) {
    small.stage(J, (a) => a.fill(t));
    if (small.length === 2) small.commitAfterFold();
    else small.commitAppend();
  }
  assert.equal(made, 3);
  assert.equal(small.length, 2);
  assert.deepEqual([small.local(0)[0], small.local(1)[0]], [4, 5]);
});

test('blocked: traceWindow 10⁹ (never folds within a sequence) trains, with the numbers of a window as long as the sequence (BP(λ), RTRL)', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 3, O: 2, B: 3, T: 12, loss: 'mse', seed: 5, targets: 'mixed' };
  const a = recorder();
  const b = recorder();
  run(c, { lambda: 0.8, gamma: 0.9, optimizer: a, computation: 'blocked', traceWindow: c.T }, true);
  run(c, { lambda: 0.8, gamma: 0.9, optimizer: b, computation: 'blocked', traceWindow: 1e9 }, true);
  assert.deepEqual(b.steps, a.steps);
  const ra = cellRecorder();
  const rb = cellRecorder();
  runRtrl(c, { optimizer: ra, computation: 'blocked', traceWindow: c.T }, true);
  runRtrl(c, { optimizer: rb, computation: 'blocked', traceWindow: 1e9 }, true);
  assert.deepEqual(rb.steps, ra.steps);
  // and its saved state resumes bit for bit
  const model = makeModel(c);
  const batch = makeBatch(c);
  const l1 = new BpLambdaLearner(model, { loss: c.loss, lambda: 0.8, gamma: 0.9, computation: 'blocked', traceWindow: 1e9 });
  l1.reset(c.B);
  for (let t = 0; t < 5; t++) l1.step(batch.x[t], batch.y[t]);
  const l2 = new BpLambdaLearner(makeModel(c), { loss: c.loss, lambda: 0.8, gamma: 0.9, computation: 'blocked', traceWindow: 1e9 });
  l2.setState(JSON.parse(JSON.stringify(l1.getState())));
  for (let t = 5; t < c.T; t++) for (const l of [l1, l2]) l.step(batch.x[t], batch.y[t], t === c.T - 1);
  assert.deepEqual(Object.values(l2.end().grads.synthesiser).map((g) => Array.from(g.data)), Object.values(l1.end().grads.synthesiser).map((g) => Array.from(g.data)));
});

test('blocked: scratch that cannot be allocated fails with an error naming traceWindow', () => {
  const ws = new BlockedScratch('float64', 1e9);
  assert.throws(() => ws.get('V', 2 ** 53), /traceWindow 1000000000: the blocked computation holds up to K steps between folds, and its scratch "V" of 9007199254740992 values could not be allocated \(.*\): use a smaller traceWindow/);
});
