import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { caseArb, centralDiff, fivePoint, flat, forEachCell, makeBatch, makeModel, relErr, RUNS, RUNS_PER_CELL, type Case } from '../helpers.ts';
import { bptt } from '../../src/learners/bptt.ts';
import { forwardTrajectory } from '../../src/learners/trajectory.ts';
import { lossStep } from '../../src/cells/losses.ts';
import type { Model } from '../../src/model/model.ts';
import type { SeqBatch } from '../../src/data/batch.ts';

/** L = (1/B)·Σ_b Σ_t ℓ_{t,b}, by a plain forward loop, with an optional bump of s_t[b, i]. */
function lossWithBump(m: Model, batch: SeqBatch, bump?: { t: number; index: number; eps: number }): number {
  const { cell, readout } = m;
  const B = batch.B;
  const n = cell.stateSize;
  const H = cell.hiddenSize;
  let s: Float64Array = new Float64Array(B * n);
  let total = 0;
  for (let t = 0; t < batch.T; t++) {
    const c = cell.createCache(B);
    cell.forward(batch.x[t], s, c);
    s = Float64Array.from(c.s);
    if (bump && bump.t === t) s[bump.index] += bump.eps;
    // h is the first H entries of each example's state (the whole state for the RNN)
    const h = new Float64Array(B * H);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) h[b * H + j] = s[b * n + j];
    const yhat = new Float64Array(B * readout.outputSize);
    readout.forward(h, B, yhat);
    const y = batch.y[t];
    if (y) total += lossStep(batch.loss, yhat, y, B, readout.outputSize, null);
  }
  return total / B;
}

/** Smallest |a_t| over the trajectory of a vanilla RNN (a_t = W_ih x_t + W_hh h_{t−1} + b). */
function minAbsPreActivation(m: Model, batch: SeqBatch): number {
  const traj = forwardTrajectory(m, batch);
  const { W_ih, W_hh, b } = m.cell.params;
  const I = m.inputSize;
  const H = m.hiddenSize;
  let min = Infinity;
  for (const c of traj.caches)
    for (let r = 0; r < batch.B; r++)
      for (let j = 0; j < H; j++) {
        let a = b.data[j];
        for (let k = 0; k < I; k++) a += W_ih.data[j * I + k] * c.x[r * I + k];
        for (let k = 0; k < H; k++) a += W_hh.data[j * H + k] * c.sPrev[r * H + k];
        min = Math.min(min, Math.abs(a));
      }
  return min;
}

const reluSafe = (c: Case) => !(c.kind.cell === 'rnn' && c.kind.activation === 'relu');

forEachCell((type, kinds) => {
  test(`BPTT parameter gradients match finite differences of the whole loss, all losses and target patterns (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ maxH: 5, maxT: 6, kinds }).filter(reluSafe), (c) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const r = bptt(m, batch);
        assert.ok(Math.abs(r.loss - lossWithBump(m, batch)) < 1e-12 * Math.max(1, Math.abs(r.loss)));
        const got: number[] = [];
        const fd: number[] = [];
        for (const [group, grads] of [['cell', r.cell], ['readout', r.readout]] as const) {
          for (const [k, t] of Object.entries(m.groups()[group])) {
            for (let i = 0; i < t.size; i++) {
              got.push(grads[k].data[i]);
              fd.push(centralDiff(() => lossWithBump(m, batch), t.data, i));
            }
          }
        }
        assert.ok(relErr(got, fd, 1e-5 * Math.max(1, Math.abs(r.loss))) < 1e-6, `relative error ${relErr(got, fd, 1e-5 * Math.max(1, Math.abs(r.loss)))}`);
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
});

test('BPTT parameter gradients of the relu RNN match finite differences away from the kink', () => {
  fc.assert(
    fc.property(caseArb({ maxH: 5, maxT: 5, kinds: [{ cell: 'rnn', activation: 'relu' }] }), (c) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      fc.pre(minAbsPreActivation(m, batch) > 1e-2); // finite differences must not straddle relu's kink
      const r = bptt(m, batch);
      const got: number[] = [];
      const fd: number[] = [];
      for (const [k, t] of Object.entries(m.cell.params)) {
        for (let i = 0; i < t.size; i++) {
          got.push(r.cell[k].data[i]);
          fd.push(centralDiff(() => lossWithBump(m, batch), t.data, i));
        }
      }
      assert.ok(relErr(got, fd, 1e-5 * Math.max(1, Math.abs(r.loss))) < 1e-6, `relative error ${relErr(got, fd, 1e-5 * Math.max(1, Math.abs(r.loss)))}`);
    }),
    { numRuns: RUNS },
  );
});

forEachCell((type, kinds) => {
  test(`BPTT state gradients are ∂(Σ_τ ℓ_τ)/∂s_t per example, finite differences, no 1/B (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ maxH: 4, maxT: 5, kinds }).filter(reluSafe), (c) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const r = bptt(m, batch);
        const n = m.stateSize;
        const fd: number[] = [];
        for (let t = 0; t < c.T; t++) {
          for (let i = 0; i < c.B * n; i++) {
            fd.push(c.B * fivePoint((eps) => lossWithBump(m, batch, { t, index: i, eps })));
          }
        }
        const got = flat(r.stateGrads);
        assert.ok(relErr(got, fd, 1e-5 * Math.max(1, Math.abs(r.loss))) < 1e-6, `relative error ${relErr(got, fd, 1e-5 * Math.max(1, Math.abs(r.loss)))}`);
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
});

