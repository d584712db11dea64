import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { readJsonl } from '../../src/experiments/log.ts';
import { runExperiment } from '../../src/experiments/runner.ts';
import { nextLevel } from '../../src/tasks/copy-repeat.ts';
import { configFor, withTempDir } from './run-helpers.ts';
import { createModel } from '../../src/model/model.ts';
import { spectralRadius } from '../../src/kernels/spectral-radius.ts';

test('copy-repeat: every curriculum advance is logged with batch, N, R, T, following the rule', withTempDir(async (dir) => {
  // a threshold above the initial loss makes the first batches advance
  const config = configFor('copy-repeat', ['--method', 'tbptt', '--truncation', '3', '--hidden', '4', '--batch', '4', '--batches', '6', '--eval-every', '3', '--eval-batch', '4', '--threshold', '3']);
  const summary = await runExperiment(config, { out: dir, checkpointEvery: 0 });
  const log = readJsonl(join(dir, 'log.jsonl'));
  const adv = log.filter((l) => l.type === 'advance');
  assert.ok(adv.length >= 2, `advances: ${adv.length}`);
  let level = { N: 1, R: 1 };
  for (const a of adv) {
    assert.equal(a.N, nextLevel(level.N, level.R).N);
    assert.equal(a.R, nextLevel(level.N, level.R).R);
    assert.equal(a.T, ((a.R as number) + 1) * (a.N as number) + 3);
    assert.ok((a.bits as number) < 3);
    level = { N: a.N as number, R: a.R as number };
  }
  assert.equal((summary.series[0].details.reached as { T: number }).T, adv[adv.length - 1].T);
  // the final bits per entry are those the last evaluation logged (at the level reached)
  const lastEval = log.filter((l) => l.type === 'eval').at(-1)!;
  assert.equal(summary.groups[0].metrics.finalBits.mean, lastEval.bits);
  assert.ok(readFileSync(join(dir, 'curriculum.svg'), 'utf8').startsWith('<svg'));
}));

test('seq-mnist (synthetic): evaluations per epoch with validation and test accuracy; test error at the best-validation epoch', withTempDir(async (dir) => {
  const config = configFor('seq-mnist', ['--data', 'synthetic', '--method', 'bp-lambda', '--lambda', '0.5', '--regime', 'per-sequence', '--computation', 'backward', '--synth-clip', '0', '--hidden', '4', '--batch', '20', '--train-subset', '60', '--val-subset', '40', '--test-subset', '40', '--epochs', '2']);
  const s = await runExperiment(config, { out: dir, checkpointEvery: 0 });
  const evals = readJsonl(join(dir, 'log.jsonl'));
  assert.deepEqual(evals.map((e) => e.epoch), [0, 1, 2]);
  for (const e of evals) for (const k of ['accuracy', 'testAccuracy', 'testLoss']) assert.ok(Number.isFinite(e[k] as number));
  const best = s.series[0].details.best as { batch: number; testError: number };
  const at = evals.find((e) => e.batch === best.batch)!;
  assert.equal(best.testError, 1 - (at.testAccuracy as number));
  assert.ok(s.series[0].computation.startsWith('backward'));
}));

test('toy: with a fixed RNN, online BP(1) aligns better with the true gradient than BP(0) after training', withTempDir(async (dir) => {
  const online = ['--regime', 'per-step', '--computation', 'traces', '--target-scale', '1', '--synth-clip', '0'];
  const config = configFor('toy', ['--lambda', '0,1', '--hidden', '10', '--steps', '10', '--gain', '1.6', '--pairs', '1', '--synth-lr', '1e-3', ...online, '--batches', '60', '--eval-every', '60']);
  assert.deepEqual([config.methodSettings.regime, config.methodSettings.computation], ['per-step', 'traces']);
  const s = await runExperiment(config, { out: dir, checkpointEvery: 0 });
  const [bp0, bp1] = s.series;
  assert.equal(bp0.lambda, 0);
  assert.equal(bp1.lambda, 1);
  assert.ok(bp1.finalAlignment!.mean > bp0.finalAlignment!.mean + 0.1, `λ=1 ${bp1.finalAlignment!.mean} vs λ=0 ${bp0.finalAlignment!.mean}`);
  assert.ok(bp1.finalAlignment!.whole > bp0.finalAlignment!.whole, 'whole-sequence cosine too');
  assert.ok(bp1.finalAlignment!.mean > 0.9);
  assert.equal(bp0.finalLoss, bp1.finalLoss, 'fixed RNN: only the synthesiser learns');
  // r(W_hh) of the seed's initial model, reported per series (fixed RNN: the same at the end)
  const W = createModel({ cell: 'rnn', activation: 'identity', inputSize: 10, hiddenSize: 10, outputSize: 2, seed: 1, gain: 1.6 }).cell.params.W_hh.data;
  assert.equal(bp0.details.spectralRadiusInitial, spectralRadius(W, 10));
  assert.equal(bp1.details.spectralRadiusFinal, spectralRadius(W, 10));
}));
