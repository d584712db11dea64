import { ddLow, twoProdErr, twoSumErr } from './dd.ts';
import { exp, expm1Parts, expParts } from './exp.ts';

/**
 * tanh and the logistic sigmoid, each as one quotient n/d of double-doubles: n and d come from
 * expm1Parts/expParts with relative error below 2^-56; with i = fl(1/d) and q = fl(n·i), the
 * remainder n − q·d is formed exactly (Dekker's product) and q + remainder·i is within 2^-100
 * of n/d, so the only rounding at full weight is the final addition. +, −, ×, ÷ only.
 */

/** 2^-28: below it tanh(x) = x − x³/3 rounds to x. */
const TANH_TINY = 3.725290298461914e-9;

/**
 * Hyperbolic tangent, float64: tanh(x) = u/(u + 2) with u = e^(2|x|) − 1, sign restored.
 * Domain: all doubles. Special values: tanh(NaN) = NaN, tanh(±0) = ±0, tanh(±∞) = ±1;
 * |x| < 2^-28 gives x (subnormals included), |x| > 22 gives ±1 (1 − tanh|x| < 2^-63 there).
 * Odd: tanh(−x) = −tanh(x) bit for bit. Error: below 0.51 ulp.
 */
export function tanh(x: number): number {
  if (!(x === x)) return x;
  const ax = Math.abs(x);
  if (ax < TANH_TINY) return x;
  if (ax > 22) return x > 0 ? 1 : -1;
  const uHi = expm1Parts(2 * ax);
  const uLo = ddLow[0];
  const dHi = uHi + 2;
  const dLo = twoSumErr(uHi, 2, dHi) + uLo;
  const inv = 1 / dHi;
  const q = uHi * inv;
  const p = q * dHi;
  const t = q + (uHi - p - twoProdErr(q, dHi, p) + uLo - q * dLo) * inv;
  return x < 0 ? -t : t;
}

/**
 * Logistic sigmoid σ(z) = 1/(1 + e^-z), float64, computed as 1/(1 + e^-z) for z ≥ 0 and
 * e^z/(1 + e^z) for z < 0 (no overflow, no cancellation). Domain: all doubles. Special
 * values: σ(NaN) = NaN, σ(+∞) = 1, σ(−∞) = +0, σ(±0) = 0.5; z > 40 gives 1 (e^-z is below half
 * an ulp of 1); z < −700 gives e^z (σ(z)/e^z − 1 < 2^-1000 there; subnormal below −708.4).
 * Error: below 0.51 ulp for normal results, below 1 ulp of the subnormal spacing 2^-1074 for
 * subnormal ones (those of exp).
 */
export function sigmoid(z: number): number {
  if (!(z === z)) return z;
  if (z > 40) return 1;
  if (z < -700) return exp(z);
  const negative = z < 0;
  const eHi = expParts(negative ? z : -z);
  const eLo = ddLow[0];
  const dHi = 1 + eHi;
  const dLo = twoSumErr(1, eHi, dHi) + eLo;
  // numerator n = e^z for z < 0, 1 otherwise; σ = n/d
  const nHi = negative ? eHi : 1;
  const nLo = negative ? eLo : 0;
  const inv = 1 / dHi;
  const q = nHi * inv;
  const p = q * dHi;
  return q + (nHi - p - twoProdErr(q, dHi, p) + nLo - q * dLo) * inv;
}
