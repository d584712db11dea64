import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { sweepEntries } from '../../src/experiments/config.ts';
import { describeStart, estimateRun, estimateTracker, evaluationsLeft, PROBE_BATCHES } from '../../src/experiments/estimate.ts';
import { readJsonl } from '../../src/experiments/log.ts';
import { runExperiment } from '../../src/experiments/runner.ts';
import { cli, configFor, withoutSeconds, withTempDir } from './run-helpers.ts';

const RUNS = Number(process.env.FC_RUNS ?? 100);

test('evaluationsLeft counts the evaluations the runner makes from any batch on (at 0, every evalEvery, at the end)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 25 }), fc.nat(), (batches, evalEvery, d) => {
      const done = d % (batches + 1);
      // the runner's loop, replayed
      let n = done === 0 ? 1 : 0;
      for (let b = done + 1; b <= batches; b++) if (b % evalEvery === 0 || b === batches) n++;
      assert.equal(evaluationsLeft({ batches, evalEvery }, done), n);
    }),
    { numRuns: RUNS, seed: 17 },
  );
});

test('estimateRun times each group once and adds up batches and evaluations left per run', () => {
  const config = configFor('toy', ['--lambda', '0,1', '--seeds', '1,2', '--hidden', '4', '--steps', '5', '--batches', '7', '--eval-every', '3', '--eval-batch', '4']);
  const entries = sweepEntries(config);
  const left = entries.map((entry, i) => ({ entry, batchesDone: i === 0 ? 4 : 0 }));
  const e = estimateRun(config, null, left);
  assert.deepEqual(Object.keys(e.batchSeconds), ['bp-lambda λ=0', 'bp-lambda λ=1']);
  for (const s of [...Object.values(e.batchSeconds), ...Object.values(e.evalSeconds)]) assert.ok(s > 0 && Number.isFinite(s));
  let want = 0;
  for (const { entry, batchesDone } of left) want += (7 - batchesDone) * e.batchSeconds[entry.group] + evaluationsLeft(config, batchesDone) * e.evalSeconds[entry.group];
  assert.ok(Math.abs(e.seconds - want) <= 1e-12 * want, `${e.seconds} vs ${want}`);
  assert.ok(PROBE_BATCHES >= 1);
});

test('the ETA during a run follows the per-group costs, scaled by how the run goes against the estimate', () => {
  // two groups, a cheap one first: the average rate after the cheap runs would promise far too little time
  const config = configFor('toy', ['--lambda', '0,1', '--batches', '10', '--eval-every', '5']);
  const left = sweepEntries(config).map((entry) => ({ entry, batchesDone: 0 }));
  const costs = { batchSeconds: { 'bp-lambda λ=0': 0.1, 'bp-lambda λ=1': 1 }, evalSeconds: { 'bp-lambda λ=0': 0, 'bp-lambda λ=1': 0 } };
  const estimate = { ...costs, seconds: 11 };
  let t = 0;
  const tracker = estimateTracker(config, left, estimate, 1, () => t);
  const eta = (cheap: number, expensive: number) => tracker((i) => [cheap, expensive][i]);
  assert.equal(eta(0, 0), 11, 'before anything ran: the estimate');
  t = 1000; // the cheap run took its estimated 1 s
  assert.equal(eta(10, 0), 10);
  t = 2000; // the cheap run took 2 s: the run goes at half the estimated speed
  assert.equal(eta(10, 0), 20);
  t = 7000; // and half of the expensive one 5 s later: 5 s estimated left, at (7 s / 6 s estimated)
  assert.ok(Math.abs(eta(10, 5) - 5 * (7 / 6)) < 1e-12);
  assert.equal(eta(10, 10), 0);
  // two jobs: both runs at once, the wall time is the longer one's
  t = 0;
  const parallel = estimateTracker(config, left, { ...costs, seconds: 10 }, 2, () => t);
  assert.equal(parallel(() => 0), 10);
  t = 5000; // half of each done in the estimated 5 s: 5 s left
  assert.equal(parallel((i) => 5 + 0 * i), 5);
});

