import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { caseArb, centralDiff, forEachCell, makeModel, relErr, RUNS, LOSSES } from '../helpers.ts';
import { Rng } from '../../src/rng.ts';
import { jacobianToDense } from '../../src/tensor/jacobian.ts';
import { lossStep } from '../../src/cells/losses.ts';
import type { Model } from '../../src/model/model.ts';

/** A random x_t and s_{t−1} for a model (LSTM: random h and c). */
function randomInputs(m: Model, B: number, seed: number) {
  const rng = new Rng(seed);
  const x = new Float64Array(B * m.inputSize).map(() => rng.normal());
  const sPrev = new Float64Array(B * m.stateSize).map(() => rng.uniform(-0.9, 0.9));
  return { x, sPrev };
}

/** Independent pre-activations of the vanilla RNN, to keep finite differences away from relu's kink. */
function rnnPreActivations(m: Model, x: Float64Array, s: Float64Array, B: number): number[] {
  const { W_ih, W_hh, b } = m.cell.params;
  const I = m.inputSize;
  const H = m.hiddenSize;
  const out: number[] = [];
  for (let r = 0; r < B; r++)
    for (let j = 0; j < H; j++) {
      let a = b.data[j];
      for (let k = 0; k < I; k++) a += W_ih.data[j * I + k] * x[r * I + k];
      for (let k = 0; k < H; k++) a += W_hh.data[j * H + k] * s[r * H + k];
      out.push(a);
    }
  return out;
}

function awayFromKink(m: Model, x: Float64Array, s: Float64Array, B: number): boolean {
  if (m.cell.type !== 'rnn' || m.cell.options.activation !== 'relu') return true;
  return rnnPreActivations(m, x, s, B).every((a) => Math.abs(a) > 1e-3);
}

