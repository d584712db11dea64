import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointPath, loadCheckpoint, saveCheckpoint, CHECKPOINT_VERSION, type Checkpoint } from '../../src/experiments/checkpoint.ts';
import { runExperiment, RunStopped } from '../../src/experiments/runner.ts';
import { RUN_OPTIONS } from '../../src/cli/run.ts';
import { FOLDER_OPTIONS, RUN_TIME_OPTIONS } from '../../src/cli/resume-options.ts';
import { runSettings, sweepEntries } from '../../src/experiments/config.ts';
import { entryFolder } from '../../src/experiments/entry-run.ts';
import { loadRunRecord, runRecordPath } from '../../src/experiments/run-record.ts';
import { cli, configFor, withTempDir } from './run-helpers.ts';

/** A run of `task` stopped inside its first entry; returns its folder, the entry's folder and checkpoint text. */
async function stopped(dir: string, task: string, argv: string[], stopAfter: number) {
  const out = join(dir, task);
  const config = configFor(task, argv);
  await assert.rejects(runExperiment(config, { out, checkpointEvery: 2, stopAfter }), RunStopped);
  const entries = sweepEntries(config);
  const folder = entryFolder(out, entries[0], entries.length);
  return { out, folder, text: readFileSync(checkpointPath(folder), 'utf8'), runText: readFileSync(runRecordPath(out), 'utf8') };
}

const TOY = ['--lambda', '0,0.5,1', '--hidden', '3', '--steps', '4', '--batch', '2', '--batches', '6', '--eval-every', '2', '--eval-batch', '4', '--plastic'];
const MNIST = ['--data', 'synthetic', '--method', 'sg', '--hidden', '3', '--batch', '10', '--train-subset', '40', '--val-subset', '10', '--test-subset', '10', '--epochs', '2', '--eval-batch', '10'];

test('a checkpoint is validated in full against its schema and its own config; tampering is refused by field', withTempDir(async (dir) => {
  const toy = await stopped(dir, 'toy', TOY, 3);
  const mnist = await stopped(dir, 'seq-mnist', MNIST, 3);
  loadCheckpoint(toy.folder);
  loadCheckpoint(mnist.folder);
  const cases: [typeof toy, (cp: any) => void, RegExp][] = [
    [toy, (cp) => (cp.entry = 99), /entry: expected an integer in \[0, 2\], received 99/],
    [toy, (cp) => (cp.source.rng = [0, 0, 0, 0]), /source\.rng: rng state: expected 4 unsigned 32-bit integers, not all zero/],
    [toy, (cp) => (cp.config.hidden = 4), /model\.cell\.W_ih: expected shape 4×10 \(config\.hidden 4\), received 3×10/],
    [toy, (cp) => (cp.batch = 100000), /batch: expected an integer in \[1, 6\], received 100000/],
    [toy, (cp) => (cp.batch = 6), /model: expected null once the entry is finished \(batch 6\)/],
    [toy, (cp) => (cp.extra = 1), /checkpoint: unknown option "extra"/],
    [toy, (cp) => (cp.config.hiden = 3), /config: unknown option "hiden"/],
    [toy, (cp) => delete cp.logOffset, /checkpoint\.logOffset: missing/],
    [toy, (cp) => (cp.optimizer.cell.v.W_hh = [1]), /optimizer: Adam\.setState: cell\.v\.W_hh: expected an array of 9 finite numbers ≥ 0, received an array of length 1/],
    [toy, (cp) => (cp.optimizer.readout.m.W[0] = null), /optimizer: Adam\.setState: readout\.m\.W\[0\]: expected a finite number, received null/],
    [toy, (cp) => (cp.model.cell.W_hh[0][0] = null), /model/],
    [toy, (cp) => (cp.trainLoss.count = -1), /trainLoss\.count: expected an integer ≥ 0, received -1/],
    [toy, (cp) => (cp.source = null), /source: expected an object with rng, received null/],
    [toy, (cp) => (cp.model = null), /model/],
    [mnist, (cp) => (cp.source.position += 1), /source: epoch 0, position 3 \(4 batches per epoch\) is not 2 batches in/],
    [mnist, (cp) => (cp.source.epochRng = [0, 0, 0, 0]), /source\.epochRng: rng state: expected 4 unsigned 32-bit integers, not all zero/],
    [toy, (cp) => (cp.config.methodSettings.gamma = 2), /config\.methodSettings\.gamma: expected a number in \[0, 1\], received 2/],
    [toy, (cp) => (cp.config.taskOptions.steps = 1), /config\.taskOptions\.steps: expected an integer ≥ 2, received 1/],
    [toy, (cp) => (cp.config.methodSettings.truncation = 2), /config\.methodSettings: unknown option "truncation"/],
  ];
  for (const [run, edit, re] of cases) {
    const cp = JSON.parse(run.text);
    edit(cp);
    writeFileSync(checkpointPath(run.folder), JSON.stringify(cp));
    assert.throws(() => loadCheckpoint(run.folder), (e: Error) => /corrupt checkpoint/.test(e.message) && re.test(e.message), `expected ${re}`);
  }
  // and the run does not start from it: the command line exits 1 with the message
  const r = await cli(['run', '--resume', toy.out, '--quiet']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /corrupt checkpoint/);
  // a valid checkpoint of another entry is not taken for this one
  writeFileSync(checkpointPath(toy.folder), JSON.stringify({ ...JSON.parse(toy.text), entry: 1 }));
  assert.match((await cli(['run', '--resume', toy.out, '--quiet'])).stderr, /checkpoint\.json is not entry 0 of this run/);
  // the run record likewise
  const records: [(r: any) => void, RegExp][] = [
    [(r) => delete r.runOptions, /run\.runOptions: missing/],
    [(r) => (r.runOptions = 5), /runOptions: expected an object with checkpointEvery, backend, quiet, jobs, shard, received 5/],
    [(r) => (r.runOptions.backend = 'cuda'), /runOptions\.backend: expected one of "auto", "js", "wasm", "workers"/],
    [(r) => (r.runOptions.jobs = 0), /runOptions\.jobs: expected an integer ≥ 1, received 0/],
    [(r) => (r.runOptions.shard = { index: 3, count: 2 }), /runOptions\.shard\.index: expected an integer in \[1, 2\], received 3/],
    [(r) => (r.config.hiden = 3), /config: unknown option "hiden"/],
    [(r) => (r.invocations = [{}]), /invocations\[0\]\.commit: missing/],
    [(r) => (r.version = 2), /run record version 2 is not the version 3 this bp-lambda reads/],
  ];
  for (const [edit, re] of records) {
    const r = JSON.parse(mnist.runText);
    edit(r);
    writeFileSync(runRecordPath(mnist.out), JSON.stringify(r));
    assert.throws(() => loadRunRecord(mnist.out), (e: Error) => /corrupt run record/.test(e.message) && re.test(e.message), `expected ${re}`);
  }
}));

