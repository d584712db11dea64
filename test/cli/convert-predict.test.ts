import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConvert } from '../../src/cli/convert.ts';
import { runPredict } from '../../src/cli/predict.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { modelToJson } from '../../src/io/model-json.ts';
import { createModel } from '../../src/model/model.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const golden = fileURLToPath(new URL('../fixtures/golden/state-dict/', import.meta.url));
const CELLS = ['rnn', 'lstm', 'gru'];

const tmp = () => mkdtempSync(join(tmpdir(), 'bpl-convert-'));
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
const convert = (...args: string[]) => runConvert(args, () => {});
function predictJson(...args: string[]): { outputs: number[][][]; states: number[][][] } {
  let out = '';
  runPredict(args, (s) => (out += s));
  return JSON.parse(out);
}

/** The golden input as an X.json without y and loss; returns its path. */
function inputFile(dir: string, c: string): string {
  const path = join(dir, `${c}-x.json`);
  writeFileSync(path, JSON.stringify({ x: readJson(join(golden, c, 'expected.json')).x }));
  return path;
}

/** max relative error (|want| floored at 1e-3) of the predictions against PyTorch's outputs and h. */
function errors(got: { outputs: number[][][]; states: number[][][] }, c: string): number {
  const exp = readJson(join(golden, c, 'expected.json'));
  let e = 0;
  const cmp = (a: number, b: number) => (e = Math.max(e, Math.abs(a - b) / Math.max(1e-3, Math.abs(b))));
  exp.outputs.forEach((yt: number[][], t: number) => yt.forEach((yb, b) => yb.forEach((v, o) => cmp(got.outputs[t][b][o], v))));
  exp.h.forEach((ht: number[][], t: number) => ht.forEach((hb, b) => hb.forEach((v, j) => cmp(got.states[t][b][j], v))));
  return e;
}

for (const c of CELLS) {
  for (const [file, tol] of [['state_dict.json', 1e-12], ['model.f64.safetensors', 1e-12], ['model.f32.safetensors', 1e-4]] as const) {
    test(`convert ${c}/${file} to model JSON, then predict: PyTorch's outputs and hidden states (≤ ${tol} relative)`, () => {
      const dir = tmp();
      const model = join(dir, 'model.json');
      convert('--from', join(golden, c, file), '--to', model);
      assert.equal(readJson(model).cell.type, c);
      const got = predictJson('--model', model, '--input', inputFile(dir, c));
      const exp = readJson(join(golden, c, 'expected.json'));
      assert.equal(got.outputs.length, exp.x.length);
      assert.equal(got.states[0][0].length, c === 'lstm' ? 8 : 4, 'n = 2H for the LSTM');
      assert.ok(errors(got, c) <= tol, `${errors(got, c)}`);
      // predict reads the PyTorch file itself too
      assert.ok(errors(predictJson('--model', join(golden, c, file), '--input', inputFile(dir, c)), c) <= tol);
    });
  }
}

test('convert: model JSON → safetensors → model JSON and → state_dict JSON → model JSON give back the same model JSON', () => {
  const dir = tmp();
  for (const kind of [{ cell: 'rnn', activation: 'relu' }, { cell: 'lstm' }, { cell: 'gru' }] as const) {
    const m = createModel({ ...kind, inputSize: 3, hiddenSize: 4, outputSize: 2, seed: 5 });
    m.synthesiser.params.b.data.fill(0.25);
    m.synthesiser.setTargetScale(0.5);
    const model = join(dir, `${kind.cell}.json`);
    writeFileSync(model, JSON.stringify(modelToJson(m)));
    for (const via of ['st.safetensors', 'sd.json']) {
      convert('--from', model, '--to', join(dir, via));
      // a state_dict JSON cannot record nn.RNN's nonlinearity: it is given on reading
      convert('--from', join(dir, via), '--to', join(dir, `back-${via}.json`), ...(via === 'sd.json' && kind.cell === 'rnn' ? ['--nonlinearity', 'relu'] : []));
      assert.deepEqual(readJson(join(dir, `back-${via}.json`)), readJson(model), `${kind.cell} via ${via}`);
    }
    const sd = readJson(join(dir, 'sd.json'));
    assert.equal(sd['synthesiser.target_scale'], 0.5, 'ρ as a 0-d tensor');
    convert('--from', model, '--to', join(dir, 'plain.safetensors'), '--no-synthesiser', '--prefix', 'lstm.', '--readout-prefix', 'fc.');
    const { tensors, metadata } = readSafetensors(readFileSync(join(dir, 'plain.safetensors')));
    assert.deepEqual(Object.keys(tensors), ['lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_ih_l0', 'lstm.bias_hh_l0', 'fc.weight', 'fc.bias']);
    assert.equal(tensors['fc.weight'].dtype, 'float64');
    assert.equal(metadata.nonlinearity, kind.cell === 'rnn' ? 'relu' : undefined);
    // --dtype float32 writes F32; --to-format chooses a state_dict JSON for a .json target
    convert('--from', model, '--to', join(dir, 'f32.safetensors'), '--dtype', 'float32');
    assert.equal(readSafetensors(readFileSync(join(dir, 'f32.safetensors'))).tensors['rnn.weight_hh_l0'].dtype, 'float32');
    convert('--from', join(dir, 'st.safetensors'), '--to', join(dir, 'sd2.json'), '--to-format', 'state-dict-json');
    assert.deepEqual(readJson(join(dir, 'sd2.json')), sd);
  }
});