test('the start line names the task, runs, groups, seeds, sizes, computation, backend, folder and the estimate', () => {
  const config = configFor('toy', ['--lambda', '0,1', '--seeds', '1,2,3', '--steps', '30', '--batches', '500', '--eval-every', '100']);
  const entries = sweepEntries(config);
  const fresh = entries.map((entry) => ({ entry, batchesDone: 0 }));
  const estimate = { seconds: 340, batchSeconds: { 'bp-lambda λ=0': 0.052, 'bp-lambda λ=1': 0.171 }, evalSeconds: {} };
  assert.equal(
    describeStart(config, entries, fresh, estimate, 'wasm', 'runs/toy'),
    'toy: 6 runs (bp-lambda λ=0, bp-lambda λ=1 × seeds 1, 2, 3), 500 batches each, B=10 T=30 H=30, evaluation every 100 batches, computation bp-lambda: blocked traces, K = n (per-sequence, clip 1), backend wasm, into runs/toy; estimated 5m40s (s per batch: bp-lambda λ=0 0.052, bp-lambda λ=1 0.17)',
  );
  // each method with its computation
  const mixed = configFor('toy', ['--method', 'bp-lambda,tbptt,rtrl', '--computation', 'traces', '--regime', 'per-step', '--synth-clip', '0']);
  assert.match(describeStart(mixed, sweepEntries(mixed), [], null, 'js', 'd'), /, computation bp-lambda: traces \(per-step\); tbptt: backprop in windows of 2; rtrl: influence matrix \(per-step\), backend js/);
  const resumed = fresh.slice(2).map((r, i) => ({ ...r, batchesDone: i === 0 ? 200 : 0 }));
  assert.match(describeStart(config, entries, resumed, { ...estimate, seconds: NaN }, 'js', 'd'), /^toy: 4 of 6 runs left \(.*\), .*backend js, into d; estimated \? \(s per batch/);
  assert.doesNotMatch(describeStart(config, entries, fresh, null, 'js', 'd'), /estimated/);
});

test('timing the probes for the estimate leaves the run\'s numbers unchanged (toy with a learning RNN, seq-mnist)', withTempDir(async (dir) => {
  const cases = [
    configFor('toy', ['--plastic', '--lambda', '0.5', '--hidden', '4', '--steps', '5', '--batches', '4', '--eval-every', '2', '--eval-batch', '4']),
    configFor('seq-mnist', ['--data', 'synthetic', '--method', 'bptt,bp-lambda', '--hidden', '3', '--batch', '20', '--batches', '3', '--eval-every', '3', '--train-subset', '60', '--val-subset', '20', '--test-subset', '20']),
  ];
  for (const [i, config] of cases.entries()) {
    const lines: string[] = [];
    await runExperiment(config, { out: join(dir, `quiet${i}`), checkpointEvery: 0 });
    await runExperiment(config, { out: join(dir, `printed${i}`), checkpointEvery: 0, print: (l) => lines.push(l) });
    assert.deepEqual(withoutSeconds(readJsonl(join(dir, `printed${i}`, 'log.jsonl'))), withoutSeconds(readJsonl(join(dir, `quiet${i}`, 'log.jsonl'))));
    assert.match(lines[0], new RegExp(`^${config.task}: .*; estimated \\d`));
  }
}));

test('run CLI without a terminal: a start line with an estimate, then one line per evaluation with the sweep\'s progress', withTempDir(async (dir) => {
  const out = join(dir, 'toy');
  const r = await cli(['run', 'toy', '--lambda', '0,1', '--hidden', '3', '--steps', '4', '--batches', '4', '--eval-every', '2', '--eval-batch', '4', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'no live progress line when stderr is not a terminal');
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^toy: 2 runs \(bp-lambda λ=0, bp-lambda λ=1 × seed 1\), 4 batches each, B=10 T=4 H=3, evaluation every 2 batches, computation bp-lambda: blocked traces, K = n \(per-sequence, clip 1\), backend wasm, into .*; estimated \d+s \(s per batch: /);
  // the final table names each group's computation
  const table = lines.slice(lines.findIndex((l) => l.startsWith('group')));
  assert.match(table[0], /^group +computation +seeds +final loss/);
  assert.match(table[1], /^bp-lambda λ=0 +blocked traces, K = n \(per-sequence, clip 1\) +1 /);
  const evals = readJsonl(join(out, 'log.jsonl')).filter((l) => l.type === 'eval');
  const evalLines = lines.filter((l) => l.startsWith('['));
  assert.equal(evalLines.length, evals.length);
  evalLines.forEach((l, i) => {
    const done = (evals[i].series === 'bp-lambda λ=1 seed=1' ? 4 : 0) + (evals[i].batch as number);
    assert.ok(l.startsWith(`[${done}/8 ${Math.floor((100 * done) / 8)}% `), l);
    assert.ok(l.includes(`] ${evals[i].series}: batch ${evals[i].batch}, loss `), l);
  });
  assert.equal(lines[lines.length - 3], table[0], 'the table ends the output');
}));
