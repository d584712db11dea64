import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadRunRecord } from '../../src/experiments/run-record.ts';
import { readJsonl } from '../../src/experiments/log.ts';
import { runExperiment, RunStopped } from '../../src/experiments/runner.ts';
import { configFor, withoutSeconds, withTempDir } from './run-helpers.ts';

/**
 * Runs the sweep uninterrupted into one folder, and stopped after `stopAfter` batches (between
 * checkpoints, so the log holds lines past the checkpoint) then resumed into another: the logs
 * must agree bit for bit (JSON numbers round-trip exactly), apart from wall-clock seconds.
 */
async function resumeMatches(task: string, argv: string[], checkpointEvery: number, stopAfter: number, dir: string) {
  const config = configFor(task, argv);
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  await runExperiment(config, { out: a, checkpointEvery });
  await assert.rejects(runExperiment(config, { out: b, checkpointEvery, stopAfter }), RunStopped);
  const partial = readJsonl(join(b, 'log.jsonl')).length;
  await runExperiment(loadRunRecord(b).config, { out: b, checkpointEvery, resume: true });
  const full = withoutSeconds(readJsonl(join(a, 'log.jsonl')));
  const resumed = withoutSeconds(readJsonl(join(b, 'log.jsonl')));
  assert.ok(partial > 0 && partial < full.length, 'the interrupted run wrote part of the log');
  assert.deepEqual(resumed, full);
  const sa = JSON.parse(readFileSync(join(a, 'summary.json'), 'utf8'));
  const sb = JSON.parse(readFileSync(join(b, 'summary.json'), 'utf8'));
  assert.deepEqual(sb.groups.map((g: { finalLoss: unknown }) => g.finalLoss), sa.groups.map((g: { finalLoss: unknown }) => g.finalLoss));
}

test('resume: toy, plastic RNN, online per-step BP(λ), stopped inside the second λ of the sweep, equals the uninterrupted run', withTempDir(async (dir) => {
  const argv = ['--lambda', '0.5,1', '--plastic', '--hidden', '5', '--steps', '6', '--batch', '3', '--batches', '10', '--eval-every', '2', '--eval-batch', '8', '--seed', '3'];
  await resumeMatches('toy', argv, 4, 17, dir);
}));

test('resume: seq-mnist (synthetic data), stopped mid-epoch, equals the uninterrupted run', withTempDir(async (dir) => {
  const argv = ['--data', 'synthetic', '--method', 'sg', '--hidden', '4', '--batch', '10', '--train-subset', '40', '--val-subset', '20', '--test-subset', '20', '--epochs', '3', '--eval-batch', '10'];
  await resumeMatches('seq-mnist', argv, 3, 7, dir);
}));

test('resume: copy-repeat with a GRU, curriculum position restored, equals the uninterrupted run', withTempDir(async (dir) => {
  const argv = ['--cell', 'gru', '--method', 'bp-lambda', '--lambda', '1', '--regime', 'per-sequence', '--computation', 'backward', '--synth-clip', '0', '--hidden', '4', '--batch', '4', '--batches', '12', '--eval-every', '4', '--eval-batch', '4', '--threshold', '1.5'];
  await resumeMatches('copy-repeat', argv, 5, 8, dir);
}));
