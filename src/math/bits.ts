/**
 * Exact bit-level helpers for float64 (no rounding anywhere): powers of two built from their
 * bits, scaling by 2^k, and the exponent/significand split of a positive normal number.
 * One Float64Array/Uint32Array view pair is shared; the word order is detected once, so the
 * code is right on either byte order.
 */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the word holding sign, exponent and the top 20 significand bits. */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/** Smallest positive normal float64, 2^-1022. */
export const MIN_NORMAL = 2.2250738585072014e-308;

/** 2^k for an integer k in [-1022, 1023], from its bit pattern (exact). */
export function pow2(k: number): number {
  u32[HI] = (k + 1023) << 20;
  u32[LO] = 0;
  return f64[0];
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

/** x·2^-exponentOf(x), in [1, 2), for a finite positive normal x (exact). */
export function significandOf(x: number): number {
  f64[0] = x;
  u32[HI] = (u32[HI] & 0x000fffff) | 0x3ff00000;
  return f64[0];
}
