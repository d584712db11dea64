import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam } from '../../src/optim/adam.ts';
import { Sgd } from '../../src/optim/sgd.ts';
import { OptimizerDivergenceError, type Optimizer, type StepGrads } from '../../src/optim/optimizer.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { BpLambdaLearner } from '../../src/learners/bp-lambda.ts';
import { RtrlLearner } from '../../src/learners/rtrl.ts';
import { DivergenceError } from '../../src/learners/learner.ts';
import type { ModelGroups } from '../../src/model/model.ts';
import { allParams, makeBatch, makeModel, type Case } from '../helpers.ts';

const groups = (c: number[], r: number[], s: number[]): ModelGroups => ({
  cell: { W: new Tensor([c.length], Float64Array.from(c)) },
  readout: { W: new Tensor([r.length], Float64Array.from(r)) },
  synthesiser: { W: new Tensor([s.length], Float64Array.from(s)) },
});
const snapshot = (g: ModelGroups) => JSON.stringify([g.cell.W.data, g.readout.W.data, g.synthesiser.W.data].map((a) => Array.from(a)));

test('Adam: a group whose gradient is null does not move and keeps its step count (PyTorch semantics)', () => {
  const p = groups([1], [1], [1]);
  const adam = new Adam({ lr: 0.1 });
  adam.step(p, groups([1], [1], [1]));
  const readoutAfterOne = p.readout.W.data[0];
  const g2: StepGrads = { cell: groups([1], [0], [0]).cell, readout: null, synthesiser: null };
  adam.step(p, g2);
  adam.step(p, g2);
  assert.equal(p.readout.W.data[0], readoutAfterOne, 'the readout did not move on stale momentum');
  assert.deepEqual(adam.steps(), { cell: 3, readout: 1, synthesiser: 1 });
  // the readout's second update is Adam's second step (bias correction of k = 2), not its fourth
  adam.step(p, { cell: null, readout: groups([0], [-1], [0]).readout, synthesiser: null });
  const ref = groups([0], [1], [0]);
  const alone = new Adam({ lr: 0.1 });
  alone.step(ref, { cell: null, readout: groups([0], [1], [0]).readout, synthesiser: null });
  alone.step(ref, { cell: null, readout: groups([0], [-1], [0]).readout, synthesiser: null });
  assert.equal(p.readout.W.data[0], ref.readout.W.data[0]);
  assert.deepEqual(alone.steps(), { cell: 0, readout: 2, synthesiser: 0 });
});

test('Sgd: a null group does not move; a missing group key is an error naming it', () => {
  const p = groups([1], [1], [1]);
  new Sgd({ lr: 1 }).step(p, { cell: groups([1], [0], [0]).cell, readout: null, synthesiser: null });
  assert.deepEqual(JSON.parse(snapshot(p)), [[0], [1], [1]]);
  assert.throws(() => new Sgd({ lr: 1 }).step(p, { cell: null, readout: null } as never), /Sgd\.step: grads\.synthesiser: expected a ParamGroup or null/);
});

/** A per-step BP(λ) run whose only targets are at steps `targets`; returns the readout after each step and the optimizer. */
function readoutTrajectory(targets: number[], T: number) {
  const c: Case = { kind: { cell: 'rnn', activation: 'tanh' }, I: 2, H: 3, O: 2, B: 2, T, loss: 'mse', seed: 5, targets: 'all' };
  const batch = makeBatch(c);
  const m = makeModel(c);
  const adam = new Adam({ lr: { cell: 0, readout: 0.01, synthesiser: 0 } });
  const l = new BpLambdaLearner(m, { loss: 'mse', lambda: 1, gamma: 0.9, regime: 'per-step', optimizer: adam });
  l.reset(c.B);
  const readouts: number[][] = [Array.from(m.readout.params.W.data)];
  for (let t = 0; t < T; t++) {
    l.step(batch.x[t], targets.includes(t) ? batch.y[t] : null, t === T - 1);
    readouts.push(Array.from(m.readout.params.W.data));
  }
  l.end();
  return { readouts, adam };
}

