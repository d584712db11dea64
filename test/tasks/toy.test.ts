import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/rng.ts';
import { createToyTask, type ToyBatch } from '../../src/tasks/toy.ts';

function row(a: ArrayLike<number>, b: number, width: number): number[] {
  return Array.from({ length: width }, (_, i) => a[b * width + i]);
}

function checkLastBatch(task: ReturnType<typeof createToyTask>, batch: ToyBatch, B: number, T: number): void {
  assert.equal(batch.T, T);
  assert.equal(batch.B, B);
  assert.equal(batch.inputSize, task.patternBits);
  assert.equal(batch.outputSize, task.outputSize);
  assert.equal(batch.loss, 'mse');
  assert.equal(batch.x.length, T);
  assert.equal(batch.y.length, T);
  for (let b = 0; b < B; b++) {
    const pair = task.pairs[batch.pairIndex[b]];
    assert.deepEqual(row(batch.x[0], b, task.patternBits), pair.pattern);
  }
  for (let t = 1; t < T; t++) assert.ok(batch.x[t].every((v) => v === 0), `x[${t}] is all zero`);
}

test('toy: pairs are K distinct non-zero binary patterns with distinct unit-circle points', () => {
  const task = createToyTask({ seed: 3 });
  assert.equal(task.K, 8);
  assert.equal(task.pairs.length, 8);
  const keys = new Set(task.pairs.map((p) => p.pattern.join('')));
  assert.equal(keys.size, 8);
  for (const { pattern, point } of task.pairs) {
    assert.equal(pattern.length, 10);
    assert.ok(pattern.every((v) => v === 0 || v === 1));
    assert.ok(pattern.includes(1));
    assert.equal(point.length, 2);
    assert.ok(Math.abs(Math.hypot(point[0], point[1]) - 1) < 1e-12);
  }
  const angles = task.pairs.map((p) => Math.atan2(p.point[1], p.point[0]));
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j < 8; j++) assert.ok(Math.abs(Math.cos(angles[i] - angles[j]) - 1) > 1e-6, 'points are distinct');
  }
});

test('toy: K = 1 gives the single pattern with target (0, 1)', () => {
  const task = createToyTask({ K: 1, seed: 11 });
  assert.deepEqual(task.pairs[0].point, [0, 1]);
  const batch = task.batch(new Rng(1), 4, 5);
  for (let b = 0; b < 4; b++) assert.deepEqual(row(batch.y[4]!, b, 2), [0, 1]);
});

test("toy 'last': documented shapes, pattern at t = 0, zeros after, target only at the last step", () => {
  const task = createToyTask({ seed: 5 });
  const batch = task.batch(new Rng(9), 10, 7);
  checkLastBatch(task, batch, 10, 7);
  for (let t = 0; t < 6; t++) assert.equal(batch.y[t], null);
  for (let b = 0; b < 10; b++) assert.deepEqual(row(batch.y[6]!, b, 2), task.pairs[batch.pairIndex[b]].point);
  assert.ok(batch.x[0] instanceof Float64Array);
});

test("toy 'line-draw': targets every step on the segment from 0 to the point, |y_T| = 1", () => {
  const task = createToyTask({ seed: 5, variant: 'line-draw' });
  const T = 12;
  const batch = task.batch(new Rng(2), 6, T);
  checkLastBatch(task, batch, 6, T);
  for (let b = 0; b < 6; b++) {
    const p = task.pairs[batch.pairIndex[b]].point;
    for (let t = 0; t < T; t++) {
      const [u, v] = row(batch.y[t]!, b, 2);
      assert.ok(Math.abs(u * p[1] - v * p[0]) < 1e-12, 'collinear with the point');
      assert.ok(u * p[0] + v * p[1] > 0, 'same direction as the point');
      assert.ok(Math.abs(Math.hypot(u, v) - (t + 1) / T) < 1e-12, 'distance (t+1)/T from the origin');
    }
    assert.ok(Math.abs(Math.hypot(...row(batch.y[T - 1]!, b, 2)) - 1) < 1e-12);
  }
});

