import type { Model, ModelGroups } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import type { Arr } from '../tensor/dtype.ts';
import { toNestedArray } from './nested.ts';

/**
 * Gradients JSON (DESIGN.md): the model JSON's parameter shapes with gradients in place of
 * values, plus `loss` (L = (1/B) Σ_b Σ_t ℓ_{t,b}) and, where the method defines them,
 * `stateGrads` [T][B][n] and `syntheticGrads` [T][B][n]. `synthesiser` is present for the
 * methods that train it (sg, bp-lambda, lambda-sg).
 */
export interface GradsJsonInput {
  model: Model;
  grads: ModelGroups;
  loss: number;
  includeSynthesiser: boolean;
  stateGrads?: Arr[];
  syntheticGrads?: Arr[];
  batch: number;
}

function groupJson(g: ParamGroup): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, t] of Object.entries(g)) out[k] = toNestedArray(t.data, t.shape);
  return out;
}

function perStep(list: Arr[], B: number, n: number): unknown {
  return list.map((a) => toNestedArray(a, [B, n]));
}

export function gradsToJson(input: GradsJsonInput): Record<string, unknown> {
  const { model, grads, batch } = input;
  const n = model.stateSize;
  const out: Record<string, unknown> = { cell: groupJson(grads.cell), readout: groupJson(grads.readout) };
  if (input.includeSynthesiser) out.synthesiser = groupJson(grads.synthesiser);
  out.loss = input.loss;
  if (input.stateGrads) out.stateGrads = perStep(input.stateGrads, batch, n);
  if (input.syntheticGrads) out.syntheticGrads = perStep(input.syntheticGrads, batch, n);
  return out;
}
