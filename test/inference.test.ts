import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Predictor, predict } from '../src/inference.ts';
import { createModel, type Model } from '../src/model/model.ts';
import { Rng } from '../src/rng.ts';
import { alloc, type Arr } from '../src/tensor/dtype.ts';
import { CELL_KINDS, type CellKind } from './helpers.ts';

function model(kind: CellKind, I: number, H: number, O: number, seed: number): Model {
  return createModel({ ...kind, inputSize: I, hiddenSize: H, outputSize: O, seed });
}

function inputs(T: number, B: number, I: number, seed: number): Float64Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: T }, () => Float64Array.from({ length: B * I }, () => rng.uniform(-2, 2)));
}

/** Examples b of a B×w row-major array, as a B=1 array. */
const row = (a: Arr, b: number, w: number) => a.slice(b * w, (b + 1) * w);

test('predict: a vanilla RNN against its equations written out here (h_t = φ(W_ih x_t + W_hh h_{t−1} + b), ŷ_t = W h_t + b_out)', () => {
  for (const activation of ['tanh', 'relu', 'identity', 'sigmoid'] as const) {
    const m = model({ cell: 'rnn', activation } as CellKind, 3, 4, 2, 11);
    const xs = inputs(6, 2, 3, 5);
    const { outputs, states } = predict(m, xs, { states: true });
    const { W_ih, W_hh, b } = m.cell.params;
    const phi = { tanh: Math.tanh, relu: (a: number) => Math.max(0, a), identity: (a: number) => a, sigmoid: (a: number) => 1 / (1 + Math.exp(-a)) }[activation];
    for (let r = 0; r < 2; r++) {
      let h = [0, 0, 0, 0];
      xs.forEach((x, t) => {
        h = h.map((_, j) => phi(b.data[j] + [0, 1, 2].reduce((s, i) => s + W_ih.data[j * 3 + i] * x[r * 3 + i], 0) + h.reduce((s, hk, k) => s + W_hh.data[j * 4 + k] * hk, 0)));
        const y = [0, 1].map((o) => m.readout.params.b.data[o] + h.reduce((s, hk, k) => s + m.readout.params.W.data[o * 4 + k] * hk, 0));
        for (let j = 0; j < 4; j++) assert.ok(Math.abs(states![t][r * 4 + j] - h[j]) < 1e-14, `${activation} h[${t}]`);
        for (let o = 0; o < 2; o++) assert.ok(Math.abs(outputs[t][r * 2 + o] - y[o]) < 1e-14, `${activation} ŷ[${t}]`);
      });
    }
  }
});

test('Predictor: stepping a stream equals predict over the whole sequence; examples of a batch are independent; a split sequence continues from its state', () => {
  fc.assert(
    fc.property(fc.constantFrom(...CELL_KINDS), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 6 }), fc.integer(), (kind, I, H, B, T, seed) => {
      const m = model(kind, I, H, 2, seed);
      const xs = inputs(T, B, I, seed);
      const whole = predict(m, xs, { states: true });
      const p = new Predictor(m, B);
      xs.forEach((x, t) => {
        const r = p.step(x);
        assert.deepEqual(r.output, whole.outputs[t]);
        assert.deepEqual(r.state, whole.states![t]);
      });
      assert.equal(p.steps, T);
      assert.deepEqual(p.state(), whole.states![T - 1]);
      // each example alone gives its row of the batch
      const n = m.stateSize;
      for (let b = 0; b < B; b++) {
        const one = predict(m, xs.map((x) => row(x, b, I)), { states: true });
        for (let t = 0; t < T; t++) assert.deepEqual(one.outputs[t], row(whole.outputs[t], b, 2));
      }
      // the second half from the state the first half ended in
      const cut = T >> 1;
      const first = predict(m, xs.slice(0, cut), { states: true });
      const rest = predict(m, xs.slice(cut), { initialState: first.states![cut - 1] });
      assert.deepEqual(rest.outputs, whole.outputs.slice(cut));
      // reset starts again from zero, and a new batch size is taken
      p.reset();
      assert.deepEqual(p.step(xs[0]).output, whole.outputs[0]);
      p.reset(1);
      assert.equal(p.batchSize, 1);
      assert.ok(p.state().every((v) => v === 0) && p.state().length === n);
    }),
    { numRuns: 40 },
  );
});

