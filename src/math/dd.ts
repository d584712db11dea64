/**
 * Error-free transformations (double-double building blocks). Each returns the exact
 * rounding error of one IEEE operation as a float64, so that value + error is exact.
 */

/** a·(2^27 + 1): Veltkamp's splitting constant. */
const SPLIT = 134217729;

/** The exact error a + b − s of s = fl(a + b), for any a, b (Knuth's TwoSum; no overflow). */
export function twoSumErr(a: number, b: number, s: number): number {
  const bv = s - a;
  return a - (s - bv) + (b - bv);
}

/**
 * The exact error a·b − p of p = fl(a·b) (Dekker's product with Veltkamp splitting, no fused
 * multiply-add needed). Exact when |a|, |b| < 2^995 and a·b does not fall below 2^-969;
 * closer to zero the error term itself is rounded (an absolute error below 2^-1074).
 */
export function twoProdErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/**
 * Low part of the last double-double result of an internal routine that returns its high
 * part (expParts, expm1Parts): a one-slot scratch instead of an allocated pair.
 */
export const ddLow = new Float64Array(1);
