import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { sweepEntries } from '../../src/experiments/config.ts';
import { entryFolder } from '../../src/experiments/entry-run.ts';
import { readJsonl } from '../../src/experiments/log.ts';
import { loadRunRecord } from '../../src/experiments/run-record.ts';
import { runExperiment, RunStopped } from '../../src/experiments/runner.ts';
import { mergeSummaries, type Summary } from '../../src/experiments/summary.ts';
import { cli, configFor, withoutSeconds, withTempDir } from './run-helpers.ts';

/** A log's text with every wall-clock `seconds` value set to 0: the bytes that must not depend on scheduling. */
const logText = (dir: string) => readFileSync(join(dir, 'log.jsonl'), 'utf8').replace(/"seconds":[-+.\de]+/g, '"seconds":0');
/** A summary without what depends on the wall clock and the invocation. */
const numbers = (s: Summary) => ({ ...s, series: s.series.map((x) => ({ ...x, seconds: 0 })), groups: s.groups.map((g) => ({ ...g, seconds: null })), provenance: null, plots: null });

const SWEEP = ['--method', 'sg,bp-lambda', '--lambda', '0,1', '--seeds', '1,2', '--hidden', '3', '--steps', '5', '--batch', '4', '--batches', '6', '--eval-every', '3', '--eval-batch', '6', '--plastic'];

test('run --jobs 2 writes the same bytes as one run after another (apart from wall-clock seconds), each entry in its own folder', withTempDir(async (dir) => {
  const config = configFor('toy', SWEEP);
  const entries = sweepEntries(config);
  assert.equal(entries.length, 6);
  const seq = await runExperiment(config, { out: join(dir, 'seq'), checkpointEvery: 2 });
  const par = await runExperiment(config, { out: join(dir, 'par'), checkpointEvery: 2, jobs: 2 });
  assert.equal(logText(join(dir, 'par')), logText(join(dir, 'seq')));
  assert.deepEqual(numbers(par), numbers(seq));
  for (const e of entries) {
    for (const out of ['seq', 'par']) assert.ok(existsSync(join(entryFolder(join(dir, out), e, entries.length), 'checkpoint.json')), `${out}: ${e.series} has its own folder and checkpoint`);
    assert.equal(logText(entryFolder(join(dir, 'par'), e, entries.length)), logText(entryFolder(join(dir, 'seq'), e, entries.length)));
  }
  assert.deepEqual(par.provenance.map((p) => p.jobs), [2]);
}));