forEachCell((type, kinds) => {
  test(`truncated BPTT with n ≥ T equals full BPTT (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds }), fc.integer({ min: 0, max: 3 }), (c, extra) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const full = bptt(m, batch);
        const trunc = bptt(m, batch, c.T + extra);
        for (const k of Object.keys(full.cell)) assert.deepEqual(trunc.cell[k].data, full.cell[k].data);
        assert.deepEqual(flat(trunc.stateGrads), flat(full.stateGrads));
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
});

test('truncated BPTT with n = 1 equals the immediate-only gradient Σ_t (∂L_t/∂s_t)(∂s_t/∂Ψ)_loc', () => {
  fc.assert(
    fc.property(caseArb(), (c) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      const trunc = bptt(m, batch, 1);
      const traj = forwardTrajectory(m, batch);
      const want = Object.fromEntries(Object.entries(m.cell.params).map(([k, t]) => [k, t.clone().fill(0)]));
      for (let t = 0; t < c.T; t++) m.cell.vjpParams(traj.caches[t], traj.dLds[t], want, 1 / c.B);
      for (const k of Object.keys(want)) assert.ok(relErr(trunc.cell[k].data, want[k].data) < 1e-12);
      assert.ok(relErr(flat(trunc.stateGrads), flat(traj.dLds)) === 0);
    }),
    { numRuns: RUNS },
  );
});

test('truncated BPTT windows: the first window holds T mod n steps (hand-checked on T = 5, n = 2)', () => {
  // windows [0], [1, 2], [3, 4]: gradients flow 4→3 and 2→1 only
  const c: Case = { kind: { cell: 'rnn', activation: 'tanh' }, I: 2, H: 3, O: 2, B: 2, T: 5, loss: 'mse', seed: 7, targets: 'all' };
  const m = makeModel(c);
  const batch = makeBatch(c);
  const r = bptt(m, batch, 2);
  const traj = forwardTrajectory(m, batch);
  const n = m.stateSize;
  const vj = (t: number, v: Float64Array) => {
    const out = new Float64Array(c.B * n);
    m.cell.vjpState(traj.caches[t], v, out);
    return out;
  };
  const add = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]);
  const g4 = Float64Array.from(traj.dLds[4]);
  const g3 = add(traj.dLds[3], vj(4, g4));
  const g2 = Float64Array.from(traj.dLds[2]);
  const g1 = add(traj.dLds[1], vj(2, g2));
  const g0 = Float64Array.from(traj.dLds[0]);
  assert.deepEqual(flat(r.stateGrads), flat([g0, g1, g2, g3, g4]));
});
