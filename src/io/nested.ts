import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import { describe } from '../validate.ts';

/**
 * Reads a nested JSON array of the given shape into a typed array (row-major), checking that
 * it is rectangular and that every entry is a finite number. Errors name the argument, the
 * expected shape and what was received, down to the offending index.
 */
export function readNested(value: unknown, shape: readonly number[], name: string, dtype: DType = 'float64'): Arr {
  let size = 1;
  for (const d of shape) size *= d;
  const out = alloc(dtype, size);
  let pos = 0;
  const expected = shape.length === 0 ? 'a number' : `an array of shape [${shape.join(', ')}]`;
  const walk = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`${name}${path}: expected a finite number (${expected} in all), received ${describe(v)}`);
      }
      out[pos++] = v;
      return;
    }
    if (!Array.isArray(v)) throw new Error(`${name}${path}: expected ${expected}; at this level an array of length ${shape[dim]}, received ${describe(v)}`);
    if (v.length !== shape[dim]) {
      throw new Error(`${name}${path}: expected ${expected}; at this level length ${shape[dim]}, received length ${v.length}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], dim + 1, `${path}[${i}]`);
  };
  walk(value, 0, '');
  return out;
}

/** Shape of a nested array by its first elements (for messages and for inferring sizes). */
export function leadingShape(value: unknown, depth: number): number[] {
  const shape: number[] = [];
  let v = value;
  for (let d = 0; d < depth; d++) {
    if (!Array.isArray(v)) break;
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/**
 * The leading shape of a nested array whose levels, named by `dims` (['T', 'B', 'I']), are
 * non-empty arrays along its first elements (readNested checks the rest against it). Throws
 * naming the first element that is not, e.g. "batch.x[0]: expected a non-empty array of shape
 * [B][I] (x is [T][B][I]), received null"; `label` is the array's short name in that message.
 */
export function nonEmptyShape(value: unknown, dims: readonly string[], name: string, label: string): number[] {
  const shape: number[] = [];
  const of = (from: number) => dims.slice(from).map((d) => `[${d}]`).join('');
  let v = value;
  let path = '';
  for (let d = 0; d < dims.length; d++) {
    if (!Array.isArray(v) || v.length === 0) throw new Error(`${name}${path}: expected a non-empty array of shape ${of(d)}${d > 0 ? ` (${label} is ${of(0)})` : ''}, received ${describe(v)}`);
    shape.push(v.length);
    v = v[0];
    path += '[0]';
  }
  return shape;
}

/** A typed array of the given shape as nested plain arrays. */
export function toNestedArray(data: ArrayLike<number>, shape: readonly number[]): unknown {
  let pos = 0;
  const build = (dim: number): unknown => {
    if (dim === shape.length) return data[pos++];
    const out: unknown[] = new Array(shape[dim]);
    for (let i = 0; i < shape[dim]; i++) out[i] = build(dim + 1);
    return out;
  };
  return build(0);
}

/** JSON.parse with an error that names the source. */
export function parseJsonText(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${name}: malformed JSON (${(e as Error).message})`);
  }
}

export function expectObject(v: unknown, name: string, keys: { required: readonly string[]; optional?: readonly string[] }): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${name}: expected an object, received ${describe(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of keys.required) if (!(k in o)) throw new Error(`${name}: missing key ${JSON.stringify(k)} (expected keys: ${keys.required.join(', ')})`);
  const known = [...keys.required, ...(keys.optional ?? [])];
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new Error(`${name}: unknown key ${JSON.stringify(k)} (known: ${known.join(', ')})`);
  return o;
}
