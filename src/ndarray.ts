/**
 * Interop with `ndarray` views at the boundary (a separate entry point: `bp-lambda/ndarray`).
 * The core never imports ndarray; this adapter does, and ndarray is an optional peer dependency.
 */
import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { Tensor } from './tensor/tensor.ts';
import { alloc, checkDType, type DType } from './tensor/dtype.ts';

/** Copies any ndarray view (strided, offset, any numeric dtype) into a dense row-major Tensor. */
export function fromNdarray(view: NdArray, dtype: DType = 'float64'): Tensor {
  if (!view || !Array.isArray(view.shape) || typeof view.get !== 'function') {
    throw new Error(`fromNdarray: view: expected an ndarray, received ${view === null ? 'null' : typeof view}`);
  }
  checkDType(dtype, 'fromNdarray: dtype');
  const shape = view.shape.slice();
  const size = shape.reduce((a, b) => a * b, 1);
  const out = alloc(dtype, size);
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < size; k++) {
    const v = (view.get as (...i: number[]) => number)(...idx);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`fromNdarray: view: expected finite numbers, received ${String(v)} at [${idx.join(', ')}]`);
    out[k] = v;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return new Tensor(shape, out);
}

/** A row-major ndarray view over the tensor's data (no copy). */
export function toNdarray(t: Tensor): NdArray<Float64Array | Float32Array> {
  return ndarray(t.data, [...t.shape]);
}
