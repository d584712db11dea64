/**
 * Exact helpers for float64 (no rounding anywhere): powers of two, scaling by 2^k, and the
 * exponent/significand split of a positive normal number. The exponent is read from the bits
 * through one shared Float64Array/Uint32Array view pair (the word order is detected once, so
 * the code is right on either byte order); powers of two come from a table filled by exact
 * doublings and halvings at load time (a table load is faster than assembling the bits).
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the word holding sign, exponent and the top 20 significand bits. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Smallest positive normal float64, 2^-1022. */
export const MIN_NORMAL = 2.2250738585072014e-308;

/** POW2[k + 1074] = 2^k for k = −1074..1023 (every halving and doubling is exact). */
const POW2 = new Float64Array(2098);
POW2[1074] = 1;
for (let k = 1; k <= 1023; k++) POW2[1074 + k] = 2 * POW2[1073 + k];
for (let k = 1; k <= 1074; k++) POW2[1074 - k] = 0.5 * POW2[1075 - k];

/** 2^k for an integer k in [-1074, 1023] (exact). */
export function pow2(k: number): number {
  return POW2[k + 1074];
}

/**
 * x·2^k for an integer k: exact whenever the result is a normal number; otherwise one
 * rounding (to a subnormal, to ±0, or to ±Infinity), like IEEE scaleB. The intermediate
 * scalings stay in the normal range so that only the last multiplication can round.
 */
export function scalePow2(x: number, k: number): number {
  if (k > 1023) {
    x *= pow2(1023);
    k -= 1023;
    if (k > 1023) {
      x *= pow2(1023);
      k -= 1023;
      if (k > 1023) k = 1023;
    }
  } else if (k < -1022) {
    // 2^-969 = 2^-1022 · 2^53 keeps the significand whole while approaching the subnormals
    x *= pow2(-969);
    k += 969;
    if (k < -1022) {
      x *= pow2(-969);
      k += 969;
      if (k < -1022) k = -1022;
    }
  }
  return x * pow2(k);
}

/** floor(log2 x) for a finite positive normal x (its unbiased exponent). */
export function exponentOf(x: number): number {
  f64[0] = x;
  return (u32[HI] >>> 20) - 1023;
}

/** x·2^-e in [1, 2), given a finite positive normal x and e = exponentOf(x) (exact). */
export function significandOf(x: number, e: number): number {
  return x * POW2[1074 - e];
}