// one property per registered cell: a new cell is covered as soon as it is registered
forEachCell((type, kinds) => {
  test(`J_t = ∂s_t/∂s_{t−1} matches central finite differences (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds }), (c) => {
        const m = makeModel(c);
        const { x, sPrev } = randomInputs(m, c.B, c.seed);
        fc.pre(awayFromKink(m, x, sPrev, c.B));
        const n = m.stateSize;
        const cache = m.cell.createCache(c.B);
        m.cell.forward(x, sPrev, cache);
        const J = jacobianToDense(m.cell.jacobian(cache), new Float64Array(c.B * n * n));
        const fdJ = new Float64Array(c.B * n * n);
        const probe = m.cell.createCache(c.B);
        for (let b = 0; b < c.B; b++)
          for (let k = 0; k < n; k++)
            for (let i = 0; i < n; i++) {
              fdJ[(b * n + i) * n + k] = centralDiff(
                () => {
                  m.cell.forward(x, sPrev, probe);
                  return probe.s[b * n + i];
                },
                sPrev,
                b * n + k,
              );
            }
        assert.ok(relErr(J, fdJ) < 1e-6, `relative error ${relErr(J, fdJ)}`);
      }),
      { numRuns: RUNS },
    );
  });

  test(`jacobian() and vjpState agree: vjpState(v) equals v·J_t with the materialised Jacobian (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds }), (c) => {
        const m = makeModel(c);
        const { x, sPrev } = randomInputs(m, c.B, c.seed);
        const n = m.stateSize;
        const cache = m.cell.createCache(c.B);
        m.cell.forward(x, sPrev, cache);
        const J = jacobianToDense(m.cell.jacobian(cache), new Float64Array(c.B * n * n));
        const rng = new Rng(c.seed + 1);
        const v = new Float64Array(c.B * n).map(() => rng.normal());
        const got = new Float64Array(c.B * n);
        m.cell.vjpState(cache, v, got);
        const want = new Float64Array(c.B * n);
        for (let b = 0; b < c.B; b++) for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) want[b * n + k] += v[b * n + i] * J[(b * n + i) * n + k];
        assert.ok(relErr(got, want) < 1e-12, `relative error ${relErr(got, want)}`);
      }),
      { numRuns: RUNS },
    );
  });

  test(`vjpParamsRows gives each row's own vjpParams, unsummed, flattened in params order (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds, maxB: 3 }), fc.integer({ min: 1, max: 4 }), (c, R) => {
        const m = makeModel(c);
        const { x, sPrev } = randomInputs(m, c.B, c.seed);
        const n = m.stateSize;
        const cache = m.cell.createCache(c.B);
        m.cell.forward(x, sPrev, cache);
        const rng = new Rng(c.seed + 3);
        const V = new Float64Array(c.B * R * n).map(() => rng.normal());
        const names = Object.keys(m.cell.params);
        const P = names.reduce((a, k) => a + m.cell.params[k].size, 0);
        const out = new Float64Array(c.B * R * P).fill(NaN);
        m.cell.vjpParamsRows(cache, V, R, out);
        for (let b = 0; b < c.B; b++) {
          for (let i = 0; i < R; i++) {
            // the oracle: vjpParams with this row in example b and zeros elsewhere
            const v = new Float64Array(c.B * n);
            v.set(V.subarray((b * R + i) * n, (b * R + i + 1) * n), b * n);
            const grads = Object.fromEntries(names.map((k) => [k, m.cell.params[k].clone().fill(0)]));
            m.cell.vjpParams(cache, v, grads, 1);
            const want = names.flatMap((k) => Array.from(grads[k].data));
            const got = out.subarray((b * R + i) * P, (b * R + i + 1) * P);
            assert.ok(relErr(got, want, 1e-300) < 1e-14, `row ${i} of example ${b}: relative error ${relErr(got, want, 1e-300)}`);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  test(`vjpParams(v) equals the finite-difference gradient of Σ_b v_b·s_t, s_{t−1} held fixed (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds }), fc.double({ min: 0.1, max: 3, noNaN: true }), (c, scale) => {
        const m = makeModel(c);
        const { x, sPrev } = randomInputs(m, c.B, c.seed);
        fc.pre(awayFromKink(m, x, sPrev, c.B));
        const n = m.stateSize;
        const rng = new Rng(c.seed + 2);
        const v = new Float64Array(c.B * n).map(() => rng.normal());
        const cache = m.cell.createCache(c.B);
        m.cell.forward(x, sPrev, cache);
        const grads = Object.fromEntries(Object.entries(m.cell.params).map(([k, t]) => [k, t.clone().fill(0)]));
        m.cell.vjpParams(cache, v, grads, scale);
        const probe = m.cell.createCache(c.B);
        const f = () => {
          m.cell.forward(x, sPrev, probe);
          let s = 0;
          for (let i = 0; i < v.length; i++) s += v[i] * probe.s[i];
          return scale * s;
        };
        for (const [k, t] of Object.entries(m.cell.params)) {
          const fd = new Float64Array(t.size);
          for (let i = 0; i < t.size; i++) fd[i] = centralDiff(f, t.data, i);
          assert.ok(relErr(grads[k].data, fd) < 1e-6, `${k}: relative error ${relErr(grads[k].data, fd)}`);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

test('loss gradients ∂ℓ/∂ŷ match finite differences for mse, softmax-ce and sigmoid-bce', () => {
  fc.assert(
    fc.property(fc.constantFrom(...LOSSES), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1e9 }), (loss, B, O, seed) => {
      const rng = new Rng(seed);
      const yhat = new Float64Array(B * O).map(() => 3 * rng.normal());
      const y = new Float64Array(B * O);
      for (let b = 0; b < B; b++) {
        if (loss === 'softmax-ce') y[b * O + rng.int(O)] = 1;
        else for (let o = 0; o < O; o++) y[b * O + o] = loss === 'mse' ? rng.normal() : rng.next();
      }
      const grad = new Float64Array(B * O);
      const per = new Float64Array(B);
      const total = lossStep(loss, yhat, y, B, O, grad, per);
      assert.ok(Math.abs(total - per.reduce((a, v) => a + v, 0)) < 1e-12);
      const fd = new Float64Array(B * O);
      for (let i = 0; i < fd.length; i++) fd[i] = centralDiff(() => lossStep(loss, yhat, y, B, O, null), yhat, i);
      assert.ok(relErr(grad, fd) < 1e-6, `relative error ${relErr(grad, fd)}`);
    }),
    { numRuns: RUNS },
  );
});

test('loss values match closed forms on a hand-checked example', () => {
  const yhat = new Float64Array([1, 2, 0]);
  const y = new Float64Array([0, 1, 0]);
  // ½((1)² + (1)² + 0) = 1
  assert.equal(lossStep('mse', yhat, y, 1, 3, null), 1);
  // −log(e²/(e + e² + 1))
  const ce = -Math.log(Math.exp(2) / (Math.exp(1) + Math.exp(2) + 1));
  assert.ok(Math.abs(lossStep('softmax-ce', yhat, y, 1, 3, null) - ce) < 1e-15);
  // Σ_o −y log σ(z) − (1−y) log(1−σ(z))
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  const bce = -Math.log(1 - sig(1)) - Math.log(sig(2)) - Math.log(1 - sig(0));
  assert.ok(Math.abs(lossStep('sigmoid-bce', yhat, y, 1, 3, null) - bce) < 1e-14);
  // stable for large logits
  assert.ok(Number.isFinite(lossStep('sigmoid-bce', new Float64Array([800]), new Float64Array([0]), 1, 1, null)));
  assert.ok(Number.isFinite(lossStep('softmax-ce', new Float64Array([800, -800]), new Float64Array([0, 1]), 1, 2, null)));
});
