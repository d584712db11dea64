import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cosPi, exp, expm1, log, log1p, powInt, sigmoid, sinPi, tanh } from '../../src/math/index.ts';
import { Rng } from '../../src/rng.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const MAX = Number.MAX_VALUE;
const TINY = 5e-324;

/** [argument, expected] pairs compared with Object.is (so −0 ≠ +0 and NaN = NaN). */
const SPECIAL: Record<string, [(x: number) => number, [number, number][]]> = {
  exp: [exp, [[NaN, NaN], [Infinity, Infinity], [-Infinity, 0], [0, 1], [-0, 1], [710, Infinity], [709.8, Infinity], [-746, 0], [-745.2, 0], [-745.1, TINY], [1e-300, 1], [-TINY, 1]]],
  expm1: [expm1, [[NaN, NaN], [Infinity, Infinity], [-Infinity, -1], [0, 0], [-0, -0], [TINY, TINY], [-TINY, -TINY], [1e-20, 1e-20], [-1e-20, -1e-20], [710, Infinity], [-40, -1]]],
  log: [log, [[NaN, NaN], [-1, NaN], [-0, -Infinity], [0, -Infinity], [Infinity, Infinity], [-Infinity, NaN], [1, 0], [2, Math.LN2], [Math.E, 1]]],
  log1p: [log1p, [[NaN, NaN], [-2, NaN], [-1, -Infinity], [0, 0], [-0, -0], [Infinity, Infinity], [TINY, TINY], [-TINY, -TINY], [1, Math.LN2], [-Infinity, NaN]]],
  tanh: [tanh, [[NaN, NaN], [0, 0], [-0, -0], [Infinity, 1], [-Infinity, -1], [TINY, TINY], [-TINY, -TINY], [1e-10, 1e-10], [23, 1], [-23, -1], [MAX, 1]]],
  sigmoid: [sigmoid, [[NaN, NaN], [0, 0.5], [-0, 0.5], [Infinity, 1], [-Infinity, 0], [41, 1], [-746, 0], [MAX, 1], [-MAX, 0]]],
  sinPi: [sinPi, [[NaN, NaN], [Infinity, NaN], [-Infinity, NaN], [0, 0], [-0, -0], [1, 0], [-1, -0], [2, 0], [-3, -0], [0.5, 1], [-0.5, -1], [1.5, -1], [0.25, Math.SQRT1_2], [1 / 6, 0.5], [2 ** 60, 0], [-(2 ** 60), -0], [2 ** 52 + 1, 0]]],
  cosPi: [cosPi, [[NaN, NaN], [Infinity, NaN], [0, 1], [-0, 1], [1, -1], [-1, -1], [2, 1], [0.5, 0], [-0.5, 0], [1.5, 0], [2.5, 0], [1 / 3, 0.5], [2 ** 60, 1], [2 ** 52 + 1, -1]]],
};

for (const [name, [f, cases]] of Object.entries(SPECIAL)) {
  test(`math: ${name} special values (NaN, ±∞, ±0, subnormals, overflow, exact points)`, () => {
    for (const [x, expected] of cases) assert.ok(Object.is(f(x), expected), `${name}(${x}) = ${f(x)}, expected ${expected}`);
  });
}

test('math: powInt special values and argument errors', () => {
  const cases: [number, number, number][] = [
    [NaN, 0, 1], [NaN, 3, NaN], [0, 3, 0], [-0, 3, -0], [-0, 2, 0], [0, -1, Infinity], [-0, -1, -Infinity],
    [Infinity, 2, Infinity], [-Infinity, 3, -Infinity], [Infinity, -2, 0], [2, 1023, 2 ** 1023], [2, 1024, Infinity],
    [0.5, 1074, TINY], [0.5, 1076, 0], [-2, 3, -8], [-2, -3, -0.125], [10, 22, 1e22], [3, 40, 12157665459056928801], [0.9, 1, 0.9], [1e308, 2, Infinity], [1e-200, 2, 0],
  ];
  for (const [x, n, expected] of cases) assert.ok(Object.is(powInt(x, n), expected), `powInt(${x}, ${n}) = ${powInt(x, n)}, expected ${expected}`);
  assert.throws(() => powInt(2, 0.5), /powInt: n: expected an integer .* received 0\.5/);
  assert.throws(() => powInt(2, NaN), /powInt: n: .*received NaN/);
  assert.throws(() => powInt(2, 2 ** 60), /powInt: n: /);
});

