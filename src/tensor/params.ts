import { Tensor } from './tensor.ts';
import type { DType } from './dtype.ts';
import { fail } from '../validate.ts';

/** A named group of parameter tensors (e.g. a cell's W_ih, W_hh, b). */
export type ParamGroup = Record<string, Tensor>;

/**
 * An object of Tensors by name: a ParamGroup, a group of gradients, a state_dict. With `like`
 * (a model's parameter group), the same names and shapes as its tensors (the gradients of those
 * parameters). Throws naming `name`, or `${name}.${key}` for the first entry that does not fit.
 */
export function checkParamGroup(v: unknown, name: string, like?: Readonly<Record<string, { readonly shape: readonly number[] }>>): ParamGroup {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) fail(name, 'an object of Tensors by name', v);
  const group = v as Record<string, unknown>;
  for (const [key, t] of Object.entries(group)) if (!(t instanceof Tensor)) fail(`${name}.${key}`, 'a Tensor', t);
  if (like === undefined) return group as ParamGroup;
  const names = Object.keys(like);
  const got = Object.keys(group);
  if (got.length !== names.length || !names.every((k) => k in group)) throw new Error(`${name}: expected the model's parameters ${names.join(', ')}, received ${got.length ? got.join(', ') : 'none'}`);
  for (const k of names) {
    const { shape } = group[k] as Tensor;
    const want = like[k].shape;
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) throw new Error(`${name}.${k}: expected shape [${want.join(', ')}] (the model's), received [${shape.join(', ')}]`);
  }
  return group as ParamGroup;
}

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

