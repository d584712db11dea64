/**
 * Toy alignment task (docs/EXPERIMENTS.md §1) and its line-drawing variant (docs/EXPERIMENTS.md §4).
 *
 * A fixed, seeded set of K distinct binary patterns, each paired with a point on the unit
 * circle. An example shows its pattern at t = 0 (the spec's t = 1) and zeros afterwards.
 * - 'last': MSE target = the point, at the last step only.
 * - 'line-draw': MSE target at every step t (0-based) = (t+1)/T · point, a straight line from
 *   the origin that reaches the point at t = T−1.
 * Points are evenly spaced on the circle starting at (0, 1), so K = 1 gives the paper code's
 * single pattern with target (0, 1). With outputSize > 2 the circle lies in the plane of the
 * first two output coordinates and the others are 0.
 */
import { Rng } from '../rng.ts';
import { cosPi, sinPi } from '../math/index.ts';
import type { SeqBatch } from '../data/batch.ts';
import { alloc, checkDType, type DType } from '../tensor/dtype.ts';
import { checkInt, checkObject, checkRng, fail } from '../validate.ts';

export type ToyVariant = 'last' | 'line-draw';

export interface ToyTaskOptions {
  /** Number of pattern → point pairs (default 8). */
  K?: number;
  /** Bits per input pattern, i.e. the input size (default 10). */
  patternBits?: number;
  /** Output size, ≥ 2 (default 2). */
  outputSize?: number;
  /** Seed of the fixed pattern set. */
  seed: number;
  /** 'last' (default) or 'line-draw'. */
  variant?: ToyVariant;
}

/** One pattern → point pair: `pattern` has patternBits entries in {0, 1}, `point` has outputSize. */
export interface ToyPair {
  readonly pattern: readonly number[];
  readonly point: readonly number[];
}

/** A toy batch plus which pair each example uses (`pairIndex[b]` ∈ [0, K)). */
export interface ToyBatch extends SeqBatch {
  readonly pairIndex: Int32Array;
}

export interface ToyTask {
  readonly K: number;
  readonly patternBits: number;
  readonly outputSize: number;
  readonly variant: ToyVariant;
  readonly pairs: readonly ToyPair[];
  /** Draws B examples (each a uniformly random pair) of length T. */
  batch(rng: Rng, B: number, T: number, dtype?: DType): ToyBatch;
}

const CONTEXT = 'toy';

/** Creates the toy task: a fixed seeded set of K pattern → point pairs and a batch sampler. */
export function createToyTask(options: ToyTaskOptions): ToyTask {
  checkObject(options, `${CONTEXT}: options`);
  const { K = 8, patternBits = 10, outputSize = 2, seed, variant = 'last' } = options;
  checkInt(patternBits, `${CONTEXT}: patternBits`, 1, 52);
  checkInt(K, `${CONTEXT}: K`, 1, Math.min(2 ** patternBits - 1, 65536));
  checkInt(outputSize, `${CONTEXT}: outputSize`, 2);
  checkInt(seed, `${CONTEXT}: seed`, -(2 ** 31), 2 ** 32 - 1);
  if (variant !== 'last' && variant !== 'line-draw') fail(`${CONTEXT}: variant`, '"last" or "line-draw"', variant);

  const patterns = distinctPatterns(new Rng(seed), K, patternBits);
  const pairs: ToyPair[] = patterns.map((pattern, k) => ({ pattern, point: circlePoint(k, K, outputSize) }));
  return {
    K,
    patternBits,
    outputSize,
    variant,
    pairs,
    batch: (rng, B, T, dtype = 'float64') => toyBatch(pairs, variant, rng, B, T, dtype),
  };
}

/** K distinct non-zero binary patterns of `bits` entries, drawn by rejection from `rng`. */
function distinctPatterns(rng: Rng, K: number, bits: number): number[][] {
  const seen = new Set<string>();
  const patterns: number[][] = [];
  while (patterns.length < K) {
    const pattern = Array.from({ length: bits }, () => (rng.next() < 0.5 ? 1 : 0));
    const key = pattern.join('');
    if (!pattern.includes(1) || seen.has(key)) continue;
    seen.add(key);
    patterns.push(pattern);
  }
  return patterns;
}

/** The k-th of K evenly spaced unit-circle points, starting at (0, 1), padded with zeros. */
function circlePoint(k: number, K: number, outputSize: number): number[] {
  const halfTurns = 1 / 2 + (2 * k) / K; // the angle π/2 + 2πk/K in units of π
  const point = new Array<number>(outputSize).fill(0);
  point[0] = k === 0 ? 0 : cosPi(halfTurns);
  point[1] = k === 0 ? 1 : sinPi(halfTurns);
  return point;
}

function toyBatch(pairs: readonly ToyPair[], variant: ToyVariant, rng: Rng, B: number, T: number, dtype: DType): ToyBatch {
  checkRng(rng, `${CONTEXT}: rng`);
  checkInt(B, `${CONTEXT}: B`, 1);
  checkInt(T, `${CONTEXT}: T`, 1);
  checkDType(dtype, `${CONTEXT}: dtype`);
  const I = pairs[0].pattern.length;
  const O = pairs[0].point.length;
  const pairIndex = new Int32Array(B);
  for (let b = 0; b < B; b++) pairIndex[b] = rng.int(pairs.length);

  const x = Array.from({ length: T }, () => alloc(dtype, B * I));
  for (let b = 0; b < B; b++) x[0].set(pairs[pairIndex[b]].pattern, b * I);

  const y = Array.from({ length: T }, (_, t) => {
    if (variant === 'last' && t !== T - 1) return null;
    const scale = variant === 'last' ? 1 : (t + 1) / T;
    const target = alloc(dtype, B * O);
    for (let b = 0; b < B; b++) {
      const point = pairs[pairIndex[b]].point;
      for (let o = 0; o < O; o++) target[b * O + o] = scale * point[o];
    }
    return target;
  });
  return { T, B, inputSize: I, outputSize: O, loss: 'mse', x, y, pairIndex };
}