test('predict takes a SeqBatch (its x) and float32 inputs; a float32 model computes in float32', () => {
  const m = model({ cell: 'gru' }, 2, 3, 1, 3);
  const xs = inputs(4, 2, 2, 9);
  const batch = { T: 4, B: 2, inputSize: 2, outputSize: 1, loss: 'mse' as const, x: xs, y: xs.map(() => null) };
  assert.deepEqual(predict(m, batch).outputs, predict(m, xs).outputs);
  const f32 = xs.map((x) => Float32Array.from(x));
  assert.deepEqual(predict(m, f32).outputs, predict(m, f32.map((x) => Float64Array.from(x))).outputs);
  const m32 = createModel({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 3, dtype: 'float32' });
  assert.ok(predict(m32, xs).outputs[0] instanceof Float32Array);
});

test('Predictor and predict: wrong arguments are refused, naming the argument, the expected and the received value, and the state is unchanged', () => {
  const m = model({ cell: 'lstm' }, 2, 3, 1, 1);
  const p = new Predictor(m, 2);
  const x = new Float64Array(4).fill(0.5);
  p.step(x);
  const before = p.state();
  assert.throws(() => p.step(new Float64Array(3)), /^Error: Predictor.step: x \(batch 2 × inputSize 2\): expected length 4, received length 3$/);
  assert.throws(() => p.step(Float64Array.of(1, NaN, 0, 0)), /^Error: Predictor.step: x \(batch 2 × inputSize 2\): expected finite values, received NaN at index 1$/);
  assert.throws(() => p.step([1, 2, 3, 4] as never), /expected a Float64Array or Float32Array of length 4, received an array of length 4$/);
  assert.deepEqual(p.state(), before);
  assert.equal(p.steps, 1);
  assert.throws(() => p.reset(0), /^Error: Predictor.reset: batchSize: expected an integer ≥ 1, received 0$/);
  assert.throws(() => p.reset(2, new Float64Array(3)), /^Error: Predictor.reset: initialState \(batch 2 × stateSize 6\): expected length 12, received length 3$/);
  assert.deepEqual(p.state(), before, 'a refused reset changes nothing');
  assert.throws(() => new Predictor({} as never), /^Error: Predictor: model: expected a Model \(createModel, modelFromJson, modelFromStateDict\), received an object with keys \[\]$/);
  assert.throws(() => predict(m, []), /^Error: predict: input: expected at least one step, received an empty sequence$/);
  assert.throws(() => predict(m, 'x' as never), /^Error: predict: input: expected an array of T ≥ 1 steps x_t \(B×I typed arrays\) or a SeqBatch, received "x"$/);
  assert.throws(() => predict(m, [new Float64Array(3)]), /^Error: predict: input\[0\]: expected a Float64Array or Float32Array of B×I values \(inputSize I = 2, B ≥ 1\), received Float64Array of length 3$/);
  assert.throws(() => predict(m, [x, new Float64Array(2)]), /^Error: predict: input\[1\]: x \(batch 2 × inputSize 2\): expected length 4, received length 2$/);
  assert.throws(() => predict(m, [x], { state: true } as never), /^Error: predict: options: unknown option "state" \(known: states, initialState, lengths\)$/);
  assert.throws(() => predict(m, [x], { states: 1 as never }), /^Error: predict: options.states: expected a boolean, received 1$/);
});

test('Predictor: a step whose state is not finite (a diverging model) throws and leaves the state as it was', () => {
  const m = model({ cell: 'rnn', activation: 'relu' } as CellKind, 1, 2, 1, 1);
  m.cell.params.W_hh.data.fill(1e308);
  m.cell.params.b.data.fill(1);
  const p = new Predictor(m);
  const x = alloc('float64', 1);
  p.step(x); // h_1 = relu(b) = 1
  const before = p.state();
  assert.throws(() => p.step(x), /^Error: Predictor.step: step 1: the (output ŷ_t|state s_t) is not finite \(Infinity at index \d\): the model diverges on this input; the state is unchanged$/);
  assert.deepEqual(p.state(), before);
  assert.equal(p.steps, 1);
});

test('Predictor reads the model\'s current parameters at every step (it sees a learner\'s updates)', () => {
  const m = model({ cell: 'gru' }, 1, 2, 1, 4);
  const p = new Predictor(m);
  const x = new Float64Array([1]);
  const a = p.step(x).output[0];
  p.reset();
  m.readout.params.b.data[0] += 1;
  assert.ok(Math.abs(p.step(x).output[0] - (a + 1)) < 1e-15);
});
