/**
 * Interop with `ndarray` views at the boundary (a separate entry point: `bp-lambda/ndarray`).
 * The core never imports ndarray. This adapter does, with `ndarray-ops` for the strided copies:
 * both are optional peer dependencies (`npm install ndarray ndarray-ops`). ndarray-ops compiles
 * its loops with `new Function`, so this adapter, unlike the core, does not run under a
 * Content-Security-Policy without 'unsafe-eval'.
 *
 * The view type is declared here (`NdArrayView`), so the adapter's declarations need no
 * @types/ndarray; an `NdArray` of @types/ndarray is an `NdArrayView`, and the views returned
 * here are real ndarray objects (cast to `NdArray` for @types/ndarray's own interface).
 */
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import type { NdArray } from 'ndarray';
import { Tensor } from './tensor/tensor.ts';
import { alloc, type Arr, type DType } from './tensor/dtype.ts';
import { describe } from './validate.ts';

/** Storage an ndarray view reads: an array-like of numbers, or a get/set accessor object. */
export type NdArrayData = ArrayLike<number> | { get(i: number): number; set(i: number, v: number): void; length: number };

/**
 * An ndarray view (the `ndarray` package): element (i_0, …, i_{d−1}) is
 * `data[offset + Σ_k i_k·stride[k]]`. The members are those of ndarray objects.
 */
export interface NdArrayView<D extends NdArrayData = NdArrayData> {
  data: D;
  shape: number[];
  stride: number[];
  offset: number;
  /** 'float64', 'float32', 'int32', …, 'array' (a plain Array), 'generic', 'buffer' */
  dtype: string;
  size: number;
  order: number[];
  dimension: number;
  get(...index: number[]): number;
  /** `set(i_0, …, i_{d−1}, value)` */
  set(...indexThenValue: number[]): number;
  index(...index: number[]): number;
  lo(...index: number[]): NdArrayView<D>;
  hi(...index: number[]): NdArrayView<D>;
  step(...steps: number[]): NdArrayView<D>;
  transpose(...axes: number[]): NdArrayView<D>;
  pick(...index: Array<number | null>): NdArrayView<D>;
}

/** Element types whose values are numbers by construction (no check of each element's type needed). */
const NUMERIC_DTYPES = new Set(['float64', 'float32', 'int8', 'int16', 'int32', 'uint8', 'uint8_clamped', 'uint16', 'uint32', 'buffer']);

function checkView(context: string, name: string, view: unknown): asserts view is NdArrayView {
  const v = view as Partial<NdArrayView> | null;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.shape) &&
    Array.isArray(v.stride) &&
    v.stride.length === v.shape.length &&
    typeof v.offset === 'number' &&
    typeof v.dtype === 'string' &&
    v.data !== null &&
    typeof v.data === 'object';
  if (!ok) throw new Error(`${context}: ${name}: expected an ndarray (shape, stride, offset, dtype, data), received ${describe(view)}`);
}

/** A dense row-major ndarray over `data` (what ndarray-ops copies into and out of). */
function dense(data: Arr | unknown[], shape: readonly number[]): NdArray {
  return ndarray(data as Float64Array, [...shape]);
}

/**
 * Copies any ndarray view (strided, offset, transposed, any numeric element type) into a new
 * dense row-major Tensor of `dtype` (default float64), with ndarray-ops' `assign`.
 * Throws, naming the first offending index, when an element is not a finite number; a view
 * over bigint storage is refused.
 */
export function fromNdarray(view: NdArrayView, dtype: DType = 'float64'): Tensor {
  checkView('fromNdarray', 'view', view);
  if (dtype !== 'float64' && dtype !== 'float32') throw new Error(`fromNdarray: dtype: expected "float64" or "float32", received ${describe(dtype)}`);
  if (view.dtype === 'bigint64' || view.dtype === 'biguint64') throw new Error(`fromNdarray: view: expected numeric elements, received dtype ${view.dtype}`);
  const shape = view.shape.slice();
  const out = alloc(dtype, shape.reduce((a, b) => a * b, 1));
  if (NUMERIC_DTYPES.has(view.dtype)) {
    ops.assign(dense(out, shape), view as unknown as NdArray);
    copyFinite(out, out, shape);
  } else {
    // plain or generic arrays may hold anything: copy the values as they are, check their type, then convert
    const values = new Array<unknown>(out.length);
    ops.assign(dense(values, shape), view as unknown as NdArray);
    copyFinite(values, out, shape);
  }
  return new Tensor(shape, out);
}

/** out[k] ← values[k] for every k, throwing at the first value that is not a finite number. */
function copyFinite(values: ArrayLike<unknown>, out: Arr, shape: readonly number[]): void {
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`fromNdarray: view: expected finite numbers, received ${describe(v)} at [${unravel(k, shape).join(', ')}]`);
    out[k] = v;
  }
}

/** The multi-index of row-major position k. */
function unravel(k: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return idx;
}

/** A row-major ndarray view over the tensor's data (no copy: writes through it change the tensor). */
export function toNdarray(t: Tensor): NdArrayView<Float64Array | Float32Array> {
  if (!(t instanceof Tensor)) throw new Error(`toNdarray: t: expected a Tensor, received ${describe(t)}`);
  return ndarray(t.data, [...t.shape]) as unknown as NdArrayView<Float64Array | Float32Array>;
}

/**
 * Copies the tensor into an existing ndarray view of the same shape (strided, offset or
 * transposed: a slice of a larger array, say), converting to the view's element type, with
 * ndarray-ops' `assign`. Returns `target`. Throws when the shapes differ; nothing is written then.
 */
export function copyToNdarray<V extends NdArrayView>(t: Tensor, target: V): V {
  if (!(t instanceof Tensor)) throw new Error(`copyToNdarray: t: expected a Tensor, received ${describe(t)}`);
  checkView('copyToNdarray', 'target', target);
  if (target.shape.length !== t.shape.length || target.shape.some((d, i) => d !== t.shape[i])) {
    throw new Error(`copyToNdarray: target: expected shape [${t.shape.join(', ')}] (the tensor's), received [${target.shape.join(', ')}]`);
  }
  ops.assign(target as unknown as NdArray, dense(t.data, t.shape));
  return target;
}