test('convert reads nn.RNN\'s nonlinearity from --nonlinearity, the file cannot tell it; --cell is checked against the gate count', () => {
  const dir = tmp();
  const from = join(golden, 'rnn', 'state_dict.json');
  convert('--from', from, '--to', join(dir, 'relu.json'), '--nonlinearity', 'relu', '--cell', 'rnn');
  convert('--from', from, '--to', join(dir, 'tanh.json'));
  assert.equal(readJson(join(dir, 'relu.json')).cell.activation, 'relu');
  assert.equal(readJson(join(dir, 'tanh.json')).cell.activation, 'tanh');
  assert.throws(() => convert('--from', from, '--to', join(dir, 'x.json'), '--cell', 'gru'), /but options.cell is "gru" \(3H rows\)$/);
  assert.throws(() => convert('--from', from, '--to', join(dir, 'x.json'), '--nonlinearity', 'sigmoid'), /^Error: convert: --nonlinearity: expected one of "tanh", "relu", received "sigmoid"$/);
});

test('convert and predict: errors name the argument, and no output file is written', () => {
  const dir = tmp();
  const model = join(golden, 'gru', 'model.f64.safetensors');
  const x = inputFile(dir, 'gru');
  const out = join(dir, 'out.json');
  const cases: [() => void, RegExp][] = [
    [() => convert('--to', out), /^Error: convert: --from is required/],
    [() => convert('--from', model, '--to', join(dir, 'm.bin')), /^Error: convert: --to .*m.bin: cannot tell the format from the extension "\.bin" \(expected \.json or \.safetensors\); give --to-format model-json \| state-dict-json \| safetensors$/],
    [() => convert('--from', model, '--to', out, '--to-format', 'onnx'), /^Error: convert: --to-format: expected one of "model-json", "state-dict-json", "safetensors", received "onnx"$/],
    [() => convert('--from', model, '--to', model), /^Error: convert: --to .* is the --from file/],
    [() => convert('--from', join(dir, 'missing.safetensors'), '--to', out), /^Error: --from .*missing.safetensors: cannot read ".*missing.safetensors" \(ENOENT\)$/],
    [() => convert('--from', model, '--to', out, '--dtype', 'float16'), /^Error: convert: --dtype: expected "float64" or "float32", received "float16"$/],
    [() => convert('--from', model, '--to', out, '--cell', 'rnn2'), /^Error: convert: --cell: expected one of "rnn", "lstm", "gru", received "rnn2"$/],
    [() => predict('--model', model), /^Error: predict: --input is required/],
    [() => predict('--model', model, '--input', x, '--out', x), /^Error: predict: --out .* is the --input file/],
    [() => predict('--model', join(golden, 'lstm', 'model.f64.safetensors'), '--input', x, '--extra'), /^Error: predict: unknown option --extra/],
  ];
  for (const [run, message] of cases) assert.throws(run, message);
  // a malformed model, an input of the wrong width, a partial batch
  const truncated = join(dir, 'cut.safetensors');
  writeFileSync(truncated, readFileSync(model).subarray(0, 100));
  assert.throws(() => predict('--model', truncated, '--input', x), /^Error: --model .*cut.safetensors: header length: expected at most 92 bytes/);
  const wide = join(dir, 'wide.json');
  writeFileSync(wide, JSON.stringify({ x: [[[1, 2]]] }));
  assert.throws(() => predict('--model', model, '--input', wide), /^Error: predict: --input .*wide.json: x has 2 inputs per example, the model expects inputSize 3$/);
  const partial = join(dir, 'partial.json');
  writeFileSync(partial, JSON.stringify({ x: [[[1, 2, 3]]], y: [[[0, 1]]] }));
  assert.throws(() => predict('--model', model, '--input', partial), /^Error: predict: --input .*partial.json: loss: expected .* with y/);
  const layered = join(dir, 'l1.json');
  writeFileSync(layered, JSON.stringify({ ...readJson(join(golden, 'gru', 'state_dict.json')), 'rnn.weight_ih_l1': [[1]] }));
  assert.throws(() => convert('--from', layered, '--to', out), /^Error: --from .*l1.json: rnn.weight_ih_l1: a module with more than one layer/);
  assert.throws(() => convert('--from', join(golden, 'gru', 'expected.json'), '--to', out), /^Error: --from .*expected.json: module: expected nested arrays of finite numbers \(or a number\), received \"Net: rnn = nn.GRU/);
  assert.equal(existsSync(out), false);
  // a batch JSON with its targets is read whole, and its targets are ignored
  const full = join(dir, 'full.json');
  const exp = readJson(join(golden, 'gru', 'expected.json'));
  writeFileSync(full, JSON.stringify({ x: exp.x, y: exp.outputs, loss: 'mse' }));
  assert.deepEqual(predictJson('--model', model, '--input', full), predictJson('--model', model, '--input', x));
});

function predict(...args: string[]): void {
  runPredict(args, () => {});
}

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
}

