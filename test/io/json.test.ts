import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { caseArb, makeBatch, makeModel, relErr, RUNS } from '../helpers.ts';
import { modelFromJson, modelFromJsonText, modelToJson } from '../../src/io/model-json.ts';
import { batchFromJson, batchFromJsonText, batchToJson } from '../../src/io/batch-json.ts';
import { bptt } from '../../src/learners/bptt.ts';

test('model JSON round-trip is exact (every bit of every weight)', () => {
  fc.assert(
    fc.property(caseArb(), (c) => {
      const m = makeModel(c);
      const text = JSON.stringify(modelToJson(m));
      const back = modelFromJsonText(text);
      assert.equal(JSON.stringify(modelToJson(back)), text);
      for (const g of ['cell', 'readout', 'synthesiser'] as const)
        for (const [k, t] of Object.entries(m.groups()[g])) assert.deepEqual(back.groups()[g][k].data, t.data);
      assert.equal(back.cell.type, m.cell.type);
      assert.deepEqual(back.cell.options, m.cell.options);
    }),
    { numRuns: RUNS },
  );
});

test('batch JSON round-trip is exact', () => {
  fc.assert(
    fc.property(caseArb(), (c) => {
      const b = makeBatch(c);
      const back = batchFromJson(JSON.parse(JSON.stringify(batchToJson(b))));
      assert.equal(back.T, b.T);
      assert.equal(back.loss, b.loss);
      for (let t = 0; t < b.T; t++) {
        assert.deepEqual(Array.from(back.x[t]), Array.from(b.x[t]));
        assert.deepEqual(back.y[t] && Array.from(back.y[t]!), b.y[t] && Array.from(b.y[t]!));
      }
    }),
    { numRuns: RUNS },
  );
});

const good = () => JSON.parse(readFileSync(new URL('../fixtures/golden/rnn-tanh-mse/model.json', import.meta.url), 'utf8'));
const goodLstm = () => JSON.parse(readFileSync(new URL('../fixtures/golden/lstm-mse/model.json', import.meta.url), 'utf8'));
const goodGru = () => JSON.parse(readFileSync(new URL('../fixtures/golden/gru-mse/model.json', import.meta.url), 'utf8'));
const goodBatch = () => JSON.parse(readFileSync(new URL('../fixtures/golden/rnn-tanh-mse/batch.json', import.meta.url), 'utf8'));

test('invalid model JSON gives errors naming the field, the expected and the received value', () => {
  const cases: [string, (m: any) => void, RegExp][] = [
    ['wrong W_hh shape', (m) => (m.cell.W_hh = [[1, 2, 3]]), /model\.cell\.W_hh: expected an array of shape \[3, 3\]; at this level length 3, received length 1/],
    ['ragged row', (m) => m.cell.W_ih[1].pop(), /model\.cell\.W_ih\[1\]: expected an array of shape \[3, 2\]; at this level length 2, received length 1/],
    ['non-numeric', (m) => (m.cell.b[0] = '0.5'), /model\.cell\.b\[0\]: expected a finite number .*received "0\.5"/],
    ['NaN', (m) => (m.readout.W[0][0] = NaN), /model\.readout\.W\[0\]\[0\]: expected a finite number .*received NaN/],
    ['Infinity', (m) => (m.synthesiser.b[2] = Infinity), /model\.synthesiser\.b\[2\]: expected a finite number .*received Infinity/],
    ['unknown cell type', (m) => (m.cell.type = 'lru'), /model\.cell\.type: expected one of "rnn", "lstm", "gru", received "lru"/],
    ['missing option', (m) => delete m.cell.activation, /model\.cell\.activation: expected one of "identity", "tanh", "relu", "sigmoid", received undefined/],
    ['unknown activation', (m) => (m.cell.activation = 'gelu'), /model\.cell\.activation: expected one of "identity", "tanh", "relu", "sigmoid", received "gelu"/],
    ['zero size', (m) => (m.cell.hiddenSize = 0), /model\.cell\.hiddenSize: expected an integer ≥ 1, received 0/],
    ['negative size', (m) => (m.cell.inputSize = -2), /model\.cell\.inputSize: expected an integer ≥ 1, received -2/],
    ['fractional size', (m) => (m.cell.inputSize = 1.5), /model\.cell\.inputSize: expected an integer ≥ 1, received 1\.5/],
    ['missing readout', (m) => delete m.readout, /model: missing key "readout"/],
    ['unknown key', (m) => (m.cell.bias = [1]), /model\.cell: unknown key "bias"/],
    ['synthesiser of the wrong size', (m) => (m.synthesiser.W = [[1]]), /model\.synthesiser\.W: expected an array of shape \[3, 3\]/],
  ];
  for (const [what, mutate, re] of cases) {
    const m = good();
    mutate(m);
    assert.throws(() => modelFromJson(m), re, what);
  }
  const lstm = goodLstm();
  lstm.cell.W_hh = lstm.cell.W_hh.slice(0, 3);
  assert.throws(() => modelFromJson(lstm), /model\.cell\.W_hh: expected an array of shape \[12, 3\]; at this level length 12, received length 3/);
  const withAct = goodLstm();
  withAct.cell.activation = 'tanh';
  assert.throws(() => modelFromJson(withAct), /model\.cell\.activation: the lstm cell has no option "activation" \(it has no options\), received "tanh"/);
  const gru = goodGru();
  gru.cell.b = gru.cell.b_ih;
  assert.throws(() => modelFromJson(gru), /model\.cell: unknown key "b"/, 'the GRU keeps its two biases');
  const gruMerged = goodGru();
  delete gruMerged.cell.b_hh;
  assert.throws(() => modelFromJson(gruMerged), /model\.cell: missing key "b_hh"/);
  const gruShort = goodGru();
  gruShort.cell.b_ih.pop();
  assert.throws(() => modelFromJson(gruShort), /model\.cell\.b_ih: expected an array of shape \[9\]; at this level length 9, received length 8/);
  assert.throws(() => modelFromJsonText('{"cell": '), /model: malformed JSON/);
  assert.throws(() => modelFromJsonText('{"cell": NaN}'), /model: malformed JSON/);
  // a missing synthesiser is zero
  const noSynth = good();
  delete noSynth.synthesiser;
  assert.ok(modelFromJson(noSynth).synthesiser.params.W.data.every((v) => v === 0));
});

