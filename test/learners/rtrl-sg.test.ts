import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { caseArb, forEachCell, groupsErr, makeBatch, makeModel, relErr, RUNS, RUNS_PER_CELL, uniformArb } from '../helpers.ts';
import { createLearner, trainSequence } from '../../src/learners/index.ts';
import { bptt } from '../../src/learners/bptt.ts';
import { forwardTrajectory, isWindowStart } from '../../src/learners/trajectory.ts';
import { jacobianToDense } from '../../src/tensor/jacobian.ts';

forEachCell((type, kinds) => {
  test(`RTRL gradients equal BPTT gradients (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ maxH: 5, maxT: 6, kinds }), (c) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const r = trainSequence(createLearner('rtrl', m, { loss: c.loss }), batch);
        const b = bptt(m, batch);
        assert.ok(Math.abs(r.loss - b.loss) <= 1e-12 * Math.max(1, Math.abs(b.loss)));
        for (const k of Object.keys(b.cell)) assert.ok(relErr(r.grads.cell[k].data, b.cell[k].data, 1e-12) < 1e-10, `${k}: ${relErr(r.grads.cell[k].data, b.cell[k].data)}`);
        for (const k of Object.keys(b.readout)) assert.ok(relErr(r.grads.readout[k].data, b.readout[k].data, 1e-12) < 1e-12);
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
});

forEachCell((type, kinds) => {
  test(`n-step synthetic gradients with n ≥ T equal BPTT for the cell (${type})`, () => {
    fc.assert(
      fc.property(caseArb({ kinds }), fc.integer({ min: 0, max: 3 }), uniformArb(0, 1), (c, extra, gamma) => {
        const m = makeModel(c);
        const batch = makeBatch(c);
        const r = trainSequence(createLearner('sg', m, { loss: c.loss, truncation: c.T + extra, gamma, sgScale: 0.5 }), batch);
        const b = bptt(m, batch);
        for (const k of Object.keys(b.cell)) assert.ok(relErr(r.grads.cell[k].data, b.cell[k].data, 1e-12) < 1e-12);
        // one window: no boundary state, so the synthesiser gets no gradient
        for (const t of Object.values(r.grads.synthesiser)) assert.ok(t.data.every((v) => v === 0));
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
});

test('n-step SG synthesiser target = truncated future gradient + γ^n·g(s_{t+n})·M_{t+n,t} (dense Jacobian products)', () => {
  fc.assert(
    fc.property(caseArb({ maxT: 9 }), fc.integer({ min: 1, max: 4 }), uniformArb(0, 1), uniformArb(-2, 2), (c, n, gamma, sgScale) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      const r = trainSequence(createLearner('sg', m, { loss: c.loss, truncation: n, gamma, sgScale }), batch);
      const traj = forwardTrajectory(m, batch);
      const N = m.stateSize;
      const J = traj.caches.map((cache) => jacobianToDense(m.cell.jacobian(cache), new Float64Array(c.B * N * N)));
      const g = (t: number) => {
        const out = new Float64Array(c.B * N);
        m.synthesiser.forward(traj.caches[t].s, c.B, out);
        return out;
      };
      const W = new Float64Array(N * N);
      const bias = new Float64Array(N);
      for (let e = 0; e < c.T - 1; e++) {
        if (!isWindowStart(e + 1, c.T, n)) continue; // s_e ends a window and enters the next, [e+1, e+n]
        const last = e + n; // the next window's last step
        for (let r0 = 0; r0 < c.B; r0++) {
          // target = Σ_{k=1..n} γ^{k−1}·dL_{e+k}·M_{e+k,e} + γ^n·g(s_{e+n})·M_{e+n,e} (no bootstrap at the sequence end)
          const target = new Float64Array(N);
          for (let k = 1; k <= n; k++) {
            let row = Float64Array.from(traj.dLds[e + k].subarray(r0 * N, (r0 + 1) * N), (v) => v * gamma ** (k - 1));
            if (k === n && last < c.T - 1) {
              const gl = g(last);
              for (let i = 0; i < N; i++) row[i] += gamma ** n * gl[r0 * N + i];
            }
            for (let q = e + k; q > e; q--) {
              const next = new Float64Array(N);
              for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) next[j] += row[i] * J[q][(r0 * N + i) * N + j];
              row = next;
            }
            for (let i = 0; i < N; i++) target[i] += row[i];
          }
          const ge = g(e);
          for (let i = 0; i < N; i++) {
            const err = (ge[r0 * N + i] - target[i]) / c.B;
            for (let l = 0; l < N; l++) W[i * N + l] += err * traj.caches[e].s[r0 * N + l];
            bias[i] += err;
          }
        }
      }
      assert.ok(relErr(r.grads.synthesiser.W.data, W, 1e-12) < 1e-9, `W: ${relErr(r.grads.synthesiser.W.data, W)}`);
      assert.ok(relErr(r.grads.synthesiser.b.data, bias, 1e-12) < 1e-9, `b: ${relErr(r.grads.synthesiser.b.data, bias)}`);
    }),
    { numRuns: RUNS },
  );
});

test('n-step SG with σ = 0 and tbptt agree on the cell; the readout gradient is the true one for every method', () => {
  fc.assert(
    fc.property(caseArb(), fc.integer({ min: 1, max: 4 }), (c, n) => {
      const m = makeModel(c);
      const batch = makeBatch(c);
      const sg = trainSequence(createLearner('sg', m, { loss: c.loss, truncation: n, gamma: 0.9, sgScale: 0 }), batch);
      const tb = trainSequence(createLearner('tbptt', m, { loss: c.loss, truncation: n }), batch);
      assert.ok(groupsErr(sg.grads, tb.grads, ['cell', 'readout'], 1e-12) < 1e-12);
      const full = bptt(m, batch);
      for (const method of ['bp-lambda', 'lambda-sg'] as const) {
        const r = trainSequence(createLearner(method, m, { loss: c.loss, lambda: 0.5, gamma: 0.5 }), batch);
        for (const k of Object.keys(full.readout)) assert.ok(relErr(r.grads.readout[k].data, full.readout[k].data, 1e-12) < 1e-12);
      }
    }),
    { numRuns: RUNS },
  );
});

test('createLearner validates its method and options', () => {
  const c = { kind: { cell: 'rnn' as const, activation: 'tanh' as const }, I: 2, H: 2, O: 1, B: 1, T: 2, loss: 'mse' as const, seed: 1, targets: 'all' as const };
  const m = makeModel(c);
  assert.throws(() => createLearner('e-prop' as never, m, { loss: 'mse' } as never), /createLearner: method: expected one of "bptt", "tbptt", "sg", "bp-lambda", "lambda-sg", "rtrl", received "e-prop"/);
  assert.throws(() => createLearner('tbptt', m, { loss: 'mse' } as never), /tbptt: truncation: expected an integer ≥ 1, received undefined/);
  assert.throws(() => createLearner('tbptt', m, { loss: 'mse', truncation: 0 }), /truncation: expected an integer ≥ 1, received 0/);
  assert.throws(() => createLearner('sg', m, { loss: 'mse', truncation: 2.5, gamma: 1 }), /truncation: expected an integer ≥ 1, received 2.5/);
  assert.throws(() => createLearner('sg', m, { loss: 'mse', truncation: 2, gamma: 2 }), /gamma: expected a number in \[0, 1\], received 2/);
  assert.throws(() => createLearner('lambda-sg', m, { loss: 'mse', lambda: -1, gamma: 1 }), /lambda: expected a number in \[0, 1\], received -1/);
  assert.throws(() => createLearner('bptt', m, { loss: 'mse', truncation: 3 } as never), /full BPTT takes none/);
  assert.throws(() => createLearner('rtrl', m, { loss: 'mse', lambda: 1 } as never), /unknown option "lambda"/);
});
