import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGrads } from '../../src/cli/grads.ts';
import { relErr } from '../helpers.ts';

const golden = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const CASES = ['rnn-tanh-mse', 'rnn-relu-softmax-ce', 'lstm-mse', 'lstm-sigmoid-bce', 'gru-mse', 'gru-softmax-ce'];
const root = fileURLToPath(new URL('../../', import.meta.url));

function grads(args: string[]): Record<string, any> {
  let out = '';
  runGrads(args, (s) => (out += s));
  return JSON.parse(out);
}

/** Every number of `want` matches `got` to `tol` relative, and both have the same keys. */
function assertClose(got: any, want: any, tol: number, path = ''): void {
  if (typeof want === 'number') {
    assert.equal(typeof got, 'number', path);
    assert.ok(Math.abs(got - want) <= tol * Math.max(1e-3, Math.abs(want)), `${path}: ${got} vs ${want}`);
    return;
  }
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got) && got.length === want.length, `${path}: length`);
    want.forEach((w, i) => assertClose(got[i], w, tol, `${path}[${i}]`));
    return;
  }
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${path}: keys`);
  for (const k of Object.keys(want)) assertClose(got[k], want[k], tol, `${path}.${k}`);
}

for (const name of CASES) {
  test(`grads --method bptt matches the float64 autodiff golden file (${name})`, () => {
    const got = grads(['--model', join(golden, name, 'model.json'), '--batch', join(golden, name, 'batch.json'), '--method', 'bptt']);
    assertClose(got, JSON.parse(readFileSync(join(golden, name, 'bptt.json'), 'utf8')), 1e-12);
  });
  for (const [lambda, gamma, sg] of [['0.5', '0.9', '0.1'], ['1.0', '1.0', '1.0']]) {
    // bp-lambda with both trace computations (the blocked one folding every 2 steps, so the
    // golden sequences cross several folds), and lambda-sg (the offline oracle)
    const variants: [string, string[]][] = [
      ['bp-lambda', []],
      ['bp-lambda', ['--computation', 'blocked', '--trace-window', '2']],
      ['lambda-sg', []],
    ];
    for (const [method, extra] of variants) {
      test(`grads --method ${method} ${extra.join(' ')} λ=${lambda} γ=${gamma} σ=${sg} matches the golden file (${name})`, () => {
        const got = grads(['--model', join(golden, name, 'model.json'), '--batch', join(golden, name, 'batch.json'), '--method', method, '--lambda', lambda, '--gamma', gamma, '--sg-scale', sg, ...extra]);
        assertClose(got, JSON.parse(readFileSync(join(golden, name, `bp-lambda_lambda${lambda}_gamma${gamma}_sg${sg}.json`), 'utf8')), 1e-12);
      });
    }
  }
}

for (const name of CASES) {
  test(`grads --method tbptt with n ≥ T, rtrl and sg with n ≥ T reproduce the BPTT cell gradient (${name})`, () => {
    const args = ['--model', join(golden, name, 'model.json'), '--batch', join(golden, name, 'batch.json')];
    const want = JSON.parse(readFileSync(join(golden, name, 'bptt.json'), 'utf8'));
    const T = JSON.parse(readFileSync(join(golden, name, 'batch.json'), 'utf8')).x.length;
    for (const extra of [['--method', 'tbptt', '--truncation', String(T)], ['--method', 'rtrl'], ['--method', 'rtrl', '--computation', 'blocked', '--trace-window', '2'], ['--method', 'sg', '--truncation', String(T + 1), '--gamma', '0.9']]) {
      const got = grads([...args, ...extra]);
      assert.deepEqual(Object.keys(got.cell), Object.keys(want.cell));
      for (const k of Object.keys(want.cell)) assert.ok(relErr(got.cell[k].flat(), want.cell[k].flat()) < 1e-10, `${extra.join(' ')} ${k}`);
    }
  });
}

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8' });
}

test('grads --trace-window 1000000000 (a window that never folds) exits 0 with the golden gradients', () => {
  const name = 'lstm-mse';
  const r = cli(['grads', '--model', join(golden, name, 'model.json'), '--batch', join(golden, name, 'batch.json'), '--method', 'bp-lambda', '--lambda', '0.5', '--gamma', '0.9', '--sg-scale', '0.1', '--computation', 'blocked', '--trace-window', '1000000000']);
  assert.equal(r.status, 0, r.stderr.slice(0, 400));
  assertClose(JSON.parse(r.stdout), JSON.parse(readFileSync(join(golden, name, 'bp-lambda_lambda0.5_gamma0.9_sg0.1.json'), 'utf8')), 1e-12);
});

test('the command line writes the output file atomically (a new file renamed over the old one) and exits 0', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpl-'));
  const out = join(dir, 'g.json');
  // an existing output with a second name: a write in place would change what that name reads
  writeFileSync(out, 'old\n');
  linkSync(out, join(dir, 'old.json'));
  const oldInode = statSync(out).ino;
  const r = cli(['grads', '--model', join(golden, 'rnn-tanh-mse/model.json'), '--batch', join(golden, 'rnn-tanh-mse/batch.json'), '--method', 'bptt', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assertClose(JSON.parse(readFileSync(out, 'utf8')), JSON.parse(readFileSync(join(golden, 'rnn-tanh-mse/bptt.json'), 'utf8')), 1e-12);
  assert.equal(readFileSync(join(dir, 'old.json'), 'utf8'), 'old\n', 'the old file was replaced, not rewritten');
  assert.notEqual(statSync(out).ino, oldInode, 'the output is a new file');
  assert.deepEqual(readdirSync(dir).sort(), ['g.json', 'old.json'], 'no temporary file left');
});

test('the command line rejects bad input with a clear message, a non-zero exit and no output file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpl-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"cell": {"type": "rnn"');
  const ragged = join(dir, 'ragged.json');
  const m = JSON.parse(readFileSync(join(golden, 'rnn-tanh-mse/model.json'), 'utf8'));
  m.cell.W_hh[0].push(1);
  writeFileSync(ragged, JSON.stringify(m));
  const model = join(golden, 'rnn-tanh-mse/model.json');
  const batch = join(golden, 'rnn-tanh-mse/batch.json');
  const wrongBatch = join(golden, 'lstm-sigmoid-bce/batch.json');
  const out = join(dir, 'never.json');
  const cases: [string[], RegExp][] = [
    [['--model', bad, '--batch', batch, '--method', 'bptt'], /--model .*bad\.json: malformed JSON/],
    [['--model', ragged, '--batch', batch, '--method', 'bptt'], /cell\.W_hh\[0\]: expected an array of shape \[3, 3\]; at this level length 3, received length 4/],
    [['--model', model, '--batch', batch, '--method', 'eprop'], /--method: expected one of "bptt", "tbptt", "sg", "bp-lambda", "lambda-sg", "rtrl", received "eprop"/],
    [['--model', model, '--batch', batch, '--method', 'bp-lambda', '--lambda', '1.2'], /--lambda: expected a number in \[0, 1\], received 1\.2/],
    [['--model', model, '--batch', batch, '--method', 'bp-lambda', '--gamma', 'abc'], /--gamma: expected a finite number \(decimal, or a fraction p\/q\), received "abc"/],
    [['--model', model, '--batch', batch, '--method', 'tbptt'], /--truncation is required for --method tbptt/],
    [['--model', model, '--batch', batch, '--method', 'tbptt', '--truncation', '0'], /--truncation: expected an integer ≥ 1, received 0/],
    [['--model', model, '--batch', batch, '--method', 'bptt', '--lamda', '1'], /unknown option --lamda/],
    [['--model', model, '--batch', wrongBatch, '--method', 'bptt'], /x has 3 inputs per example, the model expects inputSize 2/],
    [['--model', join(dir, 'missing.json'), '--batch', batch, '--method', 'bptt'], /--model: cannot read .*missing\.json.*ENOENT/],
    [['--batch', batch, '--method', 'bptt'], /--model is required/],
  ];
  for (const [args, re] of cases) {
    const r = cli(['grads', ...args, '--out', out]);
    assert.equal(r.status, 1, `${args.join(' ')}: exit ${r.status}`);
    assert.match(r.stderr, re);
    assert.ok(!existsSync(out), 'no output file after an error');
  }
  const unknown = cli(['train']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "train"/);
  const help = cli(['grads', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--sg-scale/);
  assert.match(help.stdout, /cell type rnn \| lstm \| gru/);
  assert.match(help.stdout, /--lambda <number> +bp-lambda, lambda-sg: one λ in \[0, 1\]/, "grads takes one λ: its help does not offer a list");
});

test('grads refuses an --out that is its --model or --batch file (also through a symbolic link), leaving it intact', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpl-'));
  const model = join(dir, 'model.json');
  const batch = join(dir, 'batch.json');
  const modelText = readFileSync(join(golden, 'rnn-tanh-mse/model.json'), 'utf8');
  writeFileSync(model, modelText);
  writeFileSync(batch, readFileSync(join(golden, 'rnn-tanh-mse/batch.json'), 'utf8'));
  symlinkSync(model, join(dir, 'link.json'));
  for (const [out, which] of [[model, 'model'], [join(dir, '.', 'batch.json'), 'batch'], [join(dir, 'link.json'), 'model']]) {
    const r = cli(['grads', '--model', model, '--batch', batch, '--method', 'bptt', '--out', out]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`--out .* is the --${which} file: writing the gradients there would replace the input`));
  }
  assert.equal(readFileSync(model, 'utf8'), modelText);
});

test('a closed standard output (EPIPE) ends the command quietly: no stack trace, exit 0', async () => {
  const args = ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'grads', '--model', join(golden, 'lstm-mse/model.json'), '--batch', join(golden, 'lstm-mse/batch.json'), '--method', 'bp-lambda'];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // the reader goes away before anything is written
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test('grads: a model with target scale ρ and the same synthesiser function gives the same output, the synthesiser gradient times ρ', () => {
  const name = 'lstm-mse';
  const model = JSON.parse(readFileSync(join(golden, name, 'model.json'), 'utf8'));
  const rho = 0.02;
  const scaled = { ...model, synthesiser: { W: model.synthesiser.W.map((r: number[]) => r.map((v) => v * rho)), b: model.synthesiser.b.map((v: number) => v * rho), targetScale: rho } };
  const dir = mkdtempSync(join(tmpdir(), 'bpl-rho-'));
  writeFileSync(join(dir, 'model.json'), JSON.stringify(scaled));
  for (const method of ['bp-lambda', 'lambda-sg', 'sg']) {
    const extra = method === 'sg' ? ['--truncation', '2'] : ['--lambda', '0.5'];
    const args = (m: string) => ['--model', m, '--batch', join(golden, name, 'batch.json'), '--method', method, '--gamma', '0.9', '--sg-scale', '0.1', ...extra];
    const want = grads(args(join(golden, name, 'model.json')));
    const got = grads(args(join(dir, 'model.json')));
    want.synthesiser.W = want.synthesiser.W.map((r: number[]) => r.map((v) => v * rho));
    want.synthesiser.b = want.synthesiser.b.map((v: number) => v * rho);
    assertClose(got, want, 1e-12, method);
  }
});
