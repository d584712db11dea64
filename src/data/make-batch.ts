import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import { checkOneOf, describe } from '../validate.ts';
import { LOSS_KINDS, type InputBatch, type LossKind, type SeqBatch } from './batch.ts';
import { checkLengths, checkTargets } from './validate-batch.ts';

/** The largest finite float32, (2 − 2^−23)·2^127. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A [T][B][W] array in one of the forms `makeBatch` reads:
 * - nested arrays, x[t][b][i] (the innermost level may be any array-like, e.g. a Float32Array);
 * - a dense row-major array with its shape, { data, shape: [T, B, W] } (a Tensor is one);
 * - an ndarray view of shape [T, B, W] (strided, offset or transposed; the `ndarray` package's
 *   objects, read through their shape, stride and offset: the core does not import ndarray).
 */
export type BatchArray = ArrayLike<ArrayLike<ArrayLike<number>> | null> | DenseArray3 | StridedArray3;

export interface DenseArray3 {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

export interface StridedArray3 extends DenseArray3 {
  readonly stride: readonly number[];
  readonly offset: number;
}

/** What makeBatch builds a batch from. */
export interface BatchSource {
  /** inputs, [T][B][I] */
  x: BatchArray;
  /** targets, [T][B][O]; nested arrays may hold null for a step without targets */
  y: BatchArray;
  loss: LossKind;
  /** per example, its number of steps in [1, T]: the entries past it are padding and never read */
  lengths?: ArrayLike<number>;
  /** element type of the batch (default float64) */
  dtype?: DType;
}

/** What makeBatch builds an inputs-only batch from (for `predict`): no targets, no loss. */
export interface InputSource {
  /** inputs, [T][B][I] */
  x: BatchArray;
  /** per example, its number of steps in [1, T] */
  lengths?: ArrayLike<number>;
  /** element type (default float64) */
  dtype?: DType;
}

const SOURCE_KEYS = ['x', 'y', 'loss', 'lengths', 'dtype'] as const;

/** One [T][B][W] source: its sizes and element access (null for a step without values). */
interface Source3 {
  T: number;
  B: number;
  W: number;
  step(t: number): ((b: number, i: number) => unknown) | null;
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as ArrayLike<unknown>).length === 'number';
}

/**
 * Reads the sizes of a [T][B][W] source; `padding` (per step, 1 for examples past their length)
 * keeps the width of nested arrays from being read off a padding row.
 */
function source3(v: unknown, name: string, dims: string, padding: Uint8Array[] | null): Source3 {
  const expected = `${dims}: nested arrays, { data, shape } or an ndarray view`;
  if (Array.isArray(v)) {
    const T = v.length;
    const first = v.find((s) => s !== null);
    const B = isArrayLike(first) ? first.length : 0;
    let W = 0;
    for (let t = 0; t < T && W === 0 && B > 0; t++) {
      const s = v[t] as ArrayLike<unknown> | null;
      if (isArrayLike(s)) for (let b = 0; b < s.length && W === 0; b++) if (!padding?.[t]?.[b] && isArrayLike(s[b])) W = (s[b] as ArrayLike<unknown>).length;
    }
    if (T === 0 || B === 0 || W === 0) throw new Error(`${name}: expected ${dims} with T, B and the width ≥ 1, received ${describe(v)}`);
    return {
      T,
      B,
      W,
      step: (t) => {
        const s = v[t];
        if (s === null) return null;
        if (!isArrayLike(s) || s.length !== B) throw new Error(`${name}[${t}]: expected ${B} rows (one per example)${name.endsWith('y') ? ' or null' : ''}, received ${describe(s)}`);
        return (b, i) => {
          const r = s[b];
          if (!isArrayLike(r) || r.length !== W) throw new Error(`${name}[${t}][${b}]: expected ${W} values, received ${describe(r)}`);
          return r[i];
        };
      },
    };
  }
  const a = v as Partial<StridedArray3> | null;
  if (a === null || typeof a !== 'object' || !Array.isArray(a.shape) || !isArrayLike(a.data)) throw new Error(`${name}: expected ${expected}, received ${describe(v)}`);
  if (a.shape.length !== 3 || !a.shape.every((d) => Number.isInteger(d) && d >= 1)) throw new Error(`${name}.shape: expected [T, B, W] with every size ≥ 1, received [${a.shape.join(', ')}]`);
  const [T, B, W] = a.shape;
  const data = a.data as ArrayLike<number> & { get?: (i: number) => number };
  let at: (k: number) => number;
  let index: (t: number, b: number, i: number) => number;
  if (a.stride !== undefined) {
    const [s0, s1, s2] = a.stride;
    const o = a.offset ?? 0;
    index = (t, b, i) => o + t * s0 + b * s1 + i * s2;
    at = typeof data.get === 'function' ? (k) => data.get!(k) : (k) => data[k];
  } else {
    if (data.length !== T * B * W) throw new Error(`${name}.data: expected ${T * B * W} values (shape [${T}, ${B}, ${W}]), received length ${data.length}`);
    index = (t, b, i) => (t * B + b) * W + i;
    at = (k) => data[k];
  }
  return { T, B, W, step: (t) => (b, i) => at(index(t, b, i)) };
}

