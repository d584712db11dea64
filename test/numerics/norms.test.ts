import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipToNorm, cosine, l2Norm, NormAccumulator } from '../../src/norms.ts';
import { meanSd } from '../../src/experiments/summary.ts';

const rel = (got: number, want: number, tol = 1e-15) => Math.abs(got - want) <= tol * Math.abs(want);

test('l2Norm is exact to rounding at entries of 1e-200 and 1e200 (where Σx² under- or overflows)', () => {
  for (const s of [1e-200, 1, 1e200]) {
    assert.ok(rel(l2Norm([3 * s, 4 * s]), 5 * s), `scale ${s}`);
    assert.ok(rel(l2Norm(new Float64Array(100).fill(s)), 10 * s), `100 entries of ${s}`);
    assert.ok(rel(l2Norm([-s, 0, s, -s, s]), 2 * s), `signs at ${s}`);
  }
  // mixed magnitudes: the small entries vanish below the rounding of the large one
  assert.ok(rel(l2Norm([1e-200, 1e200, 1e-200]), 1e200));
  assert.equal(l2Norm([]), 0);
  assert.ok(rel(l2Norm([1e308, 1e308]), Math.SQRT2 * 1e308)); // √2·1e308 is still a double
  assert.equal(l2Norm([1.5e308, 1.5e308]), Infinity); // 2.1e308 is not
  assert.ok(Number.isNaN(l2Norm([1, NaN, Infinity])));
  assert.equal(l2Norm([Infinity, -Infinity, 1]), Infinity);
  const acc = new NormAccumulator();
  acc.addAll([3e200]);
  acc.add(4e200);
  assert.ok(rel(acc.value(), 5e200));
});

test('cosine is scale-free at 1e-200 and 1e200 entries and 0 for a zero vector', () => {
  const a = [1, 2, -2];
  const b = [2, 1, 2]; // a·b = 0
  const c = [2, 4, -4]; // parallel to a
  for (const s of [1e-200, 1e200]) {
    for (const t of [1e-200, 1, 1e200]) {
      const sa = a.map((v) => v * s);
      assert.equal(cosine(sa, b.map((v) => v * t)), 0);
      assert.ok(rel(cosine(sa, c.map((v) => v * t)), 1), `${s} ${t}`);
      assert.ok(rel(cosine(sa, c.map((v) => -v * t)), -1));
    }
  }
  assert.equal(cosine([0, 0], [1, 2]), 0);
  assert.equal(cosine([9, 1, 0, 9], [9, 0, 1, 9], 1, 2), 0); // only [1, 0]·[0, 1] is read
  assert.ok(rel(cosine([9, 1, 1, 9], [-9, 2, 2, 9], 1, 2), 1));
});

test('clipToNorm rescales to the clip norm at 1e200 and 1e-200 entries', () => {
  const big = Float64Array.from([3e200, 4e200]);
  clipToNorm(big, 1);
  assert.ok(rel(big[0], 0.6) && rel(big[1], 0.8), String(big));
  const tiny = Float64Array.from([3e-200, 4e-200]);
  clipToNorm(tiny, 1e-200);
  assert.ok(rel(tiny[0], 6e-201) && rel(tiny[1], 8e-201), String(tiny));
  const inside = Float64Array.from([3, 4]);
  assert.equal(clipToNorm(inside, 5), 1);
  assert.deepEqual(Array.from(inside), [3, 4]);
});

test('meanSd: the sample standard deviation does not overflow or underflow (1e200, 1e-200 values)', () => {
  for (const s of [1e-200, 1e200]) {
    const { mean, sd } = meanSd([s, 3 * s]);
    assert.ok(rel(mean, 2 * s), `mean at ${s}`);
    assert.ok(rel(sd, Math.SQRT2 * s, 1e-14), `sd at ${s}: ${sd}`);
  }
});
