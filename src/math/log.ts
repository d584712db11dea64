import { exponentOf, MIN_NORMAL, significandOf } from './bits.ts';
import { twoProdErr, twoSumErr } from './dd.ts';
import { LN2_HI, LN2_LO, LOG_TABLE } from './tables.ts';

/**
 * ln and ln(1 + x) after Tang's table-driven logarithm (ACM TOMS 16(4), 1990):
 *   x = 2^k·m, m ∈ [1 − 2^-9, 2 − 2^-8),  F = 1 + j/128 the table point nearest m,
 *   ln x = k·ln2 + ln F + ln(1 + r),   r = (m − F)/F, |r| ≤ 2^-8,
 * with m − F exact, r carried as two doubles (the division's remainder comes from an exact
 * product), ln F from a 128-entry double-double table, and
 * ln(1 + r) = r − r²/2 + r³·(1/3 − r/4 + r²/5 − r³/6 + r⁴/7 − r⁵/8) (Taylor, truncation below
 * |r|⁹/9 < 2^-75). The leading terms are added with TwoSum so that only the last addition
 * rounds at full weight. +, −, ×, ÷ and exact bit operations only.
 */

const TWO_54 = 18014398509481984;
const L3 = 1 / 3;
const L4 = 1 / 4;
const L5 = 1 / 5;
const L6 = 1 / 6;
const L7 = 1 / 7;
const L8 = 1 / 8;
const M_SPLIT = 2 - 1 / 256;

/** ln(1 + r) − r + r²/2 = r³·(1/3 − r/4 + … − r⁵/8) for |r| ≤ 2^-8, given w = r². */
function log1pCubic(r: number, w: number): number {
  return r * w * (L3 - r * (L4 - r * (L5 - r * (L6 - r * (L7 - r * L8)))));
}

/**
 * ln(x) + c for a finite x > 0 and a correction |c| ≤ 2^-52·|ln x| + 2^-52 that is added in the
 * low-order sum (log1p passes the rounding error of 1 + x through it).
 */
function logPlus(x: number, c: number): number {
  let k = 0;
  if (x < MIN_NORMAL) {
    x *= TWO_54;
    k = -54;
  }
  const e = exponentOf(x);
  k += e;
  let m = significandOf(x, e);
  if (m >= M_SPLIT) {
    m *= 0.5;
    k += 1;
  }
  const j = Math.round((m - 1) * 128);
  const F = 1 + j / 128;
  const f = m - F; // exact: same binade, or Sterbenz for j = 0
  const r = f / F;
  const p = r * F;
  const rLo = (f - p - twoProdErr(r, F, p)) / F; // r + rLo = f/F to 2^-106
  const a = k * LN2_HI; // exact: LN2_HI has 42 significant bits, |k| < 1100
  const s1 = a + LOG_TABLE[2 * j];
  const s2 = s1 + r;
  const w = r * r;
  const small = log1pCubic(r, w) - 0.5 * w + (rLo + c) + (k * LN2_LO + LOG_TABLE[2 * j + 1]);
  return s2 + (small + (twoSumErr(a, LOG_TABLE[2 * j], s1) + twoSumErr(s1, r, s2)));
}

/**
 * Natural logarithm, float64. Domain: x ≥ 0 (subnormals included). Special values:
 * log(NaN) = NaN, log(x < 0) = NaN, log(±0) = −∞, log(+∞) = +∞, log(1) = +0.
 * Error: below 0.51 ulp.
 */
export function log(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return x;
  return logPlus(x, 0);
}

/**
 * ln(1 + x) without cancellation near 0, float64. Domain: x ≥ −1. Special values:
 * log1p(NaN) = NaN, log1p(x < −1) = NaN, log1p(−1) = −∞, log1p(±0) = ±0, log1p(+∞) = +∞.
 * Method: for |x| < 2^-8 the series of ln(1 + r) above with r = x; otherwise u = fl(1 + x) and
 * its exact rounding error e (TwoSum), then ln(1 + x) = ln u + ln(1 + e/u) ≈ ln u + e/u
 * (|e/u| ≤ 2^-53 and |ln(1 + x)| > 2^-9 there, so the dropped terms are below 2^-50 ulp).
 * Error: below 0.51 ulp.
 */
export function log1p(x: number): number {
  if (!(x >= -1)) return NaN;
  if (x === -1) return -Infinity;
  if (x === 0 || x === Infinity) return x;
  if (Math.abs(x) < 0.00390625) {
    const w = x * x;
    return x + (log1pCubic(x, w) - 0.5 * w);
  }
  const u = 1 + x;
  return logPlus(u, twoSumErr(1, x, u) / u);
}
