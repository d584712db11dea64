/**
 * Argument checks shared by every public entry point, `check(value, name, …)`: each error
 * names the argument (`name` carries its context, e.g. "toy: K"), what was expected and what
 * was received.
 */

/** A short, readable rendering of any received value for an error message. */
export function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} of length ${(v as unknown as ArrayLike<number>).length}`;
  if (typeof v === 'object') return `an object with keys [${Object.keys(v as object).join(', ')}]`;
  return typeof v;
}

/** Throws `${name}: expected ${expected}, received ${describe(v)}`. */
export function fail(name: string, expected: string, v: unknown): never {
  throw new Error(`${name}: expected ${expected}, received ${describe(v)}`);
}

export function checkInt(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new Error(`${name}: expected an integer ${range}, received ${describe(v)}`);
  }
  return v;
}

export function checkFinite(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}: expected a finite number, received ${describe(v)}`);
  return v;
}

export function checkPositive(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${name}: expected a finite number > 0, received ${describe(v)}`);
  return v;
}

export function checkNonNegative(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${name}: expected a finite number ≥ 0, received ${describe(v)}`);
  return v;
}

/** λ, γ and other quantities that must lie in [0, 1]. */
export function checkUnit(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new Error(`${name}: expected a number in [0, 1], received ${describe(v)}`);
  return v;
}

export function checkOneOf<T extends string>(v: unknown, allowed: readonly T[], name: string): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new Error(`${name}: expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, received ${describe(v)}`);
  }
  return v as T;
}

/** Rejects keys an options object does not know (typos fail loudly). */
export function checkOptions(opts: unknown, known: readonly string[], name: string): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new Error(`${name}: expected an options object, received ${describe(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new Error(`${name}: unknown option ${JSON.stringify(k)} (known: ${known.join(', ')})`);
  }
}

/** A plain object (an options bag). */
export function checkObject(v: unknown, name: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(name, 'an object', v);
  return v as Record<string, unknown>;
}

/** An `Rng`-like generator (has `next` and `int`). */
export function checkRng<R extends { next(): number; int(n: number): number }>(v: R, name: string): R {
  const c = v as unknown as { next?: unknown; int?: unknown } | null;
  if (typeof c !== 'object' || c === null || typeof c.next !== 'function' || typeof c.int !== 'function') fail(name, 'an Rng', v);
  return v;
}
