import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spectralRadius } from '../../src/kernels/spectral-radius.ts';
import { Rng } from '../../src/rng.ts';

/** S·diag(d)·S⁻¹ for a random well-conditioned S (2×2 rotation blocks times a diagonal): eigenvalues d. */
function similar(d: number[], seed: number): Float64Array {
  const n = d.length;
  const rng = new Rng(seed);
  // S = I + 0.3·N with N random: invert by solving with Gauss–Jordan (n small)
  const S = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0) + 0.3 * rng.uniform(-1, 1) / n));
  const inv = invert(S);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) out[i * n + j] += S[i][k] * d[k] * inv[k][j];
  return out;
}

function invert(M: number[][]): number[][] {
  const n = M.length;
  const A = M.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    const piv = A[c][c];
    for (let j = 0; j < 2 * n; j++) A[c][j] /= piv;
    for (let r = 0; r < n; r++) if (r !== c) for (let j = 2 * n - 1; j >= 0; j--) A[r][j] -= A[r][c] * A[c][j];
  }
  return A.map((r) => r.slice(n));
}

test('spectral radius of matrices with known eigenvalues (real, complex pairs, Jordan blocks, nilpotent)', () => {
  assert.ok(Math.abs(spectralRadius([0.5, 0, 0, 0, -0.9, 0, 0, 0, 0.3], 3) - 0.9) < 1e-12);
  // rotation-scaling: eigenvalues a ± ib
  const a = 0.6, b = 0.7;
  assert.ok(Math.abs(spectralRadius([a, -b, b, a], 2) - Math.hypot(a, b)) < 1e-12);
  // Jordan block: ρ = |λ| although ‖J^k‖ grows like k·λ^(k−1)
  assert.ok(Math.abs(spectralRadius([0.8, 1, 0, 0.8], 2) - 0.8) < 1e-10);
  assert.equal(spectralRadius([0, 1, 0, 0], 2), 0);
  assert.equal(spectralRadius([0, 0, 0, 0], 2), 0);
  assert.ok(Math.abs(spectralRadius([1e200, 0, 0, 3e199], 2) - 1e200) < 1e188, 'huge entries do not overflow');
  assert.throws(() => spectralRadius([1, 2, 3], 2), /spectralRadius: W must hold n×n = 2×2 values, received 3/);
});

test('spectral radius of S·diag(d)·S⁻¹ is max |d| (random sizes and spectra)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
      const rng = new Rng(seed);
      const d = Array.from({ length: n }, () => rng.uniform(-2, 2));
      const want = Math.max(...d.map(Math.abs));
      const got = spectralRadius(similar(d, seed + 1), n);
      assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(want, 1e-3), `n = ${n}: ${got} vs ${want}`);
    }),
    { numRuns: 60 },
  );
});
