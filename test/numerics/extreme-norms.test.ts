import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sgd } from '../../src/optim/sgd.ts';
import { Adam } from '../../src/optim/adam.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { createModel } from '../../src/model/model.ts';
import { createLearner, trainSequence } from '../../src/learners/index.ts';
import { gradientAlignment } from '../../src/learners/alignment.ts';
import type { ModelGroups } from '../../src/model/model.ts';
import { allParams, makeBatch, makeModel, type Case } from '../helpers.ts';

const one = (c: number, r = 0, s = 0): ModelGroups => ({
  cell: { W: new Tensor([1], Float64Array.of(c)) },
  readout: { W: new Tensor([1], Float64Array.of(r)) },
  synthesiser: { W: new Tensor([1], Float64Array.of(s)) },
});

/** ‖x‖₂ by explicit scaling with the largest entry (the test's own oracle). */
function norm(xs: number[]): number {
  const m = Math.max(...xs.map(Math.abs));
  return m === 0 ? 0 : m * Math.sqrt(xs.reduce((a, v) => a + (v / m) ** 2, 0));
}

test('global-norm clipping with a gradient of 1e155 (Σg² = ∞) takes the full clipped step: θ = 0 → −1', () => {
  const p0 = one(0);
  new Sgd({ lr: 1, clipNorm: 1 }).step(p0, one(1e155));
  assert.ok(Math.abs(p0.cell.W.data[0] + 1) < 1e-15, `sgd: θ = ${p0.cell.W.data[0]}`);
  // Adam's first step with the clipped gradient 1: θ = −lr·1/(1 + ε)
  const p1 = one(0);
  new Adam({ lr: 1, clipNorm: 1, eps: 1e-8 }).step(p1, one(1e155));
  assert.ok(Math.abs(p1.cell.W.data[0] + 1 / (1 + 1e-8)) < 1e-15, `adam: θ = ${p1.cell.W.data[0]}`);
  // and with gradients of 1e-200 (Σg² = 0): ‖(3, 4)·1e-200‖ = 5e-200 is clipped to 1e-200
  const p = one(0, 0);
  new Sgd({ lr: 1, clipNorm: 1e-200 }).step(p, one(3e-200, 4e-200));
  assert.ok(Math.abs(p.cell.W.data[0] + 6e-201) < 1e-215 && Math.abs(p.readout.W.data[0] + 8e-201) < 1e-215, `${p.cell.W.data[0]} ${p.readout.W.data[0]}`);
});

test('an identity RNN with W_hh = 100 over T = 80 steps: finite BPTT gradients beyond 1e154 are clipped, not dropped', () => {
  const m = createModel({ cell: 'rnn', activation: 'identity', inputSize: 1, hiddenSize: 1, outputSize: 1, seed: 1 });
  m.cell.params.W_hh.data[0] = 100;
  m.cell.params.W_ih.data[0] = 1;
  m.cell.params.b.data[0] = 0;
  m.readout.params.W.data[0] = 1;
  m.readout.params.b.data[0] = 0;
  const T = 80;
  const x = Array.from({ length: T }, (_, t) => Float64Array.of(t === 0 ? 1e-150 : 0));
  const y = Array.from({ length: T }, (_, t) => (t === T - 1 ? Float64Array.of(0) : null));
  const batch = { T, B: 1, inputSize: 1, outputSize: 1, loss: 'mse' as const, x, y };
  const g = trainSequence(createLearner('bptt', m.clone(), { loss: 'mse' }), batch).grads;
  const flatG = [g.cell, g.readout].flatMap((grp) => Object.values(grp).flatMap((t) => Array.from(t.data)));
  assert.ok(flatG.every(Number.isFinite) && Math.max(...flatG.map(Math.abs)) > 1e160, 'finite gradients whose squares overflow');
  const before = allParams(m);
  trainSequence(createLearner('bptt', m, { loss: 'mse', optimizer: new Sgd({ lr: 0.5, clipNorm: 1 }) }), batch);
  const step = allParams(m).map((v, i) => v - before[i]);
  assert.ok(Math.abs(norm(step) - 0.5) < 1e-12, `‖Δθ‖ = ${norm(step)}, expected lr·clipNorm = 0.5`);
  // the direction is −g/‖g‖ (cell and readout; the synthesiser has no gradient)
  const gn = norm(flatG);
  const cellReadout = step.slice(0, flatG.length);
  cellReadout.forEach((d, i) => assert.ok(Math.abs(d + (0.5 * flatG[i]) / gn) < 1e-12, `entry ${i}`));
});

test('BP(λ) synthClip rescales a per-step synthesiser gradient whose Σg² overflows to the clip norm', () => {
  const c: Case = { kind: { cell: 'rnn', activation: 'identity' }, I: 1, H: 2, O: 1, B: 1, T: 2, loss: 'mse', seed: 3, targets: 'all' };
  const m = makeModel(c);
  const batch = makeBatch(c);
  for (const xt of batch.x) xt.fill(1e80); // s ~ 1e80: traces and TD errors ~ 1e80, their product ~ 1e160
  const l = createLearner('bp-lambda', m, { loss: 'mse', lambda: 1, gamma: 1, regime: 'per-sequence', synthClip: 2 });
  const g = trainSequence(l, batch).grads.synthesiser;
  for (const [k, t] of Object.entries(g)) {
    const n = norm(Array.from(t.data));
    assert.ok(Math.abs(n - 2) < 1e-12, `‖∂synthesiser.${k}‖ = ${n}, expected the clip 2`);
  }
});

test('gradient alignment is scale-free: a synthesiser scaled by 1e200 or 1e-200 gives the same cosines', () => {
  const c: Case = { kind: { cell: 'lstm' }, I: 2, H: 3, O: 2, B: 3, T: 5, loss: 'mse', seed: 12, targets: 'all' };
  const batch = makeBatch(c);
  const ref = gradientAlignment(makeModel(c), batch);
  assert.ok(ref.perStep.some((v) => Math.abs(v) > 0.01));
  for (const s of [1e200, 1e-200]) {
    const m = makeModel(c);
    for (const t of Object.values(m.synthesiser.params)) for (let i = 0; i < t.data.length; i++) t.data[i] *= s;
    const a = gradientAlignment(m, batch);
    a.perStep.forEach((v, t) => assert.ok(Math.abs(v - ref.perStep[t]) < 1e-13, `scale ${s}, step ${t}: ${v} vs ${ref.perStep[t]}`));
    assert.ok(Math.abs(a.mean - ref.mean) < 1e-13);
    assert.ok(Math.abs(a.whole - ref.whole) < 1e-13, `scale ${s}: whole ${a.whole} vs ${ref.whole}`);
  }
});
