/**
 * Argument checks shared by the task generators and the experiment helpers. Every failure throws
 * an `Error` whose message names the context, the argument, what was expected and what was
 * received, e.g. `toy: T: expected an integer ≥ 1, received 0`.
 */

/** A short, readable rendering of any received value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'function') return 'a function';
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** Throws `${context}: ${name}: expected ${expected}, received ${value}`. */
export function fail(context: string, name: string, expected: string, value: unknown): never {
  throw new Error(`${context}: ${name}: expected ${expected}, received ${describeValue(value)}`);
}

/** Returns `value` when it is an integer in [min, max]; throws otherwise. */
export function checkInteger(context: string, name: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    fail(context, name, range, value);
  }
  return value;
}

/** Returns `value` when it is a finite number; throws otherwise. */
export function checkFinite(context: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(context, name, 'a finite number', value);
  return value;
}

/** Returns `value` when it is a finite number > 0; throws otherwise. */
export function checkPositive(context: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(context, name, 'a finite number > 0', value);
  return value;
}

/** Returns `value` when it is a plain object (options bag); throws otherwise. */
export function checkObject(context: string, name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(context, name, 'an object', value);
  return value as Record<string, unknown>;
}

/** Returns `value` when it is an `Rng`-like generator (has `next` and `int`); throws otherwise. */
export function checkRng<R extends { next(): number; int(n: number): number }>(context: string, name: string, value: R): R {
  const candidate = value as unknown as { next?: unknown; int?: unknown } | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.next !== 'function' || typeof candidate.int !== 'function') {
    fail(context, name, 'an Rng', value);
  }
  return value;
}

/** Returns `value` when it is "float64" or "float32"; throws otherwise. */
export function checkDTypeArg(context: string, name: string, value: unknown): 'float64' | 'float32' {
  if (value !== 'float64' && value !== 'float32') fail(context, name, '"float64" or "float32"', value);
  return value;
}
