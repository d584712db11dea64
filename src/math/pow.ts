import { exponentOf, MIN_NORMAL, scalePow2, significandOf } from './bits.ts';
import { twoProdErr } from './dd.ts';

/**
 * x^n for an integer n (Adam's bias corrections β^t): binary exponentiation in double-double
 * arithmetic on the significand, with the binary exponent kept apart as an integer, so that
 * nothing overflows or underflows before the end. Each double-double product has relative
 * error below 2^-104 and there are at most 2·log2|n| of them (plus a double-double reciprocal
 * for n < 0), so before the final rounding the value is accurate to about 2^-97.
 *
 * Domain: any double x, any integer n with |n| ≤ 2^53. Special values: x^0 = 1 (NaN too);
 * NaN^n = NaN; ±0 and ±∞ as ECMAScript's `**` (e.g. (−0)^3 = −0, 0^-1 = +∞, (−∞)^-3 = −0).
 * Overflow gives ±∞, underflow ±0. Error: below 0.5 + 2^-40 ulp for normal results, below
 * 1 ulp of the subnormal spacing 2^-1074 for subnormal ones.
 * Errors: throws a RangeError naming `n` when n is not an integer in that range.
 */
export function powInt(x: number, n: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`powInt: n: expected an integer with |n| ≤ 2^53 − 1, received ${String(n)}`);
  if (n === 0) return 1;
  if (!(x === x)) return x;
  const negative = (x < 0 || Object.is(x, -0)) && n % 2 !== 0;
  if (x === 0 || !(Math.abs(x) < Infinity)) {
    // 0^n and ∞^n: zero or infinity, with the sign of x when n is odd
    const big = (x === 0) === n < 0;
    return big ? (negative ? -Infinity : Infinity) : negative ? -0 : 0;
  }
  let a = Math.abs(x);
  let aExp = 0;
  if (a < MIN_NORMAL) {
    a *= 18014398509481984; // 2^54
    aExp = -54;
  }
  const e0 = exponentOf(a);
  aExp += e0;
  let aHi = significandOf(a, e0);
  let aLo = 0;
  let rHi = 1;
  let rLo = 0;
  let rExp = 0;
  let e = Math.abs(n);
  for (;;) {
    if (e % 2 === 1) {
      // r ← r·a, renormalised to [1, 2)
      const p = rHi * aHi;
      const pe = twoProdErr(rHi, aHi, p) + (rHi * aLo + rLo * aHi);
      rHi = p + pe;
      rLo = pe - (rHi - p);
      rExp += aExp;
      if (rHi >= 2) {
        rHi *= 0.5;
        rLo *= 0.5;
        rExp += 1;
      }
    }
    e = Math.floor(e / 2);
    if (e === 0) break;
    // a ← a², renormalised to [1, 2)
    const p = aHi * aHi;
    const pe = twoProdErr(aHi, aHi, p) + 2 * aHi * aLo;
    aHi = p + pe;
    aLo = pe - (aHi - p);
    aExp *= 2;
    if (aHi >= 2) {
      aHi *= 0.5;
      aLo *= 0.5;
      aExp += 1;
    }
  }
  if (n < 0) {
    // 1/r as a pair: q = 1/rHi, then the remainder 1 − q·r from an exact product
    const q = 1 / rHi;
    const p = q * rHi;
    const rem = 1 - p - twoProdErr(q, rHi, p) - q * rLo;
    const c = (q * rem);
    rHi = q + c;
    rLo = c - (rHi - q);
    rExp = -rExp;
    if (rHi < 1) {
      rHi *= 2;
      rLo *= 2;
      rExp -= 1;
    }
  }
  let y: number;
  if (rExp > 1100) y = Infinity;
  else if (rExp < -1200) y = 0;
  else y = scalePow2(rHi + rLo, rExp);
  return negative ? -y : y;
}
