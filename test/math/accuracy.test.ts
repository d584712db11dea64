import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosPi, exp, expm1, log, log1p, powInt, sigmoid, sinPi, tanh } from '../../src/math/index.ts';
import { Rng } from '../../src/rng.ts';
import { cosPiRef, expm1Ref, expRef, log1pRef, logRef, powIntRef, sigmoidRef, sinPiRef, tanhRef, ulpError, type Big } from './reference.ts';

/**
 * Accuracy of src/math against the BigInt oracle (reference.ts): the largest error in ulps
 * over deterministic random arguments spread over each domain (uniform, log-uniform in
 * magnitude, near the algorithms' internal boundaries, subnormal ranges). Each function's
 * stated bound (its docstring) is asserted, separately for normal and subnormal results.
 * ACCURACY_SAMPLES scales the number of arguments (default 1500 per range).
 */

const SAMPLES = Number(process.env.ACCURACY_SAMPLES ?? 1500);
const MIN_NORMAL = 2.2250738585072014e-308;

type Sampler = (rng: Rng) => number;
const uniform = (a: number, b: number): Sampler => (rng) => a + (b - a) * rng.next();
/** ±2^u with u uniform in [lo, hi] (random sign when `signed`). */
const logUniform = (lo: number, hi: number, signed = true): Sampler => (rng) => {
  const v = 2 ** (lo + (hi - lo) * rng.next());
  return signed && rng.next() < 0.5 ? -v : v;
};
/** Points within a few ulps-to-2^-20 of the given centres. */
const near = (centres: number[], spread = 2 ** -20): Sampler => (rng) => {
  const c = centres[rng.int(centres.length)];
  return c + spread * (2 * rng.next() - 1) * Math.max(1, Math.abs(c));
};

interface Worst {
  normal: number;
  subnormal: number;
  at: number;
  count: number;
}

function measure(f: (x: number) => number, ref: (x: number) => Big, samplers: Sampler[], seed: number): Worst {
  const rng = new Rng(seed);
  const worst: Worst = { normal: 0, subnormal: 0, at: NaN, count: 0 };
  for (const sample of samplers) {
    for (let i = 0; i < SAMPLES; i++) {
      const x = sample(rng);
      const y = f(x);
      const err = ulpError(y, ref(x));
      const key = Math.abs(y) < MIN_NORMAL && y !== 0 ? 'subnormal' : 'normal';
      if (err > worst[key] || !(err === err)) {
        worst[key] = err;
        if (key === 'normal') worst.at = x;
      }
      worst.count++;
    }
  }
  return worst;
}

function report(name: string, w: Worst): void {
  const sub = w.subnormal > 0 ? `, subnormal results ${w.subnormal.toFixed(4)} ulp` : '';
  console.log(`# ${name}: ${w.count} arguments, max error ${w.normal.toFixed(4)} ulp (at ${w.at})${sub}`);
}

const cases: { name: string; f: (x: number) => number; ref: (x: number) => Big; samplers: Sampler[]; bound: number; subnormalBound?: number }[] = [
  {
    name: 'exp',
    f: exp,
    ref: expRef,
    samplers: [uniform(-745.1, 709.78), uniform(-2, 2), logUniform(-60, 0), near([0.0027076061740622863, -0.0027076061740622863, 709.7827, -708.3964]), uniform(-745.13, -708.4)],
    bound: 0.51,
    subnormalBound: 1,
  },
  {
    name: 'expm1',
    f: expm1,
    ref: expm1Ref,
    samplers: [uniform(-40, 709.78), uniform(-1, 1), logUniform(-60, -2), near([0.125, -0.125, 0.25, -0.25]), logUniform(-80, -50)],
    bound: 0.51,
  },
  {
    name: 'log',
    f: log,
    ref: logRef,
    samplers: [logUniform(-1022, 1023, false), near([1, 0.5, 2, 1 - 2 ** -9, 1 + 2 ** -8], 2 ** -12), uniform(0.5, 2), logUniform(-1074, -1022, false), near([1], 2 ** -40)],
    bound: 0.51,
  },
  {
    name: 'log1p',
    f: log1p,
    ref: log1pRef,
    samplers: [logUniform(-60, 0), uniform(-1, 1), logUniform(-1, 1000, false), near([-1 + 2 ** -30], 2 ** -32), near([-0.5, 1]), logUniform(-1074, -60)],
    bound: 0.51,
  },
  {
    name: 'tanh',
    f: tanh,
    ref: tanhRef,
    samplers: [uniform(-23, 23), uniform(-1, 1), logUniform(-30, 0), near([0.0625, -0.0625, 19, 0.5])],
    bound: 0.51,
  },
  {
    name: 'sigmoid',
    f: sigmoid,
    ref: sigmoidRef,
    samplers: [uniform(-10, 10), uniform(-745, 45), logUniform(-60, 3), near([40, -40, 0, -700]), uniform(-710, -690)],
    bound: 0.51,
    subnormalBound: 1,
  },
  {
    name: 'sinPi',
    f: sinPi,
    ref: sinPiRef,
    samplers: [uniform(-4, 4), logUniform(-60, 0), near([0.25, 0.5, 0.75, 1, 1.5, -0.25], 2 ** -30), uniform(0, 2)],
    bound: 0.6,
  },
  {
    name: 'cosPi',
    f: cosPi,
    ref: cosPiRef,
    samplers: [uniform(-4, 4), logUniform(-60, 0), near([0.25, 0.5, 0.75, 1, 1.5, -0.5], 2 ** -30), uniform(0, 2)],
    bound: 0.6,
  },
];

for (const [i, c] of cases.entries()) {
  test(`math: ${c.name} is within ${c.bound} ulp of the BigInt reference`, () => {
    const w = measure(c.f, c.ref, c.samplers, 100 + i);
    report(c.name, w);
    assert.ok(w.normal < c.bound, `${c.name}: ${w.normal} ulp at x = ${w.at}`);
    assert.ok(w.subnormal < (c.subnormalBound ?? c.bound), `${c.name}: ${w.subnormal} ulp for a subnormal result`);
  });
}

test('math: powInt is within 0.51 ulp of the BigInt reference (Adam-like β^t, and wide ranges)', () => {
  const rng = new Rng(7);
  let worst = 0;
  let worstSub = 0;
  let at = '';
  const bases = [0.9, 0.98, 0.99, 0.999, 0.9999];
  for (let i = 0; i < SAMPLES; i++) {
    const pairs: [number, number][] = [
      [bases[rng.int(bases.length)], 1 + rng.int(i < 50 ? 100 : 200_000)],
      [0.5 + 1.5 * rng.next(), rng.int(4001) - 2000],
      [-(0.9 + 0.2 * rng.next()), rng.int(3001) - 1500],
      [rng.next(), 1 + rng.int(40)],
    ];
    for (const [x, n] of pairs) {
      const y = powInt(x, n);
      const err = ulpError(y, powIntRef(x, n));
      if (Math.abs(y) < MIN_NORMAL && y !== 0) worstSub = Math.max(worstSub, err);
      else if (err > worst) {
        worst = err;
        at = `${x}^${n}`;
      }
    }
  }
  console.log(`# powInt: ${4 * SAMPLES} arguments, max error ${worst.toFixed(4)} ulp (at ${at}), subnormal results ${worstSub.toFixed(4)} ulp`);
  assert.ok(worst < 0.51, `powInt: ${worst} ulp at ${at}`);
  assert.ok(worstSub < 1, `powInt: ${worstSub} ulp for a subnormal result`);
});
