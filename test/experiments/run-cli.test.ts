import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/experiments/checkpoint.ts';
import { entryFolder } from '../../src/experiments/entry-run.ts';
import { sweepEntries } from '../../src/experiments/config.ts';
import { loadRunRecord } from '../../src/experiments/run-record.ts';
import { readJsonl } from '../../src/experiments/log.ts';
import { RUN_OPTIONS } from '../../src/cli/run.ts';
import { buildModel } from '../../src/experiments/entry.ts';
import { CELL_TYPES } from '../../src/cells/registry.ts';
import { cli, configFor, withTempDir } from './run-helpers.ts';

const TINY = ['--hidden', '3', '--steps', '4', '--batches', '2', '--eval-batch', '4', '--quiet'];

test('run CLI: option errors exit 1 with a message naming the problem', withTempDir(async (dir) => {
  mkdirSync(join(dir, 'corrupt'));
  writeFileSync(join(dir, 'corrupt', 'run.json'), '{"format": "bp-lambda-run", "version": 3, "config": {');
  mkdirSync(join(dir, 'empty'));
  const cases: [string[], RegExp][] = [
    [['run', 'sudoku'], /unknown task "sudoku" \(known: toy, line-draw, seq-mnist, copy-repeat\)/],
    [['run', 'toy', '--method', 'adam'], /--method: unknown method "adam"/],
    [['run', 'toy', '--lambda', '0,1.5'], /--lambda: expected a number in \[0, 1\], received 1.5/],
    [['run', 'toy', '--gamma', '-0.1'], /--gamma: expected a number in \[0, 1\], received -0.1/],
    [['run', 'toy', '--lamda', '1'], /unknown option --lamda/],
    [['run', 'toy', '--computation', 'backward', '--regime', 'per-step', '--synth-clip', '0'], /--computation backward computes the per-sequence update only/],
    [['run', 'toy', '--computation', 'backward'], /--synth-clip 1: the per-step clip needs each step's contribution, which --computation backward does not compute: use --computation blocked or traces, or --synth-clip 0/],
    [['run', 'toy', '--synth-clip', '-1'], /--synth-clip: expected a finite number ≥ 0, received -1/],
    [['run', 'toy', '--target-scale', '0'], /--target-scale: expected a finite number > 0, received 0/],
    [['run', 'toy', '--target-scale', '1/0'], /--target-scale: expected a finite number \(decimal, or a fraction p\/q\), received "1\/0"/],
    [['run', 'toy', '--target-scale', '1/2/3'], /--target-scale: expected a finite number .*, received "1\/2\/3"/],
    [['run', 'toy', '--target-scale', ' /2'], /--target-scale: expected a finite number .*, received " \/2"/],
    [['run', 'toy', '--gamma', '1/\t'], /--gamma: expected a finite number .*, received "1\/\\t"/],
    [['run', 'toy', '--target-scale', '0x10'], /--target-scale: expected a finite number .*, received "0x10"/],
    [['run', 'toy', '--hidden', '60/2'], /--hidden: expected an integer, received "60\/2"/],
    [['run', 'toy', '--hidden', '0x4'], /--hidden: expected an integer, received "0x4"/],
    [['run', 'toy', '--batches', '0b10'], /--batches: expected an integer, received "0b10"/],
    [['run', 'toy', '--seed', '4/2'], /--seed: expected an integer, received "4\/2"/],
    [['run', 'toy', '--seeds', '1,4/2'], /--seeds: expected a list of finite decimal numbers, received "4\/2"/],
    [['run', 'toy', '--lambda', '0,1/2'], /--lambda: expected a list of finite decimal numbers, received "1\/2"/],
    [['run', 'toy', '--seed', '3000000000'], /--seed: expected an integer in \[-2147483648, 2147483647\], received 3000000000/],
    [['run', 'toy', '--pairs', '2000'], /--pairs: expected an integer in \[1, 1023\], received 2000/],
    [['run', 'seq-mnist', '--train-subset', '100000'], /--train-subset: expected an integer in \[1, 48000\], received 100000/],
    [['run', 'seq-mnist', '--val-subset', '12001'], /--val-subset: expected an integer in \[1, 12000\], received 12001/],
    [['run', 'seq-mnist', '--test-subset', '20000'], /--test-subset: expected an integer in \[1, 10000\], received 20000/],
    [['run', 'seq-mnist', '--data', 'synthetic', '--train-subset', '961'], /--train-subset: expected an integer in \[1, 960\], received 961/],
    [['run', 'toy', '--lr', 'Infinity'], /--lr: expected a finite number .*, received "Infinity"/],
    [['run', 'toy', '--lr', '0.001'], /--lr: with a fixed RNN only the synthesiser learns \(use --synth-lr, or --plastic\), received 0.001/],
    [['run', 'toy', '--method', 'bptt', '--truncation', '3'], /--truncation applies to tbptt, sg only, not to the methods run \(bptt\)/],
    [['run', '--resume', join(dir, 'empty')], /no run there \(expected .*run\.json/],
    [['run', '--resume', join(dir, 'nowhere')], /no such folder/],
    [['run', '--resume', join(dir, 'corrupt')], /corrupt run record .*not valid JSON/],
    [['run', 'toy', '--shard', '3/2'], /--shard: expected i\/N with 1 ≤ i ≤ N/],
    [['run', 'toy', '--shard', '1/2'], /--shard 1\/2: the sweep has 1 entries, fewer than the shards/],
    [['run', 'toy', '--jobs', '0'], /--jobs: expected an integer ≥ 1, received 0/],
    [['run', 'seq-mnist', '--steps', '5'], /--steps applies to toy, line-draw only/],
    [['run', 'toy', '--epochs', '1', '--batches', '3'], /--epochs or --batches, not both/],
    [['run', 'toy', '--cell', 'lru'], /--cell: expected one of "rnn", "lstm", "gru", received "lru"/],
    [['run', 'copy-repeat', '--cell', 'gru', '--activation', 'tanh'], /--activation: the gru cell has no activation option/],
    [['run', 'seq-mnist', '--cell', 'rnn', '--activation', 'gelu'], /--activation: expected one of "identity", "tanh", "relu", "sigmoid", received "gelu"/],
  ];
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  results.forEach((r, i) => {
    assert.equal(r.code, 1, `exit code of ${cases[i][0].join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^bp-lambda run: error: /);
    assert.match(r.stderr, cases[i][1]);
  });
}));

test('run: a number option takes a fraction p/q (ρ as run --help prints it); integer options do not', () => {
  assert.equal(configFor('toy', ['--target-scale', '1/20']).methodSettings.targetScale, 1 / 20);
  assert.equal(configFor('copy-repeat', ['--target-scale', '1/900']).methodSettings.targetScale, configFor('copy-repeat', []).methodSettings.targetScale);
  assert.equal(configFor('toy', ['--target-scale', ' 3 / 1e2 ']).methodSettings.targetScale, 3 / 100, 'blanks around the parts');
  assert.equal(configFor('toy', ['--hidden', ' 7 ']).hidden, 7);
  assert.equal(configFor('toy', ['--lr', '0']).lr.cell, 0, 'the fixed RNN\'s own rate is accepted');
});

test('run: --cell chooses any registered cell; each task has its default; --activation applies to cells that have one', () => {
  assert.deepEqual([configFor('toy', []).cell, configFor('toy', []).activation], ['rnn', 'identity']);
  assert.deepEqual([configFor('copy-repeat', []).cell, configFor('copy-repeat', []).activation], ['lstm', null]);
  assert.deepEqual([configFor('seq-mnist', ['--cell', 'rnn']).cell, configFor('seq-mnist', ['--cell', 'rnn']).activation], ['rnn', 'tanh']);
  assert.deepEqual([configFor('line-draw', ['--cell', 'rnn', '--activation', 'relu']).activation], ['relu']);
  for (const type of CELL_TYPES) {
    const config = configFor('toy', ['--cell', type]);
    const model = buildModel(config, 1);
    assert.equal(model.cell.type, type);
    assert.equal(model.inputSize, 10);
  }
});

test('run CLI: --help lists every option with its default', async () => {
  const r = await cli(['run', '--help']);
  assert.equal(r.code, 0);
  for (const o of RUN_OPTIONS) {
    assert.ok(r.stdout.includes(`--${o.name}`), `--${o.name} listed`);
    if (o.default !== undefined) assert.match(r.stdout, new RegExp(`--${o.name}\\b.*\\(default: `));
  }
  for (const task of ['toy', 'line-draw', 'seq-mnist', 'copy-repeat']) assert.ok(r.stdout.includes(task));
  assert.match(r.stdout, new RegExp(`--cell .*${CELL_TYPES.join(' \\| ')}`));
});

test('run CLI: a λ sweep writes one log series per λ, a summary and plots; resuming a finished run changes nothing', withTempDir(async (dir) => {
  const out = join(dir, 'sweep');
  const r = await cli(['run', 'toy', '--lambda', '0,0.5,1', ...TINY, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const log = readJsonl(join(out, 'log.jsonl'));
  const series = [...new Set(log.map((l) => l.series))];
  assert.deepEqual(series, ['bp-lambda λ=0 seed=1', 'bp-lambda λ=0.5 seed=1', 'bp-lambda λ=1 seed=1']);
  for (const s of series) assert.deepEqual(log.filter((l) => l.series === s).map((l) => l.batch), [0, 2]);
  for (const l of log) {
    for (const k of ['method', 'lambda', 'batch', 'epoch', 'loss', 'alignment', 'seconds', 'computation']) assert.ok(k in l, `log field ${k}`);
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.groups.length, 3);
  for (const f of ['loss.svg', 'alignment.svg', 'alignment-t.svg']) assert.ok(readFileSync(join(out, f), 'utf8').startsWith('<svg'));
  assert.match(r.stdout, /bp-lambda λ=0\.5/);
  const again = await cli(['run', 'toy', ...TINY, '--out', out]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already holds a run/);
  const resumed = await cli(['run', '--resume', out, '--quiet']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(readJsonl(join(out, 'log.jsonl')), log);
}));

test('run CLI: a run that diverges stops with a message naming method, step and quantity, and keeps the last good checkpoint', withTempDir(async (dir) => {
  const out = join(dir, 'nan');
  const r = await cli(['run', 'toy', '--plastic', '--lr', '1e30', '--hidden', '4', '--steps', '5', '--batches', '20', '--eval-every', '100', '--eval-batch', '4', '--checkpoint-every', '1', '--out', out, '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /training diverged: bp-lambda λ=1 seed=1 \(method bp-lambda, blocked traces, K = n \(per-sequence, clip 1\)\) at batch \d+, step \d+: the .* is not finite/);
  const [entry] = sweepEntries(loadRunRecord(out).config);
  const folder = entryFolder(out, entry, 1);
  assert.match(r.stderr, new RegExp(`the last good checkpoint \\(batch [1-9]\\d*\\) is kept in ${folder}/checkpoint\\.json`));
  assert.ok(existsSync(join(folder, 'checkpoint.json')));
  const cp = loadCheckpoint(folder)!; // throws if the model is not finite
  const log = readJsonl(join(out, 'log.jsonl'));
  const last = log[log.length - 1];
  assert.equal(last.type, 'diverged');
  assert.ok(cp.batch >= 1 && cp.batch <= (last.batch as number));
  assert.ok(cp.model !== null);
  for (const l of log.filter((x) => x.type === 'eval')) assert.ok(Number.isFinite(l.loss as number));
}));
