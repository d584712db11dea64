import type { Rng } from '../rng.ts';
import type { DType } from '../tensor/dtype.ts';
import { checkParamGroup, type ParamGroup } from '../tensor/params.ts';
import { Tensor } from '../tensor/tensor.ts';
import { checkInt } from '../validate.ts';

/**
 * The parameters of a cell, readout or synthesiser constructed directly (`new RnnCell(…)`): the
 * given ones, checked against `shapes` and `dtype` (errors name `owner: params.<name>`), or zeros.
 */
export function initParams(owner: string, shapes: Readonly<Record<string, readonly number[]>>, dtype: DType, params: ParamGroup | undefined): ParamGroup {
  if (params === undefined) return zeroParams(shapes, dtype);
  checkParamGroup(params, `${owner}: params`, Object.fromEntries(Object.entries(shapes).map(([name, shape]) => [name, { shape }])));
  for (const [name, t] of Object.entries(params)) if (t.dtype !== dtype) throw new Error(`${owner}: params.${name}: expected ${dtype} data (the dtype given), received ${t.dtype}`);
  return params;
}

/** Checks positive integer sizes of a constructor, naming `owner: name`. */
export function checkSizes(owner: string, sizes: Readonly<Record<string, unknown>>): void {
  for (const [name, v] of Object.entries(sizes)) checkInt(v, `${owner}: ${name}`, 1);
}

/** Zero tensors named and shaped as `shapes` (a definition's `paramShapes`). */
export function zeroParams(shapes: Readonly<Record<string, readonly number[]>>, dtype: DType): ParamGroup {
  const out: ParamGroup = {};
  for (const [name, shape] of Object.entries(shapes)) out[name] = Tensor.zeros(shape, dtype);
  return out;
}

/**
 * PyTorch's initialisation of nn.RNN, nn.LSTM and nn.GRU: every parameter uniform(−1/√H, 1/√H),
 * drawn tensor by tensor in the group's order; then W_hh multiplied by `gain`.
 */
export function initUniform(params: ParamGroup, hiddenSize: number, rng: Rng, gain: number): void {
  const bound = 1 / Math.sqrt(hiddenSize);
  for (const t of Object.values(params)) for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-bound, bound);
  const Whh = params.W_hh.data;
  for (let i = 0; i < Whh.length; i++) Whh[i] *= gain;
}