test('invalid batch JSON gives clear errors', () => {
  const cases: [string, (b: any) => void, RegExp][] = [
    ['unknown loss', (b) => (b.loss = 'hinge'), /batch\.loss: expected one of "mse", "softmax-ce", "sigmoid-bce", received "hinge"/],
    ['ragged x', (b) => b.x[2][1].pop(), /batch\.x\[2\]\[1\]: expected an array of shape \[5, 2, 2\]; at this level length 2, received length 1/],
    ['y of wrong length', (b) => b.y.pop(), /batch\.y: expected length 5 \(one entry per step of x\), received length 4/],
    ['NaN in x', (b) => (b.x[0][0][0] = NaN), /batch\.x\[0\]\[0\]\[0\]: expected a finite number/],
    ['string in y', (b) => (b.y[1][0][0] = 'a'), /batch\.y\[1\]\[0\]\[0\]: expected a finite number .*received "a"/],
    ['all targets null', (b) => (b.y = b.y.map(() => null)), /batch\.y: expected at least one step with targets, received only null/],
    ['missing loss', (b) => delete b.loss, /batch: missing key "loss"/],
  ];
  for (const [what, mutate, re] of cases) {
    const b = goodBatch();
    mutate(b);
    assert.throws(() => batchFromJson(b), re, what);
  }
  const ce = JSON.parse(readFileSync(new URL('../fixtures/golden/rnn-relu-softmax-ce/batch.json', import.meta.url), 'utf8'));
  ce.y[3][0] = [0.5, 0.2, 0.1];
  assert.throws(() => batchFromJson(ce), /batch\.y\[3\]\[0\]: softmax-ce targets must be one-hot \(summing to 1\), received a row summing to 0\.8/);
  const bce = JSON.parse(readFileSync(new URL('../fixtures/golden/lstm-sigmoid-bce/batch.json', import.meta.url), 'utf8'));
  bce.y[5][0][0] = 2;
  assert.throws(() => batchFromJson(bce), /sigmoid-bce targets must lie in \[0, 1\], received 2/);
  assert.throws(() => batchFromJsonText('[1, 2'), /batch: malformed JSON/);
});

test('float32 and float64 agree within float32 tolerance (BPTT gradients)', () => {
  fc.assert(
    fc.property(caseArb({ maxT: 5 }), (c) => {
      const json = modelToJson(makeModel(c));
      const m64 = modelFromJson(json, 'float64');
      const m32 = modelFromJson(json, 'float32');
      const batchJson = batchToJson(makeBatch(c));
      const g64 = bptt(m64, batchFromJson(batchJson, 'float64'));
      const g32 = bptt(m32, batchFromJson(batchJson, 'float32'));
      assert.ok(m32.cell.params.W_hh.data instanceof Float32Array);
      for (const k of Object.keys(g64.cell)) assert.ok(relErr(g32.cell[k].data, g64.cell[k].data, 1e-6) < 1e-3, `${k}: ${relErr(g32.cell[k].data, g64.cell[k].data)}`);
      assert.ok(Math.abs(g32.loss - g64.loss) <= 1e-4 * Math.max(1, g64.loss));
    }),
    { numRuns: RUNS },
  );
});
