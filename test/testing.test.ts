import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { batchArb, bpttReference, checkCellGradients, checkLearnerGradients, modelAndBatchArb, modelArb, oracleSynthesiserModel, perExampleReference } from '../src/testing.ts';
import { createLearner, trainSequence } from '../src/learners/index.ts';
import { CELL_TYPES } from '../src/cells/registry.ts';
import type { Cell } from '../src/cells/cell.ts';
import { Adam } from '../src/optim/adam.ts';
import { checkSeqBatch } from '../src/data/validate-batch.ts';
import { RUNS, RUNS_PER_CELL } from './helpers.ts';

/** The `bp-lambda/testing` entry: its checks pass on correct code, catch broken code, and its arbitraries give valid values. */

for (const type of CELL_TYPES) {
  test(`checkCellGradients: every derivative of the ${type} cell matches finite differences (modelArb)`, () => {
    fc.assert(
      fc.property(modelArb({ cells: [type] }), fc.integer({ min: 1, max: 1000 }), (m, seed) => {
        const r = checkCellGradients(m.cell, { seed, batch: 2 });
        // relu's kink: a finite difference across it is not a derivative
        fc.pre(r.ok || m.cell.options.activation !== 'relu');
        assert.ok(r.ok, `worst error ${r.worst} at ${r.where}: ${r.analytic} vs ${r.numeric}`);
        assert.ok(r.checked > 0);
      }),
      { numRuns: RUNS_PER_CELL },
    );
  });
}

test('checkCellGradients finds a wrong derivative and names it', () => {
  const m = fc.sample(modelArb({ cells: ['gru'], maxHidden: 3 }), { numRuns: 1, seed: 5 })[0];
  const cell = m.cell;
  // W_hn's gradient 1 % too large
  const broken: Cell = Object.assign(Object.create(Object.getPrototypeOf(cell)), cell, {
    vjpParams(cache: never, v: Float64Array, grads: Record<string, { data: Float64Array }>, scale: number) {
      cell.vjpParams(cache, v, grads as never, scale);
      for (let i = 0; i < grads.W_hh.data.length; i++) grads.W_hh.data[i] *= 1.01;
    },
  });
  const r = checkCellGradients(broken);
  assert.equal(r.ok, false);
  assert.match(r.where, /^vjpParams W_hh\[\d+\]$/);
  assert.ok(r.worst > 1e-4, `${r.worst}`);
  assert.ok(checkCellGradients(cell).ok);
  assert.throws(() => checkCellGradients({} as never), /checkCellGradients: cell: expected a Cell \(model\.cell, createCell\(\.\.\.\)\), received an object with keys \[\]/);
  assert.throws(() => checkCellGradients(fc.sample(modelArb({ dtype: 'float32' }), 1)[0].cell), /checkCellGradients: cell: expected a float64 cell \(finite differences need float64\), received a float32 cell/);
  assert.throws(() => checkCellGradients(cell, { step: 0 }), /checkCellGradients: step: expected a finite number > 0, received 0/);
  assert.throws(() => checkCellGradients(cell, { tolerence: 1 } as never), /checkCellGradients: unknown option "tolerence"/);
});