test('per-step BP(λ) with Adam: the readout stays put at target-free steps and its first update is a full lr step', () => {
  const T = 6;
  const late = readoutTrajectory([T - 1], T);
  for (let t = 1; t < T; t++) assert.deepEqual(late.readouts[t], late.readouts[0], `moved before its first target (step ${t - 1})`);
  // Adam's first step moves every entry by lr·|g|/(|g| + ε) ≈ lr
  const moved = late.readouts[T].map((v, i) => Math.abs(v - late.readouts[0][i]));
  for (const d of moved) assert.ok(Math.abs(d - 0.01) < 1e-6, `first readout update ${d}, expected lr = 0.01`);
  assert.equal(late.adam.steps().readout, 1);
  // stale momentum: targets at steps 0 and 4 of 6; at steps 1–3 and 5 the readout must not move
  const early = readoutTrajectory([0, 4], T);
  for (const t of [1, 2, 3]) assert.deepEqual(early.readouts[t + 1], early.readouts[1], `moved at target-free step ${t}`);
  assert.deepEqual(early.readouts[6], early.readouts[5]);
  assert.equal(early.adam.steps().readout, 2);
});

test('RTRL per-step: cell and readout receive no gradient at target-free steps', () => {
  const c: Case = { kind: { cell: 'rnn', activation: 'tanh' }, I: 2, H: 2, O: 1, B: 1, T: 4, loss: 'mse', seed: 8, targets: 'all' };
  const batch = makeBatch(c);
  const adam = new Adam({ lr: 0.01 });
  const l = new RtrlLearner(makeModel(c), { loss: 'mse', regime: 'per-step', optimizer: adam });
  l.reset(1);
  for (let t = 0; t < c.T; t++) l.step(batch.x[t], t === 1 ? batch.y[t] : null, t === c.T - 1);
  l.end();
  assert.deepEqual(adam.steps(), { cell: 1, readout: 1, synthesiser: 0 });
});

test('learning rates: every group named, or one number; a missing group or lr is an error naming it', () => {
  assert.throws(() => new Adam({ lr: { cell: 1e-3 } } as never), /Adam: lr\.readout: missing: give every group a rate/);
  assert.throws(() => new Sgd({ lr: { cell: 1, readout: 1 } } as never), /Sgd: lr\.synthesiser: missing/);
  assert.throws(() => new Adam({} as never), /Adam: lr: expected a number ≥ 0 or \{ cell, readout, synthesiser \}.*received undefined/);
  assert.throws(() => new Adam(undefined as never), /Adam: lr: expected a number/);
  assert.throws(() => new Sgd({ lr: '0.1' } as never), /Sgd: lr: expected a number ≥ 0 or .*received "0\.1"/);
  assert.deepEqual(new Adam({ lr: { cell: 0, readout: 1, synthesiser: 2 } }).rates, { cell: 0, readout: 1, synthesiser: 2 });
});

for (const make of [() => new Sgd({ lr: 0.1 }), () => new Adam({ lr: 0.1 })] as (() => Optimizer)[]) {
  const name = make().name;
  test(`${name}.step refuses a NaN or infinite gradient and leaves parameters and state unchanged`, () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const opt = make();
      const p = groups([1, 2], [3], [4]);
      opt.step(p, groups([0.5, 0.5], [0.5], [0.5]));
      const before = snapshot(p);
      const state = JSON.stringify(opt.getState());
      assert.throws(() => opt.step(p, groups([1, 1], [1], [bad])), (e: unknown) => e instanceof OptimizerDivergenceError && /the gradient synthesiser\.W .* is not finite/.test(e.message));
      assert.equal(snapshot(p), before, 'no parameter moved (not even the groups before the bad one)');
      assert.equal(JSON.stringify(opt.getState()), state);
    }
  });
}

test('Adam: a second moment that would overflow is a divergence, refused before it is stored (the state stays finite)', () => {
  const adam = new Adam({ lr: 0.1 });
  const p = groups([1], [1], [1]);
  adam.step(p, groups([1], [1], [1]));
  const before = snapshot(p);
  const state = JSON.stringify(adam.getState());
  assert.throws(() => adam.step(p, groups([1e200], [1], [1])), /Adam\.step: the second moment of cell\.W \(index 0\) is not finite/);
  assert.equal(snapshot(p), before);
  assert.equal(JSON.stringify(adam.getState()), state);
  assert.ok(!JSON.stringify(adam.getState()).includes('null'));
});

test('Sgd: an update that would overflow a parameter is refused', () => {
  const p = groups([1e308], [0], [0]);
  assert.throws(() => new Sgd({ lr: 1e300 }).step(p, groups([-1e10], [1], [1])), /the updated parameter cell\.W/);
  assert.deepEqual(Array.from(p.readout.W.data), [0]);
});