test('--jobs may change at resume: a sequential run stopped mid-sweep and resumed with --jobs 2 equals the uninterrupted run', withTempDir(async (dir) => {
  const config = configFor('toy', SWEEP);
  await runExperiment(config, { out: join(dir, 'full'), checkpointEvery: 2 });
  const out = join(dir, 'resumed');
  await assert.rejects(runExperiment(config, { out, checkpointEvery: 2, stopAfter: 9 }), RunStopped);
  const r = await cli(['run', '--resume', out, '--jobs', '2', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(logText(out), logText(join(dir, 'full')));
  const { runOptions, invocations } = loadRunRecord(out);
  assert.equal(runOptions.jobs, 2, 'the new --jobs persists');
  assert.deepEqual(invocations.map((p) => p.jobs), [1, 2]);
  assert.deepEqual(invocations[1].entries, [1, 2, 3, 4, 5], 'the resume trains the entries not finished');
}));

test('run --shard i/N trains every N-th entry into its folder; the shards\' summaries merge into the sequential run\'s', withTempDir(async (dir) => {
  const config = configFor('toy', SWEEP);
  const entries = sweepEntries(config);
  const full = await runExperiment(config, { out: join(dir, 'full'), checkpointEvery: 0 });
  const shards: { name: string; summary: Summary }[] = [];
  for (const index of [1, 2]) {
    const out = join(dir, `shard${index}`);
    shards.push({ name: out, summary: await runExperiment(config, { out, checkpointEvery: 0, shard: { index, count: 2 } }) });
    const mine = entries.filter((e) => e.index % 2 === index - 1);
    assert.deepEqual(readdirSync(join(out, 'entries')), mine.map((e) => entryFolder(out, e, entries.length).split('/').at(-1)));
    assert.deepEqual(withoutSeconds(readJsonl(join(out, 'log.jsonl'))), withoutSeconds(readJsonl(join(dir, 'full', 'log.jsonl'))).filter((r) => mine.some((e) => e.series === r.series)));
    assert.deepEqual(shards.at(-1)!.summary.provenance.map((p) => p.shard), [`${index}/2`]);
  }
  const merged = mergeSummaries(shards);
  assert.deepEqual(merged.missing, []);
  assert.deepEqual(numbers(merged.summary), numbers(full));
  assert.equal(merged.summary.provenance.length, 2);
  assert.deepEqual(mergeSummaries(shards.slice(0, 1)).missing, entries.filter((e) => e.index % 2 === 1).map((e) => e.series));
  assert.throws(() => mergeSummaries([shards[0], shards[0]]), /is in both/);
  // npm run results:tables merges the folders of one sweep into one table
  const tables = execFileSync(process.execPath, ['--import', 'tsx', 'examples/results-tables.ts', join(dir, 'shard1'), join(dir, 'shard2')], { encoding: 'utf8' });
  assert.equal(tables.match(/^#### /gm)?.length, 1);
  assert.match(tables, /#### shard1 \+ shard2/);
  for (const g of full.groups) assert.match(tables, new RegExp(`\\| ${g.group} \\| [^|]+ \\| 2 \\|`));
}));

test('every summary records the commit, the resolved config, the machine, Node\'s version and the wall time', withTempDir(async (dir) => {
  const config = configFor('toy', ['--hidden', '3', '--steps', '4', '--batches', '2', '--eval-batch', '4']);
  const s = await runExperiment(config, { out: join(dir, 'p'), checkpointEvery: 0, backend: 'js' });
  const saved = JSON.parse(readFileSync(join(dir, 'p', 'summary.json'), 'utf8')) as Summary;
  assert.deepEqual(saved.config, config);
  assert.equal(saved.provenance.length, 1);
  const [p] = saved.provenance;
  let head = 'unknown';
  try {
    head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // no git here: the provenance says "unknown"
  }
  assert.equal(p.commit, head);
  assert.equal(p.node, process.version);
  assert.equal(p.machine.cores, availableParallelism());
  assert.ok(p.machine.cpu.length > 0);
  assert.ok(p.wallSeconds > 0 && p.wallSeconds < 600);
  assert.deepEqual(p.entries, [0]);
  assert.deepEqual(s.provenance, saved.provenance);
}));

test('run --synth-clip reaches the learner in both regimes: a clip above every update changes nothing, a small one changes the numbers', withTempDir(async (dir) => {
  const base = ['--lambda', '1', '--hidden', '4', '--steps', '6', '--gain', '1.6', '--synth-lr', '1e-2', '--batches', '6', '--eval-every', '3', '--eval-batch', '8'];
  for (const regime of ['per-sequence', 'per-step']) {
    const logs = [];
    for (const clip of ['0', '1e9', '1e-4']) {
      const out = join(dir, `${regime}-${clip}`);
      await runExperiment(configFor('toy', [...base, '--regime', regime, '--synth-clip', clip]), { out, checkpointEvery: 0 });
      logs.push(readJsonl(join(out, 'log.jsonl')).map(({ seconds: _s, computation: _c, ...r }) => r));
    }
    assert.deepEqual(logs[1], logs[0], `${regime}: clip 1e9 = no clip`);
    assert.notDeepEqual(logs[2], logs[0], `${regime}: clip 1e-4 clips`);
  }
}));

test('run --jobs 2 killed (SIGKILL, the whole process group) and resumed: the same bytes as an uninterrupted run', withTempDir(async (dir) => {
  // an evaluation line after every batch, a checkpoint every 7: a kill leaves log lines past the checkpoints
  const argv = ['--lambda', '0,1', '--seeds', '1,2', '--hidden', '3', '--steps', '5', '--batch', '4', '--batches', '300', '--eval-every', '1', '--eval-batch', '6', '--plastic'];
  const config = configFor('toy', argv);
  const entries = sweepEntries(config);
  await runExperiment(config, { out: join(dir, 'full'), checkpointEvery: 0 });
  const out = join(dir, 'killed');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'toy', ...argv, '--jobs', '2', '--checkpoint-every', '7', '--quiet', '--out', out], { detached: true, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // kill once some run of the sweep has a checkpoint in the middle of its training, and some log
  // holds lines written after its checkpoint (both are polled: a loaded machine can be caught
  // right after a checkpoint, before the next evaluation line)
  const midway = () => entries.some((e) => {
    const file = join(entryFolder(out, e, entries.length), 'checkpoint.json');
    return existsSync(file) && (() => {
      try {
        return JSON.parse(readFileSync(file, 'utf8')).batch < config.batches;
      } catch {
        return false;
      }
    })();
  });
  const past = () => entries.filter((e) => {
    const folder = entryFolder(out, e, entries.length);
    if (!existsSync(join(folder, 'log.jsonl'))) return false;
    try {
      const cp = existsSync(join(folder, 'checkpoint.json')) ? JSON.parse(readFileSync(join(folder, 'checkpoint.json'), 'utf8')) : { logOffset: 0 };
      return statSync(join(folder, 'log.jsonl')).size > cp.logOffset;
    } catch {
      return false; // a checkpoint caught mid-rename
    }
  });
  const t0 = Date.now();
  while (!(midway() && past().length > 0) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 10));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
  assert.ok(midway(), 'a checkpoint mid-training appeared');
  assert.ok(existsSync(join(out, 'run.lock')), 'the killed run left its lock');
  assert.ok(!existsSync(join(out, 'summary.json')), 'killed before the end');
  assert.ok(past().length > 0, 'some log holds lines written after its checkpoint');
  const r = await cli(['run', '--resume', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(logText(out), logText(join(dir, 'full')));
}));
