import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allParams, caseArb, forEachCell, groupsErr, makeBatch, makeModel, relErr, RUNS, RUNS_PER_CELL, uniformArb, type Case } from '../helpers.ts';
import { createLearner, trainSequence } from '../../src/learners/index.ts';
import { gradientAlignment } from '../../src/learners/alignment.ts';
import type { Learner, SequenceResult } from '../../src/learners/learner.ts';
import { perExampleReference } from '../../src/testing.ts';
import type { Model, ModelGroups } from '../../src/model/model.ts';
import type { Optimizer, StepGrads } from '../../src/optim/optimizer.ts';
import { Adam } from '../../src/optim/adam.ts';
import { Rng } from '../../src/rng.ts';
import type { SeqBatch } from '../../src/data/batch.ts';
import type { Arr } from '../../src/tensor/dtype.ts';

/**
 * Variable-length sequences and per-example episode ends. The oracle is independent of the
 * masked code path: every example runs alone (a batch of one, no flags), episode by episode,
 * and the batch's gradients are (1/B)·Σ of theirs (perExampleReference, bp-lambda/testing).
 */

/** Per-example flags of every step, and whether the last step is terminal for the whole batch. */
interface Schedule {
  active: Uint8Array[];
  terminal: Uint8Array[];
  last: boolean;
}

function randomSchedule(c: Case, seed: number, pActive: number, pTerminal: number, last: boolean): Schedule {
  const rng = new Rng(seed);
  const active: Uint8Array[] = [];
  const terminal: Uint8Array[] = [];
  for (let t = 0; t < c.T; t++) {
    const a = Uint8Array.from({ length: c.B }, () => (rng.next() < pActive ? 1 : 0));
    active.push(a);
    terminal.push(Uint8Array.from(a, (v) => (v && rng.next() < pTerminal ? 1 : 0)));
  }
  return { active, terminal, last };
}

const scheduleArb = fc.record({ seed: fc.integer({ min: 0, max: 2 ** 30 }), pActive: fc.constantFrom(1, 0.8, 0.5), pTerminal: fc.constantFrom(0, 0.15, 0.4), last: fc.boolean() });

function runMasked(learner: Learner, batch: SeqBatch, s: Schedule): SequenceResult {
  learner.reset(batch.B);
  for (let t = 0; t < batch.T; t++) learner.step(batch.x[t], batch.y[t], s.last && t === batch.T - 1, { active: s.active[t], terminal: s.terminal[t] });
  return learner.end();
}

function row(a: Arr, b: number, width: number): Arr {
  return a.slice(b * width, (b + 1) * width) as Arr;
}

/** Every example alone, episode by episode (bp-lambda/testing's reference for masked batches). */
function perExampleOracle(make: () => Learner, _model: Model, batch: SeqBatch, s: Schedule) {
  return perExampleReference(make, batch, s.active.map((active, t) => ({ active, terminal: s.terminal[t] })), s.last);
}

type Maker = (m: Model, c: Case) => Learner;
const METHODS: Record<string, Maker> = {
  bptt: (m, c) => createLearner('bptt', m, { loss: c.loss }),
  'tbptt(2)': (m, c) => createLearner('tbptt', m, { loss: c.loss, truncation: 2 }),
  'sg(3)': (m, c) => createLearner('sg', m, { loss: c.loss, truncation: 3, gamma: 0.8, sgScale: 0.7 }),
  'lambda-sg': (m, c) => createLearner('lambda-sg', m, { loss: c.loss, lambda: 0.6, gamma: 0.9, sgScale: -0.5 }),
  'bp-lambda traces': (m, c) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.6, gamma: 0.9, sgScale: -0.5, regime: 'per-sequence' }),
  'bp-lambda blocked K=2': (m, c) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.6, gamma: 0.9, sgScale: -0.5, regime: 'per-sequence', computation: 'blocked', traceWindow: 2 }),
  'bp-lambda blocked λ=0': (m, c) => createLearner('bp-lambda', m, { loss: c.loss, lambda: 0, gamma: 0.9, regime: 'per-sequence', computation: 'blocked', traceWindow: 1 }),
  'rtrl traces': (m, c) => createLearner('rtrl', m, { loss: c.loss, regime: 'per-sequence' }),
  'rtrl blocked K=3': (m, c) => createLearner('rtrl', m, { loss: c.loss, regime: 'per-sequence', computation: 'blocked', traceWindow: 3 }),
};

