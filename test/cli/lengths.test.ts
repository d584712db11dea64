import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGrads } from '../../src/cli/grads.ts';
import { runPredict } from '../../src/cli/predict.ts';
import { batchFromJson, batchToJson } from '../../src/io/batch-json.ts';

/**
 * Batch JSON "lengths": read and written; `grads` and `predict` honour it. Oracles: the
 * gradients of a padded batch are the mean of those of each example run alone over its own
 * steps; a prediction holds an ended example's last state and output.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const golden = join(root, 'test/fixtures/golden/lstm-mse');
const MODEL = join(golden, 'model.json');
const batch = JSON.parse(readFileSync(join(golden, 'batch.json'), 'utf8')) as { x: number[][][]; y: (number[][] | null)[]; loss: string };
const T = batch.x.length; // 5, B = 2

function inDir<R>(fn: (dir: string) => R): R {
  const dir = mkdtempSync(join(tmpdir(), 'bpl-len-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function cli(run: typeof runGrads, args: (file: string) => string[], json: unknown): any {
  return inDir((dir) => {
    const file = join(dir, 'batch.json');
    writeFileSync(file, JSON.stringify(json));
    let out = '';
    run(args(file), (s) => (out += s));
    return JSON.parse(out);
  });
}

/** Example b alone, over its first L steps. */
const alone = (b: number, L: number) => ({ x: batch.x.slice(0, L).map((r) => [r[b]]), y: batch.y.slice(0, L).map((r) => r && [r[b]]), loss: batch.loss });

/** Leaves of two gradient JSON trees, paired. */
function leaves(a: unknown, path = ''): [string, number][] {
  if (typeof a === 'number') return [[path, a]];
  if (a === null || typeof a !== 'object') return [];
  return Object.entries(a as object).flatMap(([k, v]) => leaves(v, `${path}.${k}`));
}

test('grads honours batch JSON "lengths": the gradients are the mean of each example run alone over its own steps; padding is not read', () => {
  const grads = (json: unknown) => cli(runGrads, (f) => ['--model', MODEL, '--batch', f, '--method', 'bptt'], json);
  const padded = { ...batch, lengths: [T, 3] };
  // the padding of example 1 holds values that would change the result if it were read
  padded.x = batch.x.map((r, t) => (t < 3 ? r : [r[0], [50, -50]]));
  padded.y = batch.y.map((r, t) => (r === null || t < 3 ? r : [r[0], [9, 9]]));
  const got = grads(padded);
  const a = grads(alone(0, T));
  const b = grads(alone(1, 3));
  const want = new Map(leaves({ cell: a.cell, readout: a.readout, loss: a.loss }).map(([k, v], i) => [k, (v + leaves({ cell: b.cell, readout: b.readout, loss: b.loss })[i][1]) / 2]));
  const have = leaves({ cell: got.cell, readout: got.readout, loss: got.loss });
  assert.equal(have.length, want.size);
  for (const [k, v] of have) assert.ok(Math.abs(v - want.get(k)!) <= 1e-12 * (1 + Math.abs(v)), `${k}: ${v} vs ${want.get(k)}`);
});

test('predict honours "lengths": an ended example holds its last state and output; its steps before are those of the example alone', () => {
  const predict = (json: unknown) => cli(runPredict, (f) => ['--model', MODEL, '--input', f], json);
  for (const input of [{ x: batch.x, lengths: [T, 2] }, { ...batch, lengths: [T, 2] }]) {
    const got = predict(input);
    const one = predict({ x: alone(1, 2).x });
    const all = predict({ x: batch.x });
    for (let t = 0; t < T; t++) {
      assert.deepEqual(got.outputs[t][0], all.outputs[t][0], `example 0, step ${t}`);
      assert.deepEqual(got.outputs[t][1], one.outputs[Math.min(t, 1)][0], `example 1 output, step ${t}`);
      assert.deepEqual(got.states[t][1], one.states[Math.min(t, 1)][0], `example 1 state, step ${t}`);
    }
  }
  assert.throws(() => predict({ x: batch.x, lengths: [T, 6] }), /--input .*\.lengths\[1\]: expected an integer in \[1, 5\], received 6/);
});

test('batch JSON "lengths" round-trips through batchToJson / batchFromJson; padding is stored and written as 0', () => {
  const json = { ...batch, x: batch.x.map((r, t) => (t < 4 ? r : [r[0], [7, 7]])), lengths: [T, 4] };
  const b = batchFromJson(json);
  assert.deepEqual(Array.from(b.lengths!), [T, 4]);
  assert.deepEqual(Array.from(b.x[4].subarray(2)), [0, 0]);
  const back = batchToJson(b) as { lengths: number[]; x: number[][][] };
  assert.deepEqual(back.lengths, [T, 4]);
  assert.deepEqual(back.x[4][1], [0, 0]);
  assert.deepEqual(batchFromJson(back), b);
  assert.equal('lengths' in (batchToJson(batchFromJson(batch)) as object), false);
  assert.throws(() => batchFromJson({ ...batch, lengths: 3 }), /batch\.lengths: expected an array of 2 integers in \[1, 5\]/);
});
