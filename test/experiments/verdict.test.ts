import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepEntries } from '../../src/experiments/config.ts';
import { meanSd, type SeriesSummary, type Summary } from '../../src/experiments/summary.ts';
import { verdict } from '../../src/experiments/verdict.ts';
import { cli, configFor, withTempDir } from './run-helpers.ts';

const m = (...values: number[]) => meanSd(values);

test('the verdict rule: supported when ordered as claimed by more than the larger seed sd, contradicted when the opposite holds so, otherwise not separable', () => {
  assert.equal(verdict(m(0.9, 0.8, 1.0), m(0.5, 0.4, 0.6), 'higher'), 'supported'); // gap 0.4 > sd 0.1
  assert.equal(verdict(m(0.5, 0.4, 0.6), m(0.9, 0.8, 1.0), 'higher'), 'contradicted');
  assert.equal(verdict(m(0.1, 0.2, 0.3), m(0.5, 0.4, 0.6), 'lower'), 'supported'); // lower is better: 0.2 below 0.5
  assert.equal(verdict(m(0.6, 0.2, 1.0), m(0.5, 0.4, 0.6), 'higher'), 'not separable at this budget'); // gap 0.1 < sd 0.4
  // the gap must exceed the spread: equal is not enough
  assert.equal(verdict({ mean: 1.5, sd: 0.5, n: 3 }, { mean: 1, sd: 0.2, n: 3 }, 'higher'), 'not separable at this budget');
  assert.equal(verdict({ mean: 1.5000001, sd: 0.5, n: 3 }, { mean: 1, sd: 0.2, n: 3 }, 'higher'), 'supported');
  // one seed has no spread to compare the gap with
  assert.equal(verdict(m(0.9), m(0.1, 0.2), 'higher'), 'not separable at this budget');
  assert.equal(verdict(m(NaN, NaN), m(0.1, 0.2), 'higher'), 'not separable at this budget');
});

test('results:tables gives each claim of the paper its verdict, on hand-made summaries', withTempDir((dir) => {
  const config = configFor('seq-mnist', ['--data', 'synthetic', '--method', 'tbptt,sg,bp-lambda', '--lambda', '0,1', '--seeds', '1,2,3']);
  const errors: Record<string, number[]> = { 'tbptt n=2': [0.15, 0.16, 0.17], 'sg n=2': [0.2, 0.21, 0.22], 'bp-lambda λ=0': [0.3, 0.2, 0.4], 'bp-lambda λ=1': [0.1, 0.11, 0.12] };
  const series: SeriesSummary[] = sweepEntries(config).map((e) => {
    const testError = errors[e.group][config.seeds.indexOf(e.seed)];
    return {
      series: e.series, group: e.group, method: e.method, lambda: e.variant.lambda ?? null, seed: e.seed, computation: 'hand-made', regime: 'per-sequence', batches: 1,
      seconds: 1, finalLoss: 1, finalAlignment: null, details: { best: { epoch: 1, batch: 1, valLoss: 1, valError: testError, testError } },
    };
  });
  const summary: Summary = { task: config.task, config, series, groups: [], plots: [], provenance: [] };
  mkdirSync(join(dir, 'hand'));
  writeFileSync(join(dir, 'hand', 'summary.json'), JSON.stringify(summary));
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'examples/results-tables.ts', join(dir, 'hand')], { encoding: 'utf8' });
  const row = (pair: string) => out.split('\n').find((l) => l.includes(`| ${pair} |`)) ?? '';
  assert.match(row('bp-lambda λ=0 vs tbptt n=2'), /\*\*contradicted\*\*/); // 0.30 above 0.16 by 0.14 > sd 0.1
  assert.match(row('bp-lambda λ=0 vs sg n=2'), /\*\*not separable at this budget\*\*/); // 0.30 vs 0.21: 0.09 < 0.1
  assert.match(row('bp-lambda λ=1 vs tbptt n=2'), /\*\*supported\*\*/);
  assert.match(row('bp-lambda λ=1 vs sg n=2'), /\*\*supported\*\*/);
  assert.match(out, /\| bp-lambda λ=1 \| hand-made \| 3 \| 0\.110 ± 0\.010 \|/, 'the groups are recomputed from the series');
}));