test('toy: float32 batches and outputSize > 2 (circle in the first two coordinates)', () => {
  const task = createToyTask({ seed: 1, outputSize: 4, patternBits: 6, K: 3 });
  const batch = task.batch(new Rng(0), 3, 2, 'float32');
  assert.ok(batch.x[0] instanceof Float32Array);
  assert.ok(batch.y[1] instanceof Float32Array);
  assert.equal(batch.x[0].length, 3 * 6);
  assert.equal(batch.y[1]!.length, 3 * 4);
  for (const { point } of task.pairs) {
    assert.equal(point[2], 0);
    assert.equal(point[3], 0);
  }
});

test('toy: same seeds give identical batches; different seeds differ', () => {
  const a = createToyTask({ seed: 42 }).batch(new Rng(7), 16, 5);
  const b = createToyTask({ seed: 42 }).batch(new Rng(7), 16, 5);
  assert.deepEqual(a, b);
  const otherTask = createToyTask({ seed: 43 });
  assert.notDeepEqual(otherTask.pairs.map((p) => p.pattern), createToyTask({ seed: 42 }).pairs.map((p) => p.pattern));
  const c = createToyTask({ seed: 42 }).batch(new Rng(8), 16, 5);
  assert.notDeepEqual(Array.from(a.pairIndex), Array.from(c.pairIndex));
});

test('toy: pair indices are roughly uniform', () => {
  const task = createToyTask({ seed: 0 });
  const counts = new Array<number>(8).fill(0);
  const batch = task.batch(new Rng(123), 8000, 1);
  for (const k of batch.pairIndex) counts[k]++;
  for (const count of counts) assert.ok(Math.abs(count - 1000) < 150, `count ${count} near 1000`);
});

test('toy: property — for any K, B, T, seeds, both variants satisfy the spec', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 16 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer(),
      fc.integer(),
      fc.constantFrom('last' as const, 'line-draw' as const),
      (K, B, T, taskSeed, batchSeed, variant) => {
        const task = createToyTask({ K, seed: taskSeed, variant });
        const batch = task.batch(new Rng(batchSeed), B, T);
        checkLastBatch(task, batch, B, T);
        for (let t = 0; t < T; t++) {
          const y = batch.y[t];
          if (variant === 'last' && t < T - 1) {
            assert.equal(y, null);
            continue;
          }
          const scale = variant === 'last' ? 1 : (t + 1) / T;
          for (let b = 0; b < B; b++) {
            const p = task.pairs[batch.pairIndex[b]].point;
            const [u, v] = row(y!, b, 2);
            assert.ok(Math.abs(u - scale * p[0]) < 1e-12 && Math.abs(v - scale * p[1]) < 1e-12);
          }
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('toy: arguments are validated with named messages', () => {
  const task = createToyTask({ seed: 1 });
  assert.throws(() => task.batch(new Rng(1), 4, 0), { message: 'toy: T: expected an integer ≥ 1, received 0' });
  assert.throws(() => task.batch(new Rng(1), 2.5, 3), { message: 'toy: B: expected an integer ≥ 1, received 2.5' });
  assert.throws(() => task.batch(new Rng(1), 2, 3, 'float16' as never), /toy: dtype: expected "float64" or "float32", received "float16"/);
  assert.throws(() => task.batch({} as never, 2, 3), /toy: rng: expected an Rng, received an object/);
  assert.throws(() => createToyTask({ seed: 1, K: 0 }), /toy: K: expected an integer in \[1, 1023\], received 0/);
  assert.throws(() => createToyTask({ seed: 1, K: 4, patternBits: 2 }), /toy: K: expected an integer in \[1, 3\], received 4/);
  assert.throws(() => createToyTask({ seed: 1, outputSize: 1 }), /toy: outputSize: expected an integer ≥ 2, received 1/);
  assert.throws(() => createToyTask({ seed: 1, variant: 'first' as never }), /toy: variant: expected "last" or "line-draw", received "first"/);
  assert.throws(() => createToyTask({} as never), /toy: seed: expected an integer/);
});