for (const [name, make] of Object.entries(METHODS)) {
  test(`masks and episode ends: a masked batch equals each example run alone (${name})`, () => {
    fc.assert(
      fc.property(caseArb({ maxH: 4, maxT: 9 }), scheduleArb, (c, sa) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const s = randomSchedule(c, sa.seed, sa.pActive, sa.pTerminal, sa.last);
        const got = runMasked(make(m, c), batch, s);
        const want = perExampleOracle(() => make(m, c), m, batch, s);
        const err = groupsErr(got.grads, want.grads, undefined, 1e-12);
        assert.ok(err < 1e-9, `relative error ${err}`);
        assert.ok(Math.abs(got.loss - want.loss) <= 1e-12 * Math.max(1, Math.abs(want.loss)), `loss ${got.loss} vs ${want.loss}`);
      }),
      { numRuns: RUNS },
    );
  });
}

forEachCell((type, kinds) => {
  test(`with masks and episode ends, BP(λ) summed = λ-SG and RTRL = BPTT, both computations (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds, maxH: 4, maxT: 10 }), scheduleArb, uniformArb(0, 1), uniformArb(0, 1), fc.integer({ min: 1, max: 5 }), (c, sa, lambda, gamma, K) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const s = randomSchedule(c, sa.seed, sa.pActive, sa.pTerminal, sa.last);
        const opts = { loss: c.loss, lambda, gamma, sgScale: 0.5 };
        const oracle = runMasked(createLearner('lambda-sg', m, opts), batch, s);
        for (const computation of ['traces', 'blocked'] as const) {
          const extra = computation === 'blocked' ? { computation, traceWindow: K } : {};
          const bp = runMasked(createLearner('bp-lambda', m, { ...opts, regime: 'per-sequence', ...extra }), batch, s);
          assert.ok(groupsErr(bp.grads, oracle.grads, undefined, 1e-12) < 1e-9, `bp-lambda ${computation}: ${groupsErr(bp.grads, oracle.grads, undefined, 1e-12)}`);
          const rtrl = runMasked(createLearner('rtrl', m, { loss: c.loss, regime: 'per-sequence', ...extra }), batch, s);
          const bptt = runMasked(createLearner('bptt', m, { loss: c.loss }), batch, s);
          assert.ok(groupsErr(rtrl.grads, bptt.grads, ['cell', 'readout'], 1e-12) < 1e-9, `rtrl ${computation}: ${groupsErr(rtrl.grads, bptt.grads, ['cell', 'readout'], 1e-12)}`);
        }
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
});

/** An optimizer that changes nothing and records every step's gradients. */
function recorder(): Optimizer & { steps: number[][] } {
  const steps: number[][] = [];
  return {
    name: 'recorder',
    steps,
    step(_p: ModelGroups, g: StepGrads) {
      steps.push([g.cell, g.synthesiser].flatMap((group) => (group === null ? [] : Object.values(group).flatMap((t) => Array.from(t.data)))));
    },
    getState: () => ({}),
    setState() {},
  };
}

test('with masks and episode ends, blocked = traces at every step (BP(λ) and RTRL, K = 1 … 6, c = 0 included)', () => {
  const lambdaArb = fc.oneof(fc.constant(0), fc.constant(1), uniformArb(0.3, 1));
  fc.assert(
    fc.property(caseArb({ maxH: 4, maxT: 14 }), scheduleArb, lambdaArb, fc.integer({ min: 1, max: 6 }), (c, sa, lambda, K) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      const s = randomSchedule(c, sa.seed, sa.pActive, sa.pTerminal, sa.last);
      for (const method of ['bp-lambda', 'rtrl'] as const) {
        const [a, b] = [recorder(), recorder()];
        const base = { loss: c.loss, lambda, gamma: 0.9 };
        const opts = method === 'rtrl' ? { loss: c.loss } : base;
        runMasked(createLearner(method, m, { ...opts, optimizer: a } as never), batch, s);
        runMasked(createLearner(method, m, { ...opts, optimizer: b, computation: 'blocked', traceWindow: K } as never), batch, s);
        assert.equal(b.steps.length, a.steps.length);
        for (let t = 0; t < a.steps.length; t++) assert.ok(relErr(b.steps[t], a.steps[t], 1e-12) < 1e-10, `${method} step ${t}: ${relErr(b.steps[t], a.steps[t], 1e-12)} (K = ${K})`);
      }
    }),
    { numRuns: RUNS },
  );
});

test('with masks, per-step Adam: blocked and traces give the same parameters', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 4, maxT: 12 }), scheduleArb, fc.integer({ min: 1, max: 5 }), (c, sa, K) => {
      const s = randomSchedule(c, sa.seed, sa.pActive, sa.pTerminal, sa.last);
      const params = (computation: 'traces' | 'blocked') => {
        const m = makeModel(c);
        const extra = computation === 'blocked' ? { computation, traceWindow: K } : {};
        runMasked(createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.8, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-2 }), ...extra }), makeBatch(c), s);
        return allParams(m);
      };
      assert.ok(relErr(params('blocked'), params('traces'), 1e-12) < 1e-9);
    }),
    { numRuns: RUNS },
  );
});

/** A batch with per-example lengths (the padding past each length filled with NaN: it must not be read). */
function withLengths(batch: SeqBatch, seed: number): SeqBatch {
  const rng = new Rng(seed);
  const lengths: number[] = Array.from({ length: batch.B }, () => 1 + rng.int(batch.T));
  const pad = (a: Arr | null, width: number) => {
    if (a === null) return null;
    const out = a.slice() as Arr;
    for (let b = 0; b < batch.B; b++) if (rng.next() < 0.5) out.fill(NaN, b * width, (b + 1) * width);
    return out;
  };
  return {
    ...batch,
    lengths,
    x: batch.x.map((x, t) => (t >= Math.min(...lengths) ? maskPadding(pad(x, batch.inputSize)!, lengths, t, batch.inputSize, x) : x)),
    y: batch.y.map((y, t) => (y === null || t < Math.min(...lengths) ? y : maskPadding(pad(y, batch.outputSize)!, lengths, t, batch.outputSize, y))),
  };
}

/** Rows of examples still running at t keep their values; padded rows keep what `padded` holds. */
function maskPadding(padded: Arr, lengths: number[], t: number, width: number, original: Arr): Arr {
  for (let b = 0; b < lengths.length; b++) if (t < lengths[b]) padded.set(original.subarray(b * width, (b + 1) * width), b * width);
  return padded;
}

test('trainSequence with lengths: each example alone with its own length; NaN padding is never read', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 4, maxT: 8 }), fc.integer({ min: 0, max: 2 ** 30 }), fc.constantFrom(...Object.keys(METHODS)), (c, seed, name) => {
      const m = makeModel(c);
      const batch = withLengths(makeBatch(c), seed);
      const got = trainSequence(METHODS[name](m, c), batch);
      const s: Schedule = {
        active: batch.x.map((_, t) => Uint8Array.from(batch.lengths!, (L) => (t < L ? 1 : 0))),
        terminal: batch.x.map((_, t) => Uint8Array.from(batch.lengths!, (L) => (t === L - 1 ? 1 : 0))),
        last: true,
      };
      const want = perExampleOracle(() => METHODS[name](m, c), m, batch, s);
      assert.ok(groupsErr(got.grads, want.grads, undefined, 1e-12) < 1e-9, `${name}: ${groupsErr(got.grads, want.grads, undefined, 1e-12)}`);
    }),
    { numRuns: RUNS },
  );
});

test('gradientAlignment with lengths: each example counts over its own steps', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 4, maxT: 8 }), fc.integer({ min: 0, max: 2 ** 30 }), (c, seed) => {
      const m = makeModel(c);
      const batch = withLengths(makeBatch(c), seed);
      const got = gradientAlignment(m, batch);
      const alone = Array.from(batch.lengths!, (L, b) => {
        const one: SeqBatch = { T: L, B: 1, inputSize: c.I, outputSize: c.O, loss: c.loss, x: batch.x.slice(0, L).map((x) => row(x, b, c.I)), y: batch.y.slice(0, L).map((y) => (y === null ? null : row(y, b, c.O))) };
        return gradientAlignment(m, one);
      });
      for (let t = 0; t < c.T - 1; t++) {
        const counted = alone.filter((a) => t < a.perStep.length).map((a) => a.perStep[t]);
        const want = counted.length ? counted.reduce((p, v) => p + v, 0) / counted.length : 0;
        assert.ok(Math.abs(got.perStep[t] - want) < 1e-12, `step ${t}: ${got.perStep[t]} vs ${want}`);
      }
      const examples = alone.filter((a) => a.perStep.length > 0);
      const whole = examples.length ? examples.reduce((p, a) => p + a.whole, 0) / examples.length : 0;
      assert.ok(Math.abs(got.whole - whole) < 1e-12, `whole ${got.whole} vs ${whole}`);
    }),
    { numRuns: RUNS },
  );
});

test('step options are checked, a bad masked step changes nothing, and an all-active mask is the unmasked step', () => {
  const c: Case = { kind: { cell: 'gru' }, I: 2, H: 3, O: 2, B: 3, T: 5, loss: 'softmax-ce', seed: 9, targets: 'all' };
  const batch = makeBatch(c);
  const m = makeModel(c);
  const l = createLearner('bp-lambda', m, { loss: c.loss, lambda: 0.7, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-2 }) });
  l.reset(c.B);
  const bad: [unknown, RegExp][] = [
    [{ active: [1, 1] }, /bp-lambda\.step: options\.active: expected length 3 \(the batch size\), received length 2/],
    [{ active: [1, 2, 1] }, /options\.active\[1\]: expected a boolean or 0\/1, received 2/],
    [{ active: 'yes' }, /options\.active: expected an array of 3 booleans \(or 0\/1\), one per example, received "yes"/],
    [{ terminal: [true, false, null] }, /options\.terminal\[2\]: expected a boolean or 0\/1, received null/],
    [{ active: [1, 0, 1], terminal: [0, 1, 0] }, /options\.terminal\[1\]: example 1 sits this step out/],
    [{ mask: [1, 1, 1] }, /options: unknown option "mask"/],
    [[1, 1, 1], /options: expected \{ active\?, terminal\? \} or undefined, received an array of length 3/],
  ];
  for (const [opts, re] of bad) assert.throws(() => l.step(batch.x[0], batch.y[0], false, opts as never), re);
  // an active example's NaN is refused; a held example's padding (NaN inputs, a zero target row) is not read
  const x = Float64Array.from(batch.x[0], (v, i) => (i < c.I ? NaN : v));
  const y = Float64Array.from(batch.y[0]!, (v, i) => (i < c.O ? 0 : v));
  assert.throws(() => l.step(x, batch.y[0]), /x \(batch 3 × inputSize 2\): expected finite values, received NaN at index 0/);
  assert.throws(() => l.step(batch.x[0], y), /y\[0\]: softmax-ce targets must be one-hot \(summing to 1\), received a row summing to 0/);
  assert.ok(Number.isFinite(l.step(x, y, false, { active: [0, 1, 1] }).loss));
  // the same stream with an all-true mask and without one: bit-identical
  const m2 = makeModel(c);
  const l2 = createLearner('bp-lambda', m2, { loss: c.loss, lambda: 0.7, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-2 }) });
  l2.reset(c.B);
  for (let t = 1; t < c.T; t++) {
    const a = l.step(batch.x[t], batch.y[t], false, { active: [true, true, true], terminal: [false, false, false] });
    const b = l2.step(batch.x[t], batch.y[t]);
    if (t === 1) assert.notEqual(a.loss, b.loss); // l already ran step 0 with example 0 held
  }
  const l3 = createLearner('bp-lambda', makeModel(c), { loss: c.loss, lambda: 0.7, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-2 }) });
  const l4 = createLearner('bp-lambda', makeModel(c), { loss: c.loss, lambda: 0.7, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 1e-2 }) });
  l3.reset(c.B);
  l4.reset(c.B);
  for (let t = 0; t < c.T; t++) assert.equal(l3.step(batch.x[t], batch.y[t], false, { active: [1, 1, 1] }).loss, l4.step(batch.x[t], batch.y[t]).loss);
  assert.deepEqual(l3.model.groups().cell.W_hh.data, l4.model.groups().cell.W_hh.data);
});

test('a step that every example sits out moves nothing: parameters held, no Adam step counted', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 3, O: 2, B: 2, T: 4, loss: 'mse', seed: 3, targets: 'all' };
  const batch = makeBatch(c);
  for (const extra of [{ method: 'bp-lambda' as const }, { method: 'bp-lambda' as const, computation: 'blocked' as const, traceWindow: 2 }, { method: 'rtrl' as const }]) {
    const { method, ...rest } = extra;
    const adam = new Adam({ lr: 1e-2 });
    const m = makeModel(c);
    const l = createLearner(method, m, { loss: c.loss, ...(method === 'bp-lambda' ? { lambda: 0.9, gamma: 0.9 } : {}), optimizer: adam, ...rest } as never);
    l.reset(c.B);
    l.step(batch.x[0], batch.y[0]);
    l.step(batch.x[1], batch.y[1]);
    const params = allParams(m);
    const steps = adam.steps();
    l.step(batch.x[2], batch.y[2], false, { active: [0, 0] });
    assert.deepEqual(allParams(m), params, `${method} ${rest.computation ?? ''}`);
    assert.deepEqual(adam.steps(), steps);
    l.step(batch.x[3], batch.y[3], false, { active: [1, 0] });
    assert.notDeepEqual(allParams(m), params);
  }
});
