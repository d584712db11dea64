import { twoProdErr, twoSumErr } from './dd.ts';
import { PI_HI, PI_LO } from './tables.ts';

/**
 * sin(πx) and cos(πx) (IEEE 754-2019 sinPi/cosPi). The engine only ever needs sines and
 * cosines of rational multiples of π (Box–Muller angles 2πv, points on the unit circle), and
 * in units of half-turns the range reduction is exact:
 *   x = 2n + n2/2 + t,  n2 ∈ {−2, …, 2}, |t| ≤ 1/4   (each subtraction exact),
 * so sin(πx) and cos(πx) are ±sin(πt) or ±cos(πt) by the quadrant n2 mod 4. On |θ| = |πt| ≤ π/4
 * (θ = πt carried as two doubles):
 *   sin θ = θ + θ³·Σ_{k=1..9} (−1)^k θ^(2k−2)/(2k+1)!         truncation < θ^21/21! < 2^-68·θ
 *   cos θ = 1 − θ²/2 + θ⁴·Σ_{k=2..10} (−1)^k θ^(2k−4)/(2k)!   truncation < θ^22/22! < 2^-71
 * with θ − θ³/6 and 1 − θ²/2 formed as exact pairs (TwoProd, TwoSum), so that the only full
 * rounding is the last addition. +, −, ×, ÷ and Math.round only.
 */

/** (−1)^k/(2k+1)!, k = 1..9, and (−1)^k/(2k)!, k = 2..10: every n! ≤ 20! is an exact double, so each is one rounding. */
const S3 = -1 / 6;
const S5 = 1 / 120;
const S7 = -1 / 5040;
const S9 = 1 / 362880;
const S11 = -1 / 39916800;
const S13 = 1 / 6227020800;
const S15 = -1 / 1307674368000;
const S17 = 1 / 355687428096000;
const S19 = -1 / 121645100408832000;
const C4 = 1 / 24;
const C6 = -1 / 720;
const C8 = 1 / 40320;
const C10 = -1 / 3628800;
const C12 = 1 / 479001600;
const C14 = -1 / 87178291200;
const C16 = 1 / 20922789888000;
const C18 = -1 / 6402373705728000;
const C20 = 1 / 2432902008176640000;

/** Above 2^52 every double is an integer (so sinPi is ±0 and cosPi is ±1). */
const INTEGER_ONLY = 4503599627370496;

/** −1/6 = S3 + S3_LO: the low part from the exact remainder 1 − 6·fl(1/6) (TwoProd). */
const S3_LO = (1 - 6 * -S3 - twoProdErr(6, -S3, 6 * -S3)) / -6;

/**
 * sin(πt) for |t| ≤ 1/4: θ + θ³·(−1/6) + θ⁵·Σ…, with θ, θ³ and θ³·(−1/6) formed as exact pairs
 * (the θ³ term is up to 11 % of the result, so its roundings would otherwise cost 0.3 ulp).
 */
function sinPiKernel(t: number): number {
  const th = PI_HI * t;
  const tl = twoProdErr(PI_HI, t, th) + PI_LO * t;
  const w = th * th;
  const wl = twoProdErr(th, th, w);
  const c = th * w; // θ³ ≈ c + cl
  const cl = twoProdErr(th, w, c) + th * wl;
  const d = c * S3; // −θ³/6 ≈ d + dl
  const dl = twoProdErr(c, S3, d) + c * S3_LO + cl * S3;
  const s = th + d;
  const poly = S5 + w * (S7 + w * (S9 + w * (S11 + w * (S13 + w * (S15 + w * (S17 + w * S19))))));
  return s + (twoSumErr(th, d, s) + dl + tl * (1 - 0.5 * w) + c * w * poly);
}

/** cos(πt) for |t| ≤ 1/4. */
function cosPiKernel(t: number): number {
  const th = PI_HI * t;
  const tl = twoProdErr(PI_HI, t, th) + PI_LO * t;
  const w = th * th;
  const wErr = twoProdErr(th, th, w) + 2 * th * tl; // θ² = w + wErr to 2^-104 relative
  const h = 0.5 * w;
  const s = 1 - h;
  const poly = C4 + w * (C6 + w * (C8 + w * (C10 + w * (C12 + w * (C14 + w * (C16 + w * (C18 + w * C20)))))));
  return s + (twoSumErr(1, -h, s) - 0.5 * wErr + w * w * poly);
}

/** Quadrant (n2 mod 4) of the last `reducePi` (a typed array: a `let` costs a hole check per access). */
const QUADRANT = new Int32Array(1);

/** Writes the quadrant of x (in half-turns, |x| < 2^52) and returns t with |t| ≤ 1/4. */
function reducePi(x: number): number {
  const r = x - 2 * Math.round(0.5 * x); // x mod 2, in [−1, 1], exact
  const n2 = Math.round(2 * r);
  QUADRANT[0] = n2 & 3;
  return r - 0.5 * n2;
}

/**
 * sin(πx), float64. Domain: all doubles. Special values: sinPi(NaN) = sinPi(±∞) = NaN,
 * sinPi(±0) = ±0; for an integer n, sinPi(n) = +0 if n > 0 and −0 if n < 0 (as IEEE 754
 * sinPi). Odd. Error: below 0.6 ulp.
 */
export function sinPi(x: number): number {
  if (!(Math.abs(x) < Infinity)) return NaN;
  if (x === 0) return x;
  if (Math.abs(x) >= INTEGER_ONLY) return x > 0 ? 0 : -0;
  const t = reducePi(x);
  const quadrant = QUADRANT[0];
  if (t === 0 && (quadrant & 1) === 0) return x > 0 ? 0 : -0;
  switch (quadrant) {
    case 0:
      return sinPiKernel(t);
    case 1:
      return cosPiKernel(t);
    case 2:
      return -sinPiKernel(t);
    default:
      return -cosPiKernel(t);
  }
}

/**
 * cos(πx), float64. Domain: all doubles. Special values: cosPi(NaN) = cosPi(±∞) = NaN,
 * cosPi(±0) = 1; cosPi(n + 1/2) = +0 for every integer n (as IEEE 754 cosPi); even.
 * Error: below 0.6 ulp.
 */
export function cosPi(x: number): number {
  if (!(Math.abs(x) < Infinity)) return NaN;
  const ax = Math.abs(x);
  if (ax >= INTEGER_ONLY) return ax % 2 === 0 ? 1 : -1;
  const t = reducePi(ax);
  const quadrant = QUADRANT[0];
  if (t === 0 && (quadrant & 1) === 1) return 0;
  switch (quadrant) {
    case 0:
      return cosPiKernel(t);
    case 1:
      return -sinPiKernel(t);
    case 2:
      return -cosPiKernel(t);
    default:
      return sinPiKernel(t);
  }
}
