/**
 * Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32.
 * Same seed, same numbers, on every platform: 32-bit integer arithmetic, and normal draws through
 * the engine-independent log and cosPi of src/math.
 * The state is four 32-bit words and can be saved and restored (checkpoints).
 */
import { cosPi, log } from './math/index.ts';
import { describe } from './validate.ts';

export type RngState = [number, number, number, number];

/** The error of `Rng.int(a, b)` with arguments out of its domain. */
function badInt(a: unknown, b: unknown): never {
  const one = b === undefined;
  for (const [name, v] of one ? [['n', a]] : [['lo', a], ['hi', b]]) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`Rng.int: ${name}: expected a safe integer, received ${describe(v)}`);
  }
  const [lo, hi] = (one ? [0, a] : [a, b]) as [number, number];
  if (!(lo < hi)) throw new Error(one ? `Rng.int: n: expected an integer ≥ 1, received ${hi}` : `Rng.int: expected lo < hi, received lo = ${lo}, hi = ${hi}`);
  throw new Error(`Rng.int: expected at most 2^32 = 4294967296 values (hi − lo), received ${hi - lo}${one ? ' (n)' : ` (lo = ${lo}, hi = ${hi})`}`);
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Rng {
  private s: Uint32Array;

  /**
   * `seed`: a 32-bit integer, signed or unsigned, in [−2³¹, 2³²−1]; it is used modulo 2³², so a
   * negative seed s and s + 2³² give the same numbers. Seeds outside that range are refused
   * (they would silently collide with one inside it).
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < -(2 ** 31) || seed > 2 ** 32 - 1) {
      throw new Error(`seed: expected a 32-bit integer in [-2147483648, 4294967295], received ${String(seed)}`);
    }
    const sm = splitmix32(seed);
    this.s = new Uint32Array([sm(), sm(), sm(), sm()]);
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    if (!Array.isArray(state) || state.length !== 4 || state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff) || state.every((v) => v === 0)) {
      throw new Error(`rng state: expected 4 unsigned 32-bit integers, not all zero (the xoshiro128 generator would then give only zeros), received ${JSON.stringify(state)}`);
    }
    r.s = new Uint32Array(state);
    return r;
  }

  getState(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * A uniform integer: `int(n)` in [0, n), `int(lo, hi)` in [lo, hi) (lo + ⌊u·(hi − lo)⌋ from one
   * 53-bit draw u, so `int(n)` and `int(0, n)` give the same numbers). The bounds are safe
   * integers with lo < hi and at most 2³² values between them, where one draw keeps every value's
   * probability within 2⁻²¹ (relative) of uniform; anything else throws naming the argument,
   * before a number is drawn.
   */
  int(n: number): number;
  int(lo: number, hi: number): number;
  int(a: number, b?: number): number {
    const lo = b === undefined ? 0 : a;
    const hi = b === undefined ? a : b;
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || !(lo < hi) || hi - lo > 2 ** 32) badInt(a, b);
    return lo + Math.floor(this.next() * (hi - lo));
  }

  /** Standard normal (Box–Muller, one value per call). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * log(u)) * cosPi(2 * v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp as never;
    }
  }

  /** An independent generator derived from this one (consumes two numbers). */
  fork(): Rng {
    return new Rng((this.nextU32() ^ Math.imul(this.nextU32(), 0x9e3779b1)) | 0);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
