import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { caseArb, makeBatch, makeModel, RUNS } from '../helpers.ts';
import { gradientAlignment } from '../../src/learners/alignment.ts';
import { createModel } from '../../src/model/model.ts';
import { Rng } from '../../src/rng.ts';

test('alignment is 1 for the closed-form synthesiser of a linear RNN (T = 2, target 0, no biases)', () => {
  // h_1 = W_hh h_0 (zero input at t = 1), ŷ = W_out h_1, ℓ = ½‖ŷ‖²:
  // G_0 = ŷ·W_out·W_hh = h_0ᵀ·(W_out W_hh)ᵀ(W_out W_hh), so g(s) = A s with A = (W_out W_hh)ᵀ(W_out W_hh) is exact.
  const H = 4;
  const O = 3;
  const m = createModel({ cell: 'rnn', activation: 'identity', inputSize: 2, hiddenSize: H, outputSize: O, seed: 9 });
  m.cell.params.b.data.fill(0);
  m.readout.params.b.data.fill(0);
  const Whh = m.cell.params.W_hh.data;
  const Wout = m.readout.params.W.data;
  const P = new Float64Array(O * H); // W_out·W_hh
  for (let o = 0; o < O; o++) for (let j = 0; j < H; j++) for (let k = 0; k < H; k++) P[o * H + j] += Wout[o * H + k] * Whh[k * H + j];
  const A = m.synthesiser.params.W.data;
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) for (let o = 0; o < O; o++) A[i * H + j] += P[o * H + i] * P[o * H + j];
  const rng = new Rng(4);
  const B = 5;
  const x0 = Float64Array.from({ length: B * 2 }, () => rng.normal());
  const batch = { T: 2, B, inputSize: 2, outputSize: O, loss: 'mse' as const, x: [x0, new Float64Array(B * 2)], y: [null, new Float64Array(B * O)] };
  const al = gradientAlignment(m, batch);
  assert.equal(al.perStep.length, 1);
  assert.ok(Math.abs(al.perStep[0] - 1) < 1e-12, `alignment ${al.perStep[0]}`);
  assert.ok(Math.abs(al.whole - 1) < 1e-12);
  // the negated synthesiser points the other way
  for (let i = 0; i < A.length; i++) A[i] = -A[i];
  assert.ok(Math.abs(gradientAlignment(m, batch).mean + 1) < 1e-12);
});

test('alignment is invariant to positive rescaling of the synthesiser, odd under negation, 0 for g = 0, and in [−1, 1]', () => {
  fc.assert(
    fc.property(caseArb({ maxT: 6 }).filter((c) => c.T >= 2), fc.double({ min: 0.01, max: 100, noNaN: true }), (c, k) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      const a = gradientAlignment(m, batch);
      assert.equal(a.perStep.length, c.T - 1);
      for (const v of [...a.perStep, a.whole]) assert.ok(v >= -1 - 1e-12 && v <= 1 + 1e-12);
      for (const t of Object.values(m.synthesiser.params)) for (let i = 0; i < t.data.length; i++) t.data[i] *= k;
      const b = gradientAlignment(m, batch);
      b.perStep.forEach((v, i) => assert.ok(Math.abs(v - a.perStep[i]) < 1e-9));
      for (const t of Object.values(m.synthesiser.params)) for (let i = 0; i < t.data.length; i++) t.data[i] *= -1;
      const neg = gradientAlignment(m, batch);
      assert.ok(Math.abs(neg.whole + a.whole) < 1e-9);
      for (const t of Object.values(m.synthesiser.params)) t.data.fill(0);
      assert.equal(gradientAlignment(m, batch).mean, 0);
    }),
    { numRuns: RUNS },
  );
});
