import { checkModel, checkModelGrads, type Model, type ModelGroups } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import type { Arr } from '../tensor/dtype.ts';
import { checkStepArray } from '../data/validate-batch.ts';
import { checkFinite, checkInt, checkObject, fail } from '../validate.ts';
import { toNestedArray } from './nested.ts';

/**
 * Gradients JSON (DESIGN.md): the model JSON's parameter shapes with gradients in place of
 * values, plus `loss` (L = (1/B) Σ_b Σ_t ℓ_{t,b}) and, where the method defines them,
 * `stateGrads` [T][B][n] and `syntheticGrads` [T][B][n]. `synthesiser` is present for the
 * methods that train it (sg, bp-lambda, lambda-sg).
 *
 * `input` is checked first: `model` a Model, `grads` its groups' names and shapes (the
 * synthesiser's only with `includeSynthesiser`), `loss` finite, `batch` B ≥ 1, each per-step
 * list B×n finite values per step. An error names the field.
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

function checkGradsInput(input: unknown): GradsJsonInput {
  const name = 'gradsToJson: input';
  const v = checkObject(input, name) as Partial<GradsJsonInput>;
  const model = checkModel(v.model, `${name}.model`);
  if (typeof v.includeSynthesiser !== 'boolean') fail(`${name}.includeSynthesiser`, 'a boolean', v.includeSynthesiser);
  checkModelGrads(v.grads, model, `${name}.grads`, v.includeSynthesiser ? ['cell', 'readout', 'synthesiser'] : ['cell', 'readout']);
  checkFinite(v.loss, `${name}.loss`);
  const B = checkInt(v.batch, `${name}.batch`, 1);
  for (const k of ['stateGrads', 'syntheticGrads'] as const) {
    const list = v[k];
    if (list === undefined) continue;
    if (!Array.isArray(list)) fail(`${name}.${k}`, `an array of per-step Float64Array or Float32Array (batch ${B} × stateSize ${model.stateSize} each)`, list);
    list.forEach((a, t) => checkStepArray(a, B * model.stateSize, `${name}.${k}[${t}]`));
  }
  return v as GradsJsonInput;
}

export function gradsToJson(input: GradsJsonInput): Record<string, unknown> {
  const { model, grads, batch } = checkGradsInput(input);
  const n = model.stateSize;
  const out: Record<string, unknown> = { cell: groupJson(grads.cell), readout: groupJson(grads.readout) };
  if (input.includeSynthesiser) out.synthesiser = groupJson(grads.synthesiser);
  out.loss = input.loss;
  if (input.stateGrads) out.stateGrads = perStep(input.stateGrads, batch, n);
  if (input.syntheticGrads) out.syntheticGrads = perStep(input.syntheticGrads, batch, n);
  return out;
}