/**
 * Builds a SeqBatch (time-major, x[t] B×I and y[t] B×O row-major) from nested arrays, dense
 * typed arrays with a shape, or ndarray views, copying every value into arrays of `dtype`:
 *
 *   makeBatch({ x: [[[0.1, 0.2]], [[0.3, 0.4]]], y: [null, [[1]]], loss: 'mse' })   // T = 2, B = 1
 *
 * With `lengths`, example b has lengths[b] steps: the entries of its later steps are padding,
 * not read (they may hold anything, NaN included) and stored as 0; learners and
 * `trainSequence` then hold it out of those steps and end its episode at its last one. Errors
 * name the argument and the index, the expected and the received value: sizes that disagree
 * between x and y, a value that is not a finite number (or, for dtype float32, overflows to
 * ±Infinity in float32: |v| > 3.4028234663852886e38), a target the loss does not accept
 * (one-hot rows for softmax-ce, values in [0, 1] for sigmoid-bce), a key it does not know.
 *
 * Without `y` (and without `loss`) it builds an inputs-only batch, { T, B, inputSize, x,
 * lengths? }, for `predict`: `makeBatch({ x })`. A `loss` without `y` is refused.
 */
export function makeBatch(source: BatchSource): SeqBatch;
export function makeBatch(source: InputSource): InputBatch;
export function makeBatch(source: BatchSource | InputSource): SeqBatch | InputBatch {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) throw new Error(`makeBatch: expected { x, y, loss, lengths?, dtype? } (or { x, lengths?, dtype? }: inputs only), received ${describe(source)}`);
  for (const k of Object.keys(source)) if (!(SOURCE_KEYS as readonly string[]).includes(k)) throw new Error(`makeBatch: unknown key ${JSON.stringify(k)} (known: ${SOURCE_KEYS.join(', ')})`);
  const inputsOnly = !('y' in source) || source.y === undefined;
  if (inputsOnly && 'loss' in source && source.loss !== undefined) throw new Error(`makeBatch: y: expected the targets [T][B][O] that loss ${describe(source.loss)} applies to, received undefined (an inputs-only batch, for predict, has neither y nor loss)`);
  const loss = inputsOnly ? null : checkOneOf((source as BatchSource).loss, LOSS_KINDS, 'makeBatch: loss');
  const dtype = source.dtype ?? 'float64';
  checkOneOf(dtype, ['float64', 'float32'], 'makeBatch: dtype');
  const { T, B } = source3(source.x, 'makeBatch: x', '[T][B][I]', null);
  const padding = source.lengths === undefined ? null : checkLengths(source.lengths, T, B, 'makeBatch: lengths');
  const xs = source3(source.x, 'makeBatch: x', '[T][B][I]', padding);
  const lengths = source.lengths === undefined ? {} : { lengths: Array.from(source.lengths) };
  const I = xs.W;
  if (loss === null) return { T, B, inputSize: I, x: readAll(xs, T, B, padding, dtype), ...lengths };
  const ys = source3((source as BatchSource).y, 'makeBatch: y', '[T][B][O]', padding);
  if (ys.T !== T || ys.B !== B) throw new Error(`makeBatch: y: expected T = ${T} steps of B = ${B} examples (x's), received T = ${ys.T}, B = ${ys.B}`);
  const x = readAll(xs, T, B, padding, dtype);
  const y: (Arr | null)[] = [];
  for (let t = 0; t < T; t++) {
    const yt = readStep(ys, t, 'makeBatch: y', B, padding, dtype);
    if (yt !== null) checkTargets(loss, yt, B, ys.W, `makeBatch: y[${t}]`, padding?.[t]);
    y.push(yt);
  }
  return { T, B, inputSize: I, outputSize: ys.W, loss, x, y, ...lengths };
}

/** Step t of a source as a B×W array of `dtype` (null for a step without values); padding entries are left 0, not read. */
function readStep(s: Source3, t: number, name: string, B: number, padding: Uint8Array[] | null, dtype: DType): Arr | null {
  const get = s.step(t);
  if (get === null) return null;
  const out = alloc(dtype, B * s.W);
  for (let b = 0; b < B; b++) {
    if (padding?.[t][b]) continue;
    for (let i = 0; i < s.W; i++) {
      const v = get(b, i);
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}[${t}][${b}][${i}]: expected a finite number, received ${describe(v)}`);
      out[b * s.W + i] = v;
      if (!Number.isFinite(out[b * s.W + i])) throw new Error(`${name}[${t}][${b}][${i}]: expected a number within float32's range (|v| ≤ ${FLOAT32_MAX}) for dtype 'float32', received ${v}`);
    }
  }
  return out;
}

/** Every step of the inputs x (a row at every step). */
function readAll(xs: Source3, T: number, B: number, padding: Uint8Array[] | null, dtype: DType): Arr[] {
  const x: Arr[] = [];
  for (let t = 0; t < T; t++) {
    const xt = readStep(xs, t, 'makeBatch: x', B, padding, dtype);
    if (xt === null) throw new Error(`makeBatch: x[${t}]: expected ${B} rows (inputs at every step), received null`);
    x.push(xt);
  }
  return x;
}
