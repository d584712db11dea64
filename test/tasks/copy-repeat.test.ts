import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/rng.ts';
import {
  bitsPerOutput,
  copyRepeatBatch,
  copyRepeatLength,
  Curriculum,
  type CurriculumState,
} from '../../src/tasks/copy-repeat.ts';

function row(a: ArrayLike<number>, b: number, width: number): number[] {
  return Array.from({ length: width }, (_, i) => a[b * width + i]);
}

test('copy-repeat: N = 2, R = 2 matches the hand-written table entry by entry', () => {
  const batch = copyRepeatBatch(new Rng(4), 1, 2, 2);
  assert.equal(batch.T, 9);
  assert.equal(batch.inputSize, 10);
  assert.equal(batch.outputSize, 9);
  assert.equal(batch.loss, 'sigmoid-bce');
  const p0 = Array.from(batch.patterns.subarray(0, 8));
  const p1 = Array.from(batch.patterns.subarray(8, 16));
  assert.notDeepEqual(p0, p1, 'this seed gives two different rows');
  const z8 = [0, 0, 0, 0, 0, 0, 0, 0];
  //                bits          start repeat
  const expectedX = [
    [...z8, /**/ 1, 0], // t = 0: start flag
    [...p0, /**/ 0, 0], // t = 1: pattern row 0
    [...p1, /**/ 0, 0], // t = 2: pattern row 1
    [...z8, /**/ 0, 0.2], // t = 3: repeat channel R/10
    [...z8, 0, 0],
    [...z8, 0, 0],
    [...z8, 0, 0],
    [...z8, 0, 0],
    [...z8, 0, 0],
  ];
  //                bits  end
  const expectedY = [null, null, null, null, [...p0, 0], [...p1, 0], [...p0, 0], [...p1, 0], [...z8, 1]];
  for (let t = 0; t < 9; t++) {
    assert.deepEqual(row(batch.x[t], 0, 10), expectedX[t], `x[${t}]`);
    const y = batch.y[t];
    assert.deepEqual(y === null ? null : row(y, 0, 9), expectedY[t], `y[${t}]`);
  }
});

test('copy-repeat: T = (R+1)·N + 3 and the table holds for every example (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (N, R, B, seed) => {
      const batch = copyRepeatBatch(new Rng(seed), B, N, R, 'float32');
      const T = (R + 1) * N + 3;
      assert.equal(batch.T, T);
      assert.equal(copyRepeatLength(N, R), T);
      assert.equal(batch.x.length, T);
      assert.ok(batch.x[0] instanceof Float32Array);
      for (let t = 0; t < T; t++) assert.equal(batch.y[t] === null, t < N + 2, `y[${t}] null iff t < N+2`);
      for (let b = 0; b < B; b++) {
        assert.deepEqual(row(batch.x[0], b, 10), [0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert.equal(batch.x[N + 1][b * 10 + 9], Math.fround(R / 10));
        for (let t = N + 2; t < T; t++) assert.ok(row(batch.x[t], b, 10).every((v) => v === 0));
        for (let k = 0; k < R * N; k++) {
          const shown = row(batch.x[1 + (k % N)], b, 10).slice(0, 8);
          assert.deepEqual(row(batch.y[N + 2 + k]!, b, 9), [...shown, 0]);
          assert.ok(shown.every((v) => v === 0 || v === 1));
        }
        assert.deepEqual(row(batch.y[T - 1]!, b, 9), [0, 0, 0, 0, 0, 0, 0, 0, 1]);
      }
    }),
    { numRuns: 60 },
  );
});

test('copy-repeat: same seed, same batch; different seeds differ', () => {
  assert.deepEqual(copyRepeatBatch(new Rng(1), 4, 3, 2), copyRepeatBatch(new Rng(1), 4, 3, 2));
  assert.notDeepEqual(copyRepeatBatch(new Rng(1), 4, 3, 2).patterns, copyRepeatBatch(new Rng(2), 4, 3, 2).patterns);
});

test('copy-repeat: arguments are validated', () => {
  assert.throws(() => copyRepeatBatch(new Rng(1), 1, 0, 1), { message: 'copy-repeat: N: expected an integer ≥ 1, received 0' });
  assert.throws(() => copyRepeatBatch(new Rng(1), 1, 1, 1.5), { message: 'copy-repeat: R: expected an integer ≥ 1, received 1.5' });
  assert.throws(() => copyRepeatBatch(new Rng(1), 0, 1, 1), { message: 'copy-repeat: B: expected an integer ≥ 1, received 0' });
  assert.throws(() => bitsPerOutput(-1), { message: 'copy-repeat: bceNatsMean: expected a number ≥ 0, received -1' });
});

