import { Tensor } from './tensor.ts';
import type { DType } from './dtype.ts';

/** A named group of parameter tensors (e.g. a cell's W_ih, W_hh, b). */
export type ParamGroup = Record<string, Tensor>;

/** Zero tensors with the same names and shapes (gradient accumulators). */
export function zerosLike(group: ParamGroup, dtype?: DType): ParamGroup {
  const out: ParamGroup = {};
  for (const [k, t] of Object.entries(group)) out[k] = Tensor.zeros(t.shape, dtype ?? t.dtype);
  return out;
}

export function cloneGroup(group: ParamGroup): ParamGroup {
  const out: ParamGroup = {};
  for (const [k, t] of Object.entries(group)) out[k] = t.clone();
  return out;
}

export function zeroGroup(group: ParamGroup): void {
  for (const t of Object.values(group)) t.data.fill(0);
}

/** dst += alpha·src, tensor by tensor. */
export function addScaled(dst: ParamGroup, src: ParamGroup, alpha: number): void {
  for (const [k, t] of Object.entries(dst)) {
    const s = src[k].data;
    const d = t.data;
    for (let i = 0; i < d.length; i++) d[i] += alpha * s[i];
  }
}