test('checkLearnerGradients: BPTT and RTRL (both computations) give the true gradient of L, with lengths; truncated BPTT does not', () => {
  fc.assert(
    fc.property(modelAndBatchArb({ maxHidden: 4, maxInput: 3 }, { maxSteps: 6, lengths: true }), ({ model, batch }) => {
      for (const l of [createLearner('bptt', model, { loss: batch.loss }), createLearner('rtrl', model, { loss: batch.loss }), createLearner('rtrl', model, { loss: batch.loss, computation: 'blocked', traceWindow: 2 })]) {
        const r = checkLearnerGradients(l, batch, { maxEntries: 6 });
        assert.ok(r.ok, `${l.method}: worst ${r.worst} at ${r.where}`);
      }
      // every method's readout gradient is the true one
      assert.ok(checkLearnerGradients(createLearner('bp-lambda', model, { loss: batch.loss, lambda: 0.5, gamma: 0.5 }), batch, { groups: ['readout'] }).ok);
    }),
    { numRuns: RUNS },
  );
  // a truncation that cuts real credit paths is caught (and named)
  const { model, batch } = fc.sample(modelAndBatchArb({ cells: ['lstm'], maxHidden: 3 }, { maxSteps: 6, targets: 'all' }).filter(({ batch }) => batch.T >= 4), { numRuns: 1, seed: 3 })[0];
  const r = checkLearnerGradients(createLearner('tbptt', model, { loss: batch.loss, truncation: 1 }), batch, { groups: ['cell'] });
  assert.equal(r.ok, false);
  assert.match(r.where, /^cell\.\w+\[\d+\]$/);
  // a learner with an optimizer is refused before it trains: the parameters stay put
  const params = () => Object.values(model.groups()).flatMap((g) => Object.values(g as Record<string, { data: ArrayLike<number> }>).flatMap((t) => Array.from(t.data)));
  const before = params();
  assert.throws(() => checkLearnerGradients(createLearner('bptt', model, { loss: batch.loss, optimizer: new Adam({ lr: 0.1 }) }), batch), /checkLearnerGradients: learner: expected a learner without an optimizer \(the check needs fixed parameters\), received one with optimizer "adam", which would step them/);
  assert.deepEqual(params(), before, 'nothing changed');
  assert.throws(() => checkLearnerGradients(createLearner('bptt', model, { loss: batch.loss }), batch, { groups: ['synthesiser'] as never }), /checkLearnerGradients: groups: expected an array of "cell" and "readout"/);
  assert.throws(() => checkLearnerGradients(null as never, batch), /checkLearnerGradients: learner: expected a Learner/);
});

test('oracleSynthesiserModel: BP(λ) with g = G (λ = γ = σ = 1) gives BPTT, with lengths, both computations', () => {
  fc.assert(
    fc.property(modelAndBatchArb({ maxHidden: 4 }, { maxSteps: 7, lengths: true }), fc.integer({ min: 1, max: 4 }), ({ model, batch }, K) => {
      const want = bpttReference(model, batch);
      const oracle = oracleSynthesiserModel(model, batch);
      for (const extra of [{}, { computation: 'blocked' as const, traceWindow: K }]) {
        const got = trainSequence(createLearner('bp-lambda', oracle, { loss: batch.loss, lambda: 1, gamma: 1, sgScale: 1, regime: 'per-sequence', ...extra }), batch);
        for (const k of Object.keys(want.cell)) {
          const a = got.grads.cell[k].data;
          const b = want.cell[k].data;
          const scale = Math.max(1e-12, ...Array.from(b, Math.abs));
          for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-9 * scale, `${k}[${i}]: ${a[i]} vs ${b[i]}`);
        }
      }
    }),
    { numRuns: RUNS },
  );
});

test('perExampleReference from lengths equals trainSequence on the batch; batchArb gives valid batches', () => {
  fc.assert(
    fc.property(modelAndBatchArb({ maxHidden: 3 }, { maxSteps: 6, lengths: true }), ({ model, batch }) => {
      checkSeqBatch(batch, model, 'batch');
      const make = () => createLearner('lambda-sg', model, { loss: batch.loss, lambda: 0.5, gamma: 0.9 });
      const want = perExampleReference(make, batch);
      const got = trainSequence(make(), batch);
      assert.ok(Math.abs(got.loss - want.loss) <= 1e-12 * Math.max(1, Math.abs(want.loss)));
      for (const g of ['cell', 'readout', 'synthesiser'] as const)
        for (const k of Object.keys(want.grads[g])) {
          const a = got.grads[g][k].data;
          const b = want.grads[g][k].data;
          for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-10 * Math.max(1, Math.abs(b[i])), `${g}.${k}[${i}]`);
        }
    }),
    { numRuns: RUNS },
  );
  assert.throws(() => batchArb({ inputSize: 0, outputSize: 1 }), /batchArb: sizes\.inputSize: expected an integer ≥ 1, received 0/);
  assert.throws(() => modelArb({ cells: ['transformer' as never] }), /modelArb: cells: expected registered cell types/);
  assert.throws(() => perExampleReference(null as never, fc.sample(batchArb({ inputSize: 1, outputSize: 1 }), 1)[0]), /perExampleReference: make: expected a function returning a fresh Learner, received null/);
});
