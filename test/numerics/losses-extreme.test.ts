import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossStep } from '../../src/cells/losses.ts';
import type { LossKind } from '../../src/data/batch.ts';

/**
 * Every loss and its gradient at logits of magnitude 1e2, 1e8, 1e16 and 1e300, against closed
 * forms derived by hand for logits that are multiples of the scale s (so the closed forms are
 * exact expressions in s, computed with log1p/exp of non-positive arguments only).
 */
const SCALES = [1e2, 1e8, 1e16, 1e300];

/** Relative error ≤ rel (losses, whose value may be tiny and must keep its digits). */
function close(got: number, want: number, what: string, rel = 1e-14): void {
  if (want === got) return;
  assert.ok(Math.abs(got - want) <= rel * Math.abs(want), `${what}: got ${got}, want ${want}`);
}

/** Absolute error ≤ 2⁻⁵⁰ (gradients of these losses lie in [−1, 1]: an ulp of 1 is the floor). */
function near(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= 2 ** -50, `${what}: got ${got}, want ${want}`);
}

function run(kind: LossKind, z: number[], y: number[]): { loss: number; grad: number[] } {
  const grad = new Float64Array(z.length);
  const loss = lossStep(kind, Float64Array.from(z), Float64Array.from(y), 1, z.length, grad);
  return { loss, grad: Array.from(grad) };
}

/**
 * softmax-ce at logits z = s·a (a ∈ {−1, 0, 1}^O) with one-hot target k: with M = max a,
 * the k tied maxima and D = Σ_{a_o < M} e^{−s(M − a_o)},
 *   ℓ = s(M − a_k) + log(#max) + log1p(D / #max),   p_o = e^{−s(M − a_o)} / (#max + D).
 */
function softmaxClosedForm(s: number, a: number[], k: number): { loss: number; grad: number[] } {
  const M = Math.max(...a);
  const top = a.filter((v) => v === M).length;
  let D = 0;
  for (const v of a) if (v < M) D += Math.exp(-s * (M - v));
  const loss = s * (M - a[k]) + Math.log(top) + Math.log1p(D / top);
  const p = a.map((v) => (v === M ? 1 : Math.exp(-s * (M - v))) / (top + D));
  // p_k − 1 = −Σ_{o≠k} p_o, summed so that a p_k within an ulp of 1 keeps its digits
  const grad = p.map((po, o) => (o === k ? -p.reduce((acc, q, j) => (j === k ? acc : acc + q), 0) : po));
  return { loss, grad };
}

test('softmax-ce: loss and gradient at logits ±1e2 … ±1e300 equal the closed form (log-softmax as (z − m) − log Σ e^{z − m})', () => {
  const patterns = [
    [1, 1],
    [1, -1],
    [-1, 1],
    [1, 0],
    [0, -1, 1],
    [-1, -1, -1],
    [1, 1, -1, 0],
  ];
  for (const s of SCALES) {
    for (const a of patterns) {
      for (let k = 0; k < a.length; k++) {
        const y = a.map((_, o) => (o === k ? 1 : 0));
        const got = run('softmax-ce', a.map((v) => s * v), y);
        const want = softmaxClosedForm(s, a, k);
        const what = `s=${s} a=[${a}] target ${k}`;
        close(got.loss, want.loss, `${what} loss`);
        got.grad.forEach((g, o) => near(g, want.grad[o], `${what} grad[${o}]`));
      }
    }
  }
});

test('softmax-ce: the issue example, bias [1e16, 1e16] and target [0, 1], gives ln 2 and [0.5, −0.5]', () => {
  const got = run('softmax-ce', [1e16, 1e16], [0, 1]);
  assert.equal(got.loss, Math.LN2);
  assert.deepEqual(got.grad, [0.5, -0.5]);
});

/**
 * sigmoid-bce with target t: ℓ = t·softplus(−z) + (1 − t)·softplus(z), softplus(u) = u + log1p(e^{−u})
 * for u > 0 and log1p(e^{u}) otherwise; ∂ℓ/∂z = σ(z) − t with σ(z) = 1/(1 + e^{−z}) (z ≥ 0) or e^{z}/(1 + e^{z}).
 */
function softplus(u: number): number {
  return u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
}

test('sigmoid-bce: loss and gradient at logits ±1e2 … ±1e300 equal the closed form, soft targets near 1 included', () => {
  const targets = [0, 0.25, 1, 1 - 2 ** -30, 2 ** -30];
  for (const s of SCALES) {
    for (const z of [s, -s]) {
      for (const t of targets) {
        const got = run('sigmoid-bce', [z], [t]);
        // t·softplus(−z) + (1 − t)·softplus(z): one of the two terms is exactly |z|·weight + a log1p
        const want = (t === 0 ? 0 : t * softplus(-z)) + (t === 1 ? 0 : (1 - t) * softplus(z));
        const sigma = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
        close(got.loss, want, `z=${z} t=${t} loss`, 1e-13);
        near(got.grad[0], sigma - t, `z=${z} t=${t} grad`);
      }
    }
  }
});

test('mse: loss and gradient at ±1e2 … ±1e300 (½d² computed as (½d)·d: finite up to |d| = √(2·MAX))', () => {
  for (const s of SCALES) {
    for (const z of [s, -s]) {
      const got = run('mse', [z, 0], [0, z]);
      // ½z² + ½z² = z², overflowing to Infinity only where z² itself exceeds the largest double
      const want = z * z;
      close(got.loss, want, `z=${z} loss`);
      assert.deepEqual(got.grad, [z, -z]);
    }
  }
  // ½d² of d = 1.5e154 is 1.125e308 (finite) although d² overflows
  close(run('mse', [1.5e154], [0]).loss, 1.125e308, 'd = 1.5e154');
});