test('math: symmetries hold bit for bit (tanh and sinPi odd, cosPi even, σ(−z) = 1 − σ(z) to 1 ulp)', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 2000; i++) {
    const x = (rng.next() - 0.5) * 2 ** (rng.int(12) - 4);
    assert.ok(Object.is(tanh(-x), -tanh(x)), `tanh(${x})`);
    assert.ok(Object.is(sinPi(-x), -sinPi(x)), `sinPi(${x})`);
    assert.ok(Object.is(cosPi(-x), cosPi(x)), `cosPi(${x})`);
    assert.ok(Math.abs(sigmoid(-x) + sigmoid(x) - 1) <= 2 ** -52, `sigmoid(${x})`);
    // exp and log are inverse within rounding
    const y = Math.abs(x) + 0.5;
    assert.ok(Math.abs(exp(log(y)) - y) <= (Math.abs(Math.log(y)) + 2) * 2 ** -52 * y, `exp(log(${y}))`);
    if (Math.abs(x) < 1) assert.ok(Math.abs(log1p(expm1(x)) - x) <= 2 * 2 ** -52 * Math.abs(x), `log1p(expm1(${x}))`);
  }
});

test('math: monotone where the functions are (exp, log, tanh, sigmoid on sorted random arguments)', () => {
  const rng = new Rng(4);
  const xs = Float64Array.from({ length: 4000 }, () => (rng.next() - 0.5) * 60).sort();
  for (const f of [exp, tanh, sigmoid, expm1]) for (let i = 1; i < xs.length; i++) assert.ok(f(xs[i]) >= f(xs[i - 1]), `${f.name} at ${xs[i]}`);
  const ps = xs.map(Math.abs).sort();
  for (const f of [log, log1p]) for (let i = 1; i < ps.length; i++) assert.ok(f(ps[i]) >= f(ps[i - 1]), `${f.name} at ${ps[i]}`);
});

test('math: src/math/tables.ts is what scripts/gen-math-tables.mjs generates', () => {
  const check = spawnSync(process.execPath, [join(root, 'scripts/gen-math-tables.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});

/**
 * The guard: the numbers of a model never pass through an engine's own transcendental
 * functions. Allowed: Math.sqrt (IEEE correctly rounded) and exact helpers (abs, floor, round,
 * max, imul, …), `2 ** <integer>` (an exact power of two), and the plot axes of svg.ts (tick
 * positions of figures, not numbers of a model).
 */
test('math: no Math transcendental or ** with a non-power-of-two base anywhere in src/ (outside src/math and plot axes)', () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) {
        const rel = path.slice(root.length);
        if (rel === 'src/experiments/svg.ts') continue;
        const code = readFileSync(path, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ''))
          .replace(/\/\/.*$/gm, '');
        for (const m of code.matchAll(/Math\.(exp|expm1|log|log1p|log2|log10|tanh|sinh|cosh|asinh|acosh|atanh|sin|cos|tan|asin|acos|atan|atan2|pow|cbrt|hypot)\b|[\w)\]]\s*\*\*\s*[\w(]/g)) {
          const text = m[0];
          if (text.includes('**') && /^2\s*\*\*/.test(text)) continue;
          const line = code.slice(0, m.index).split('\n').length;
          offenders.push(`${rel}:${line}: ${text}`);
        }
      }
    }
  };
  walk(join(root, 'src'));
  assert.deepEqual(offenders, []);
});