test('the command line: convert then predict write their files atomically and exit 0; an error exits 1, leaving the old file untouched; each has its --help', () => {
  const dir = tmp();
  const st = join(dir, 'lstm.safetensors');
  copyFileSync(join(golden, 'lstm', 'model.f32.safetensors'), st);
  const model = join(dir, 'model.json');
  let r = cli(['convert', '--from', st, '--to', model]);
  assert.equal(r.status, 0, r.stderr);
  const out = join(dir, 'p.json');
  r = cli(['predict', '--model', model, '--input', inputFile(dir, 'lstm'), '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.ok(errors(readJson(out), 'lstm') < 1e-4);
  const before = readFileSync(out, 'utf8');
  r = cli(['predict', '--model', join(golden, 'gru', 'state_dict.json'), '--input', inputFile(dir, 'lstm'), '--out', out, '--prefix', 'gru.']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^bp-lambda predict: error: --model .*state_dict.json: rnn.weight_ih_l0: unknown key; expected a single-layer nn.RNN, nn.LSTM or nn.GRU under "gru."/);
  assert.equal(readFileSync(out, 'utf8'), before);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  for (const cmd of ['convert', 'predict']) {
    r = cli([cmd, '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`^Usage: bp-lambda ${cmd} --`));
  }
  r = cli(['--help']);
  assert.match(r.stdout, /\n {2}convert {3}convert a model: model JSON ⇄ PyTorch state_dict/);
  assert.match(r.stdout, /\n {2}predict {3}outputs and states of a model/);
});

test('convert: a --to-format that contradicts the --to extension is refused, nothing written; a batch JSON as --from (or predict --model) is named as a batch', () => {
  const dir = tmp();
  const model = join(dir, 'model.json');
  writeFileSync(model, JSON.stringify(modelToJson(createModel({ cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 3 }))));
  assert.throws(() => convert('--from', model, '--to', join(dir, 'out.safetensors'), '--to-format', 'state-dict-json'), /^Error: convert: --to-format state-dict-json disagrees with --to .*out\.safetensors: a \.safetensors file holds safetensors/);
  assert.throws(() => convert('--from', model, '--to', join(dir, 'out.json'), '--to-format', 'safetensors'), /^Error: convert: --to-format safetensors disagrees with --to .*out\.json: a \.json file holds JSON/);
  assert.deepEqual(readdirSync(dir), ['model.json'], 'nothing written');
  // an extension that says nothing is fine with --to-format
  convert('--from', model, '--to', join(dir, 'out.bin'), '--to-format', 'safetensors');
  assert.ok(readSafetensors(readFileSync(join(dir, 'out.bin'))));
  const batch = join(dir, 'batch.json');
  writeFileSync(batch, JSON.stringify({ x: [[[1, 2]]], y: [[[0.5]]], loss: 'mse' }));
  assert.throws(() => convert('--from', batch, '--to', join(dir, 'm.json')), /^Error: --from .*batch\.json: this is a batch JSON \(keys x, y, loss\), not a model: give a model JSON, a state_dict JSON or a \.safetensors file$/);
  assert.throws(() => predictJson('--model', batch, '--input', batch), /--model .*batch\.json: this is a batch JSON/);
});

test('predict --input: y and loss are optional independently: x alone or x with a loss predict; y without a loss is refused naming loss; a bad loss is named', () => {
  const dir = tmp();
  const model = join(dir, 'model.json');
  writeFileSync(model, JSON.stringify(modelToJson(createModel({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 3 }))));
  const input = (o: object) => {
    const p = join(dir, `in-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(p, JSON.stringify(o));
    return p;
  };
  const x = [[[1, 2]], [[0, 1]]];
  const alone = predictJson('--model', model, '--input', input({ x }));
  assert.equal(alone.outputs.length, 2);
  assert.deepEqual(predictJson('--model', model, '--input', input({ x, loss: 'mse' })), alone);
  assert.deepEqual(predictJson('--model', model, '--input', input({ x, y: [null, [[0.5]]], loss: 'mse' })), alone);
  assert.throws(() => predictJson('--model', model, '--input', input({ x, y: [null, [[0.5]]] })), /^Error: predict: --input .*: loss: expected "mse" \| "softmax-ce" \| "sigmoid-bce" with y \(its targets are checked against the loss\), received none/);
  assert.throws(() => predictJson('--model', model, '--input', input({ x, loss: 'hinge' })), /^Error: predict: --input .*: loss: expected one of "mse", "softmax-ce", "sigmoid-bce", received "hinge"/);
});
