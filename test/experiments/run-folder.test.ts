import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, LOCK_FILE, RunFolderLockedError } from '../../src/experiments/lock.ts';
import { checkpointPath } from '../../src/experiments/checkpoint.ts';
import { sweepEntries } from '../../src/experiments/config.ts';
import { entryFolder } from '../../src/experiments/entry-run.ts';
import { readJsonl } from '../../src/experiments/log.ts';
import { runExperiment, RunStopped } from '../../src/experiments/runner.ts';
import { checkRunMemory } from '../../src/experiments/memory.ts';
import { evalClassifier } from '../../src/experiments/evaluate.ts';
import { buildModel } from '../../src/experiments/entry.ts';
import { loadMnistSplits, type MnistOptions } from '../../src/experiments/tasks/seq-mnist.ts';
import { cli, configFor, withoutSeconds, withTempDir } from './run-helpers.ts';

/** The PID of a process that has exited (a stale lock's owner). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const BASE = ['--hidden', '3', '--steps', '4', '--batch', '2', '--eval-every', '2', '--eval-batch', '4', '--plastic'];
const TOY = [...BASE, '--batches', '6'];

test('run lock: atomic, holds the PID, refuses a second holder (this process included), released, stale locks taken over', withTempDir((dir) => {
  const lock = acquireRunLock(dir);
  const held = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
  assert.equal(held.pid, process.pid);
  assert.equal(held.host, hostname());
  assert.throws(() => acquireRunLock(dir), (e: unknown) => e instanceof RunFolderLockedError && e.pid === process.pid && /is in use by this process \(PID \d+\)/.test(e.message));
  lock.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
  lock.release(); // idempotent
  // a lock left by a process that no longer runs is stale
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname(), started: '2020-01-01T00:00:00Z', token: 'old' }));
  const again = acquireRunLock(dir);
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  again.release();
  // a live process's lock (our parent's PID) and a fresh unreadable lock are respected
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), started: '', token: 'live' }));
  assert.throws(() => acquireRunLock(dir), new RegExp(`in use by process ${process.ppid}`));
  writeFileSync(join(dir, LOCK_FILE), '');
  assert.throws(() => acquireRunLock(dir), /in use by another process/);
  assert.deepEqual(readdirSync(dir), [LOCK_FILE], 'no temporary files left behind');
}));

test('run lock: removed when its process exits without releasing it', withTempDir((dir) => {
  const code = `import(${JSON.stringify(new URL('../../src/experiments/lock.ts', import.meta.url).href)}).then((m) => { m.acquireRunLock(${JSON.stringify(dir)}); process.stdout.write('held'); })`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8' });
  assert.equal(r.stdout, 'held', r.stderr);
  assert.ok(!existsSync(join(dir, LOCK_FILE)));
}));

test('two runs into one folder at once: one is refused, the log is the single run\'s, line by line', withTempDir(async (dir) => {
  const out = join(dir, 'shared');
  const argv = ['run', 'toy', ...BASE, '--batches', '300', '--quiet', '--out', out];
  const [a, b] = await Promise.all([cli(argv), cli(argv)]);
  const codes = [a.code, b.code].sort();
  assert.deepEqual(codes, [0, 1], `${a.stderr}\n${b.stderr}`);
  const loser = a.code === 1 ? a : b;
  assert.match(loser.stderr, /is in use by process \d+ \(lock file .*run\.lock\)|already holds a run/);
  const solo = join(dir, 'solo');
  assert.equal((await cli(['run', 'toy', ...BASE, '--batches', '300', '--quiet', '--out', solo])).code, 0);
  assert.deepEqual(withoutSeconds(readJsonl(join(out, 'log.jsonl'))), withoutSeconds(readJsonl(join(solo, 'log.jsonl'))));
  assert.ok(!existsSync(join(out, LOCK_FILE)), 'the lock is gone after the run');
}));

test('a run stopped before its first checkpoint is continued from the start of its entry; sizes that cannot fit fail before any file is written', withTempDir(async (dir) => {
  const config = configFor('toy', TOY);
  const out = join(dir, 'early');
  await assert.rejects(runExperiment(config, { out, checkpointEvery: 0, stopAfter: 3 }), RunStopped);
  const folder = entryFolder(out, sweepEntries(config)[0], 1);
  assert.ok(existsSync(join(folder, 'log.jsonl')) && !existsSync(checkpointPath(folder)));
  await assert.rejects(runExperiment(config, { out, checkpointEvery: 0 }), /already holds a run \(run\.json\): continue it with --resume/);
  await runExperiment(config, { out, checkpointEvery: 0, resume: true });
  const ref = join(dir, 'ref');
  await runExperiment(config, { out: ref, checkpointEvery: 0 });
  assert.deepEqual(withoutSeconds(readJsonl(join(out, 'log.jsonl'))), withoutSeconds(readJsonl(join(ref, 'log.jsonl'))));
  for (const argv of [['--hidden', '1000000'], ['--batch', '1000000000']]) {
    const big = join(dir, 'big');
    const t0 = performance.now();
    await assert.rejects(runExperiment(configFor('toy', argv), { out: big, checkpointEvery: 10 }), /run: these sizes need at least [\d.]+ [TPE]B of memory \(.*\), more than this machine's [\d.]+ [GT]B: reduce --hidden or --batch/);
    assert.ok(performance.now() - t0 < 2000, 'fails fast');
    assert.ok(!existsSync(big), 'nothing written');
  }
  // the blocked window holds at most min(K, T) steps: a K beyond the sequence costs nothing more
  checkRunMemory(configFor('toy', ['--trace-window', '1000000000']));
  // the advice names the options of the largest part
  assert.throws(() => checkRunMemory(configFor('toy', ['--steps', '100000000', '--hidden', '3', '--batch', '2']), 1, 64e9), /training and held-out batches [\d.]+ [GT]B.*: reduce --batch, --eval-batch or --steps$/);
  assert.throws(() => checkRunMemory(configFor('copy-repeat', ['--eval-batch', '100000000', '--hidden', '3']), 1, 64e9), /: reduce --batch, --eval-batch$/);
  assert.throws(() => checkRunMemory(configFor('toy', ['--steps', '100000', '--trace-window', '100000', '--hidden', '100', '--batch', '100']), 1, 64e9), /reduce --hidden or --batch, or --trace-window \(100000: the blocked window holds up to that many steps\)/);
}));

test('temporary files of interrupted checkpoint writes are removed when a run takes the folder (those of live processes kept)', withTempDir(async (dir) => {
  const config = configFor('toy', TOY);
  const out = join(dir, 'run');
  await assert.rejects(runExperiment(config, { out, checkpointEvery: 2, stopAfter: 3 }), RunStopped);
  const folder = entryFolder(out, sweepEntries(config)[0], 1);
  const dead = deadPid();
  for (const [where, f] of [[folder, `.checkpoint.json.${dead}.0123456789ab.tmp`], [out, `.summary.json.${dead}.ba9876543210.tmp`], [folder, `.checkpoint.json.${process.ppid}.aaaaaaaaaaaa.tmp`]]) writeFileSync(join(where, f), 'partial');
  await runExperiment(config, { out, checkpointEvery: 2, resume: true });
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
  assert.deepEqual(readdirSync(folder).filter((f) => f.endsWith('.tmp')), [`.checkpoint.json.${process.ppid}.aaaaaaaaaaaa.tmp`]);
}));

test('trainLoss is weighted by examples: 7 images in batches of 5 log the per-image mean', withTempDir(async (dir) => {
  // all learning rates 0: the model stays at its initialisation, so the per-image mean training
  // loss is the classifier loss of the initial model over the 7 training images
  const argv = ['--data', 'synthetic', '--method', 'bptt', '--hidden', '4', '--batch', '5', '--train-subset', '7', '--val-subset', '5', '--test-subset', '5', '--epochs', '1', '--eval-batch', '5', '--lr', '0', '--synth-lr', '0'];
  const config = configFor('seq-mnist', argv);
  const out = join(dir, 'mnist');
  await runExperiment(config, { out, checkpointEvery: 0 });
  const last = readJsonl(join(out, 'log.jsonl')).filter((r) => r.type === 'eval').at(-1)!;
  assert.equal(last.batch, 2);
  const splits = await loadMnistSplits(config.taskOptions as unknown as MnistOptions);
  const want = evalClassifier(buildModel(config, config.seeds[0]), splits.train).loss;
  assert.ok(Math.abs((last.trainLoss as number) - want) < 1e-12, `trainLoss ${last.trainLoss} vs the per-image mean ${want}`);
}));

test('two runs into one folder from one process (seq-mnist loads its data asynchronously): the second is refused and the log is intact', withTempDir(async (dir) => {
  const argv = ['--data', 'synthetic', '--method', 'sg', '--hidden', '3', '--batch', '10', '--train-subset', '30', '--val-subset', '10', '--test-subset', '10', '--epochs', '2', '--eval-batch', '10'];
  const config = configFor('seq-mnist', argv);
  const out = join(dir, 'same');
  const results = await Promise.allSettled([runExperiment(config, { out, checkpointEvery: 2 }), runExperiment(config, { out, checkpointEvery: 2 })]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.match(String(refused.reason), /already holds a run|is in use by this process/);
  const solo = join(dir, 'solo');
  await runExperiment(config, { out: solo, checkpointEvery: 2 });
  assert.deepEqual(withoutSeconds(readJsonl(join(out, 'log.jsonl'))), withoutSeconds(readJsonl(join(solo, 'log.jsonl'))));
}));
