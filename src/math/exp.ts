import { pow2, scalePow2 } from './bits.ts';
import { ddLow, twoProdErr, twoSumErr } from './dd.ts';
import { EXP2_TABLE, INV_LN2_128, LN2_128_HI, LN2_128_LO } from './tables.ts';

/**
 * exp and expm1 after Tang's table-driven method (ACM TOMS 15(2), 1989):
 *   x = (128·m + j)·ln2/128 + r,   N = round(x·128/ln2), j = N mod 128, m = (N − j)/128,
 *   e^x = 2^m · 2^(j/128) · e^r,   |r| ≤ ln2/256 + 2^-40,
 * where r = r1 + r2 is kept as two doubles (r1 = x − N·LN2_128_HI is exact), 2^(j/128) comes
 * from a 128-entry double-double table (tables.ts), and e^r − 1 = r + r²·(1/2! + … + r⁴/6!)
 * (Taylor, truncation below r⁷/7! < 2^-69). Every step is +, −, ×, ÷ or an exact bit
 * operation, so every IEEE-754 engine returns the same bits.
 */

/** 1/k! for the Taylor series of e^r − 1 (every k! ≤ 12! is an exact double, so each is one rounding). */
const F2 = 1 / 2;
const F3 = 1 / 6;
const F4 = 1 / 24;
const F5 = 1 / 120;
const F6 = 1 / 720;
const F7 = 1 / 5040;
const F8 = 1 / 40320;
const F9 = 1 / 362880;
const F10 = 1 / 3628800;
const F11 = 1 / 39916800;
const F12 = 1 / 479001600;

/** Above this, e^x overflows (ln(MAX_VALUE) ≈ 709.7827); below −746, it rounds to 0. */
const EXP_MAX_ARG = 709.8;
const EXP_MIN_ARG = -746;

/**
 * The last `reduce`: the power of two m, r1, r2 + q, and the table entry (hi, lo). A typed
 * array rather than module variables: `let` bindings cost a hole check on every access.
 */
const RED = new Float64Array(5);
const M = 0;
const R1 = 1;
const T = 2;
const S_HI = 3;
const S_LO = 4;

/**
 * e^x / 2^m as a double-double for finite x in [EXP_MIN_ARG, EXP_MAX_ARG]: returns the high
 * part, writes the low part to ddLow[0] and m to RED[M]. Relative error below 2^-60.
 */
function reduce(x: number): number {
  const N = Math.round(x * INV_LN2_128);
  const j = N & 127;
  RED[M] = (N - j) * 0.0078125; // exact: N − j is a multiple of 128
  const r1 = x - N * LN2_128_HI; // exact: N·LN2_128_HI has ≤ 53 bits and lies next to x
  const r2 = -N * LN2_128_LO;
  const r = r1 + r2;
  const q = r * r * (F2 + r * (F3 + r * (F4 + r * (F5 + r * F6))));
  const t = r2 + q;
  const p = r1 + t; // e^r − 1
  const sHi = EXP2_TABLE[2 * j];
  const sLo = EXP2_TABLE[2 * j + 1];
  RED[R1] = r1;
  RED[T] = t;
  RED[S_HI] = sHi;
  RED[S_LO] = sLo;
  const tail = sHi * p + sLo * (1 + p);
  const hi = sHi + tail;
  ddLow[0] = tail - (hi - sHi);
  return hi;
}

/**
 * e^x, float64. Domain: all doubles. Special values: exp(NaN) = NaN, exp(+∞) = +∞,
 * exp(−∞) = +0, exp(±0) = 1; x > 709.78 overflows to +∞, x < −745.13 underflows to +0, and
 * results below 2^-1022 are subnormal. Error: below 0.51 ulp for normal results, below 1 ulp
 * of the subnormal spacing 2^-1074 for subnormal ones (the scaling rounds once more there).
 */
export function exp(x: number): number {
  if (!(x === x)) return x;
  if (x > EXP_MAX_ARG) return Infinity;
  if (x < EXP_MIN_ARG) return 0;
  const y = reduce(x); // the pair is normalised: hi is already the rounded sum
  const m = RED[M];
  return m >= -1022 && m <= 1023 ? y * pow2(m) : scalePow2(y, m);
}

/**
 * e^x as a double-double for x in [−708, 709] (normal results): returns the high part, writes
 * the low part to ddLow[0]; relative error below 2^-59. Internal (tanh, sigmoid).
 */
export function expParts(x: number): number {
  const hi = reduce(x);
  const s = pow2(RED[M]);
  ddLow[0] *= s;
  return hi * s;
}

/** Below this |x|, expm1 uses its Taylor series instead of the table. */
const SMALL = 0.125;

/**
 * e^x − 1 as a double-double (high part returned, low part in ddLow[0]), relative error below
 * 2^-56, for finite x with 2^-54 ≤ |x| and x ≤ 709. Internal (expm1, tanh).
 *   |x| < 1/8:  x + x²/2 + x³·Σ_{k=3..12} x^(k−3)/k!   (x²/2 exact as a pair; truncation < 2^-68)
 *   otherwise:  e^x from the table with e^r − 1 and its product by the table entry kept as
 *               exact pairs (relative error below 2^-70), minus 1 exactly (TwoSum); the
 *               cancellation costs at most a factor e^(1/8)/(e^(1/8) − 1) ≈ 8.5.
 */
export function expm1Parts(x: number): number {
  if (Math.abs(x) < SMALL) {
    const xx = x * x;
    const xxErr = twoProdErr(x, x, xx);
    const h = 0.5 * xx;
    const s = x + h;
    const poly = F3 + x * (F4 + x * (F5 + x * (F6 + x * (F7 + x * (F8 + x * (F9 + x * (F10 + x * (F11 + x * F12))))))));
    const tail = twoSumErr(x, h, s) + 0.5 * xxErr + x * xx * poly;
    const hi = s + tail;
    ddLow[0] = tail - (hi - s);
    return hi;
  }
  // e^x/2^m = S·(1 + p) again from the reduction, with p and S_hi·p as exact pairs: the
  // cancellation in e^x − 1 magnifies their rounding errors
  reduce(x);
  const sHi = RED[S_HI];
  const r1 = RED[R1];
  const t = RED[T];
  const pHi = r1 + t;
  const pLo = twoSumErr(r1, t, pHi);
  const prod = sHi * pHi;
  const low = twoProdErr(sHi, pHi, prod) + sHi * pLo + RED[S_LO] * (1 + pHi);
  const e1 = sHi + prod;
  const scale = pow2(RED[M]);
  const eHi = e1 * scale;
  const eLo = (twoSumErr(sHi, prod, e1) + low) * scale;
  const d = eHi - 1;
  const tail = twoSumErr(eHi, -1, d) + eLo;
  const hi = d + tail;
  ddLow[0] = tail - (hi - d);
  return hi;
}

/**
 * e^x − 1 without cancellation near 0, float64. Domain: all doubles. Special values:
 * expm1(NaN) = NaN, expm1(±0) = ±0, expm1(+∞) = +∞, expm1(−∞) = −1; x > 709.78 overflows
 * to +∞; x < −38 gives −1 (e^x is below half an ulp of 1 there); |x| < 2^-54 gives x.
 * Error: below 0.51 ulp.
 */
export function expm1(x: number): number {
  if (!(x === x)) return x;
  if (Math.abs(x) < 5.551115123125783e-17) return x; // 2^-54: x²/2 is below half an ulp of x
  if (x > 700) return exp(x); // e^x > 2^1009: subtracting 1 changes nothing
  if (x < -38) return -1;
  const hi = expm1Parts(x);
  return hi + ddLow[0];
}