test('run --help lists the paper\'s set-up per task as the defaults (docs/EXPERIMENTS.md, in the units of the paper\'s code)', async () => {
  const r = await cli(['run', '--help']);
  assert.equal(r.code, 0);
  const block = (task: string) => {
    const lines = r.stdout.split('\n');
    const start = lines.findIndex((l) => l.startsWith(`  ${task} `) && l.includes('--cell'));
    assert.ok(start >= 0, `a set-up for ${task}`);
    const end = lines.findIndex((l, i) => i > start && !l.startsWith('               '));
    return lines.slice(start, end).join(' ').replace(/\s+/g, ' ');
  };
  const common = ['--gain 1', '--regime per-sequence', '--computation blocked', '--synth-clip 1'];
  const want: Record<string, string[]> = {
    toy: ['--cell rnn', '--activation identity', '--hidden 30', '--batch 10', '--lr 0', '--synth-lr 0.0001', '--pairs 1', '--fixed-rnn', '--gamma 1', '--sg-scale 1', '--target-scale 1/10'],
    'seq-mnist': ['--cell lstm', '--hidden 30', '--batch 50', '--lr 0.0003', '--synth-lr 0.0003', '--epochs 50', '--gamma 0.9', '--sg-scale 0.1', '--target-scale 1/50'],
    'copy-repeat': ['--cell lstm', '--hidden 100', '--batch 100', '--lr 0.001', '--synth-lr 0.00001', '--gamma 0.9', '--sg-scale 1', '--target-scale 1/900', '--truncation 4'],
  };
  // each set-up line can be pasted as it is: its options, parsed, give the task's defaults with the paper's comparison
  const comparisons: Record<string, [string, string]> = { toy: ['bp-lambda', '0,0.5,1'], 'line-draw': ['bp-lambda', '0,0.5,1'], 'seq-mnist': ['bptt,tbptt,sg,bp-lambda', '0,0.5,1'], 'copy-repeat': ['tbptt,sg,bp-lambda', '0,1'] };
  for (const [task, [methods, lambdas]] of Object.entries(comparisons)) {
    const argv = block(task).replace(/\(\d+ batches\)/, '').trim().split(' ').slice(1);
    assert.deepEqual(configFor(task, argv), configFor(task, ['--method', methods, '--lambda', lambdas]), `${task}: ${argv.join(' ')}`);
  }
  for (const [task, flags] of Object.entries(want)) {
    const text = block(task);
    for (const f of [...flags, ...common]) assert.ok(text.includes(`${f} `) || text.endsWith(f), `${task}: ${f} in ${text}`);
    // and a run given no option has them
    const c = configFor(task, []);
    assert.deepEqual([c.methodSettings.regime, c.methodSettings.computation, c.methodSettings.synthClip, c.gain], ['per-sequence', 'blocked', 1, 1]);
  }
  assert.equal(configFor('copy-repeat', []).methodSettings.targetScale, 1 / 900);
  assert.equal(configFor('seq-mnist', ['--batch', '20']).methodSettings.targetScale, 1 / 20, 'ρ = 1/B follows --batch');
});

test('results:tables on a folder that does not exist, a file, or an unreadable summary: one line on standard error, exit 1, no stack trace', withTempDir((dir) => {
  mkdirSync(join(dir, 'broken'));
  writeFileSync(join(dir, 'broken', 'summary.json'), '{ not json');
  writeFileSync(join(dir, 'file'), '');
  const cases: [string, RegExp][] = [
    [join(dir, 'nope'), /^results:tables: error: .*nope: no such folder\n$/],
    [join(dir, 'file'), /^results:tables: error: .*file: not a folder/],
    [join(dir, 'broken'), /^results:tables: error: .*broken\/summary\.json: cannot be read as JSON/],
  ];
  for (const [folder, want] of cases) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/results-tables.ts', folder], { encoding: 'utf8' });
    assert.equal(r.status, 1, folder);
    assert.match(r.stderr, want);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
  }
}));