test('bitsPerOutput: nats / ln 2', () => {
  assert.equal(bitsPerOutput(Math.LN2), 1);
  assert.ok(Math.abs(bitsPerOutput(0.15 * Math.LN2) - 0.15) < 1e-15);
  assert.equal(bitsPerOutput(0), 0);
});

test('curriculum: scripted losses give (1,1)→(2,1)→(2,2)→(3,2)→(3,3)→(4,3)', () => {
  const curriculum = new Curriculum();
  assert.deepEqual([curriculum.N, curriculum.R, curriculum.T], [1, 1, 5]);
  const losses = [0.5, 0.1, 0.2, 0.1, 0.1, 0.14, 0.15, 0.01, 0.3];
  const advanced = losses.map((loss, i) => curriculum.observe(i, loss));
  assert.deepEqual(advanced, [false, true, false, true, true, true, false, true, false]);
  assert.deepEqual(curriculum.advances, [
    { batch: 1, N: 2, R: 1, T: 7 },
    { batch: 3, N: 2, R: 2, T: 9 },
    { batch: 4, N: 3, R: 2, T: 12 },
    { batch: 5, N: 3, R: 3, T: 15 },
    { batch: 7, N: 4, R: 3, T: 19 },
  ]);
  assert.deepEqual([curriculum.N, curriculum.R, curriculum.T], [4, 3, 19]);
});

test('curriculum: the threshold is configurable', () => {
  const curriculum = new Curriculum({ threshold: 0.5 });
  assert.equal(curriculum.observe(0, 0.4), true);
  assert.equal(curriculum.observe(1, 0.6), false);
  assert.throws(() => new Curriculum({ threshold: 0 }), { message: 'curriculum: threshold: expected a finite number > 0, received 0' });
});

test('curriculum: state round-trips through JSON and continues identically', () => {
  const original = new Curriculum({ threshold: 0.2 });
  [0.1, 0.3, 0.1, 0.1].forEach((loss, i) => original.observe(i, loss));
  const restored = Curriculum.fromState(JSON.parse(JSON.stringify(original.getState())) as CurriculumState);
  assert.deepEqual(restored.getState(), original.getState());
  for (const c of [original, restored]) [0.05, 0.5, 0.05].forEach((loss, i) => c.observe(10 + i, loss));
  assert.deepEqual(restored.getState(), original.getState());
  assert.deepEqual([restored.N, restored.R], [4, 3]); // (2,1) (2,2) (3,2) then (3,3) (4,3)
});

test('curriculum: fromState rejects states the rule cannot reach', () => {
  const good: CurriculumState = { threshold: 0.15, N: 2, R: 2, advances: [{ batch: 1, N: 2, R: 1, T: 7 }, { batch: 3, N: 2, R: 2, T: 9 }] };
  assert.doesNotThrow(() => Curriculum.fromState(good));
  assert.throws(() => Curriculum.fromState({ ...good, N: 3 }), /curriculum state: N, R: expected 2, 2/);
  assert.throws(() => Curriculum.fromState({ ...good, R: 3 }), /curriculum state: R: expected an integer in \[1, 2\], received 3/);
  assert.throws(
    () => Curriculum.fromState({ ...good, advances: [good.advances[0], { batch: 3, N: 3, R: 1, T: 9 }] }),
    /curriculum state: advances\[1\]: expected \{ N: 2, R: 2, T: 9 \}/,
  );
  assert.throws(
    () => Curriculum.fromState({ ...good, advances: [good.advances[0], { ...good.advances[1], batch: 1 }] }),
    /curriculum state: advances\[1\]\.batch: expected an integer ≥ 2, received 1/,
  );
  assert.throws(() => Curriculum.fromState({ ...good, advances: 'none' as never }), /curriculum state: advances: expected an array/);
  assert.throws(() => Curriculum.fromState(null as never), /curriculum state: state: expected an object, received null/);
});

test('curriculum: observe validates its arguments', () => {
  const curriculum = new Curriculum();
  curriculum.observe(4, 0.1);
  assert.throws(() => curriculum.observe(4, 0.1), { message: 'curriculum: batchIndex: expected an integer ≥ 5, received 4' });
  assert.throws(() => curriculum.observe(5, Number.NaN), { message: 'curriculum: meanLossBits: expected a number ≥ 0, received NaN' });
  assert.throws(() => curriculum.observe(5, -0.1), { message: 'curriculum: meanLossBits: expected a number ≥ 0, received -0.1' });
});