test('an older checkpoint version is refused with a message naming both versions', withTempDir(async (dir) => {
  const toy = await stopped(dir, 'toy', TOY, 3);
  const cp = JSON.parse(toy.text);
  assert.equal(cp.version, CHECKPOINT_VERSION);
  assert.equal(CHECKPOINT_VERSION, 3);
  cp.version = 2;
  writeFileSync(checkpointPath(toy.folder), JSON.stringify(cp));
  assert.throws(() => loadCheckpoint(toy.folder), /checkpoint version 2 was written by an older bp-lambda; this bp-lambda reads checkpoint version 3 only/);
}));

test('a checkpoint holding a value JSON cannot keep (Infinity → null) is refused before it is written', withTempDir(async (dir) => {
  const toy = await stopped(dir, 'toy', TOY, 3);
  const cp = JSON.parse(toy.text) as Checkpoint;
  (cp.optimizer as any).cell.v.W_hh[0] = Infinity;
  assert.throws(() => saveCheckpoint(toy.folder, cp), /saveCheckpoint: refusing to write .*checkpoint\.json: optimizer: Adam\.setState: cell\.v\.W_hh\[0\]: expected a finite number ≥ 0, received null/);
  assert.equal(readFileSync(checkpointPath(toy.folder), 'utf8'), toy.text, 'the good checkpoint is kept');
}));

test('resume: speed and output options may change and persist; other options must match the saved ones, else refused by name', withTempDir(async (dir) => {
  const toy = await stopped(dir, 'toy', TOY, 3);
  assert.deepEqual(JSON.parse(toy.runText).runOptions, { checkpointEvery: 2, backend: 'js', quiet: false, jobs: 1, shard: null });
  const refused = await cli(['run', '--resume', toy.out, '--hidden', '5', '--quiet']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /run: --hidden 5 differs from the run in .* \(3\); at --resume only --checkpoint-every, --backend, --quiet, --jobs, --shard may change/);
  const lambdas = await cli(['run', '--resume', toy.out, '--lambda', '0,1', '--quiet']);
  assert.match(lambdas.stderr, /--lambda 0,1 differs from the run in .* \(0,0\.5,1\)/);
  // the same values are accepted, and the checkpoint cadence persists without being given again
  const same = await cli(['run', '--resume', toy.out, '--hidden', '3', '--lambda', '0,0.5,1', '--plastic', '--quiet']);
  assert.equal(same.code, 0, same.stderr);
  assert.deepEqual(loadRunRecord(toy.out).runOptions, { checkpointEvery: 2, backend: 'js', quiet: true, jobs: 1, shard: null });
}));

test('resume: --quiet holds for the invocation that gives it only (a flag cannot be turned off again)', withTempDir(async (dir) => {
  const toy = await stopped(dir, 'toy', TOY, 3);
  const quiet = await cli(['run', '--resume', toy.out, '--quiet', '--checkpoint-every', '1']);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(loadRunRecord(toy.out).runOptions.quiet, true);
  // a resume without --quiet is not quiet, whatever the previous invocation chose
  const loud = await cli(['run', '--resume', toy.out]);
  assert.equal(loud.code, 0, loud.stderr);
  assert.equal(loadRunRecord(toy.out).runOptions.quiet, false);
}));

test('resume: a given --checkpoint-every replaces the saved one', withTempDir(async (dir) => {
  const toy = await stopped(dir, 'toy', TOY, 3);
  const r = await cli(['run', '--resume', toy.out, '--checkpoint-every', '5']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(loadRunRecord(toy.out).runOptions.checkpointEvery, 5);
}));

test('every setting option of run has a resume rule (matched against the saved config) or is a speed/output option', () => {
  const ruled = new Set<string>([...runSettings().map((s) => s.flag), ...RUN_TIME_OPTIONS, ...FOLDER_OPTIONS]);
  for (const o of RUN_OPTIONS) assert.ok(ruled.has(o.name), `--${o.name} has no resume rule`);
});