test('Adam.setState checks the whole state (lengths, names, groups, step counts) and changes nothing on failure', () => {
  const adam = new Adam({ lr: 0.1 });
  const p = groups([1, 2], [3], [4]);
  adam.step(p, groups([1, 1], [1], [1]));
  const good = adam.getState();
  const saved = JSON.stringify(good);
  const edit = (f: (s: any) => void) => {
    const s = JSON.parse(saved);
    f(s);
    return s;
  };
  const cases: [unknown, RegExp][] = [
    [edit((s) => (s.cell.v.W = [1, 2, 3])), /Adam\.setState: cell\.v\.W: expected an array of 2 finite numbers ≥ 0, received an array of length 3/],
    [edit((s) => (s.cell.m.W = [1])), /cell\.v\.W: expected an array of 1 finite numbers/],
    [edit((s) => (s.readout.v.W = [-1])), /readout\.v\.W\[0\]: expected a finite number ≥ 0, received -1/],
    [edit((s) => (s.readout.m.W = [null])), /readout\.m\.W\[0\]: expected a finite number, received null/],
    [edit((s) => (s.readout.step = 1.5)), /readout\.step: expected an integer ≥ 0, received 1\.5/],
    [edit((s) => delete s.synthesiser), /synthesiser: expected \{ step, m, v \}, received undefined/],
    [edit((s) => (s.rnn = s.cell)), /unknown option "rnn"/],
    [edit((s) => (s.cell.v = {})), /cell\.v: expected moments for the tensors of cell\.m/],
    [edit((s) => (s.cell.step = 0)), /cell\.m: expected no moments before the first step/],
    [{ t: 1, m: {}, v: {} }, /unknown option "t"/],
  ];
  const other = new Adam({ lr: 0.1 });
  other.setState(good);
  for (const [state, re] of cases) {
    assert.throws(() => other.setState(state), re);
    assert.equal(JSON.stringify(other.getState()), saved, 'unchanged after a refused setState');
  }
  // against the parameters: lengths and names must be theirs
  const q = groups([1, 2, 3], [3], [4]);
  assert.throws(() => other.setState(good, q), /cell\.m\.W: expected an array of 3 finite numbers, received an array of length 2/);
  const r: ModelGroups = { ...p, cell: { U: new Tensor([2], new Float64Array(2)) } };
  assert.throws(() => other.setState(good, r), /cell\.m: expected moments for U/);
  other.setState(good, p);
  // a state of the wrong length that slipped in without params is refused at the step, before any change
  const loose = new Adam({ lr: 0.1 });
  loose.setState(good);
  assert.throws(() => loose.step(q, groups([1, 1, 1], [1], [1])), /Adam\.step: the moments of cell\.W hold 2 values, the parameter 3/);
  assert.deepEqual(Array.from(q.readout.W.data), [3]);
});

test('Sgd.setState accepts only its empty state', () => {
  new Sgd({ lr: 1 }).setState({});
  assert.throws(() => new Sgd({ lr: 1 }).setState({ t: 1 }), /Sgd\.setState: expected \{\} \(SGD keeps no state\)/);
});

test('a refused optimizer step is a DivergenceError of the learner, which stays as it was before the step', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 2, O: 2, B: 2, T: 5, loss: 'mse', seed: 4, targets: 'all' };
  const batch = makeBatch(c);
  /** Sgd that refuses its `failAt`-th call once. */
  class Flaky extends Sgd {
    calls = 0;
    constructor(private readonly failAt: number) {
      super({ lr: 0.05 });
    }
    override step(p: ModelGroups, g: StepGrads): void {
      if (this.calls++ === this.failAt) throw new OptimizerDivergenceError('Flaky', 'a test quantity');
      super.step(p, g);
    }
  }
  const ref = makeModel(c);
  const lr = new BpLambdaLearner(ref, { loss: 'mse', lambda: 0.5, gamma: 0.9, regime: 'per-step', optimizer: new Sgd({ lr: 0.05 }) });
  const m = makeModel(c);
  const l = new BpLambdaLearner(m, { loss: 'mse', lambda: 0.5, gamma: 0.9, regime: 'per-step', optimizer: new Flaky(2) });
  lr.reset(c.B);
  l.reset(c.B);
  for (let t = 0; t < c.T; t++) {
    if (t === 2) {
      const before = allParams(m);
      assert.throws(() => l.step(batch.x[t], batch.y[t], t === c.T - 1), (e: unknown) => e instanceof DivergenceError && /at step 2: a test quantity, in the Flaky update/.test(e.message));
      assert.deepEqual(allParams(m), before);
    }
    lr.step(batch.x[t], batch.y[t], t === c.T - 1);
    l.step(batch.x[t], batch.y[t], t === c.T - 1);
  }
  const a = lr.end();
  const b = l.end();
  assert.deepEqual(allParams(m), allParams(ref));
  assert.equal(b.loss, a.loss);
});
