/** Helpers the task specs share: derived seeds, saved-state checks, option resolution. */
import { Rng, type RngState } from '../../rng.ts';
import { checkInt, checkOptions, describe } from '../../validate.ts';
import type { GivenOptions } from '../spec.ts';

/** A distinct, fixed seed derived from the run seed (evaluation batches, task tables). */
export function derivedSeed(seed: number, salt: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) + salt) | 0;
}

/** An object with exactly `keys` (saved state, saved options); throws naming `name`. */
export function checkFields(v: unknown, name: string, keys: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${name}: expected an object with ${keys.join(', ')}, received ${describe(v)}`);
  checkOptions(v, keys, name);
  for (const k of keys) if (!(k in v)) throw new Error(`${name}.${k}: missing`);
  return v as Record<string, unknown>;
}

/** A saved generator state, restored (throws naming `name` when it is not one). */
export function restoreRng(v: unknown, name: string): Rng {
  try {
    return Rng.fromState(v as RngState);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** An integer option of `run`: the given value, else `def`; at least `min` (and at most `max`, when given). */
export function intOption(given: GivenOptions, flag: string, min: number, def: number, max?: number): number;
export function intOption(given: GivenOptions, flag: string, min: number, def: null, max?: number): number | null;
export function intOption(given: GivenOptions, flag: string, min: number, def: number | null, max?: number): number | null {
  const v = given[flag];
  return v === undefined ? def : checkInt(v, `run: --${flag}`, min, max);
}
