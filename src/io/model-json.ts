import { Readout } from '../cells/readout.ts';
import { allCellOptionNames, cellDefinition, createCell, resolveCellOptions, type CellType } from '../cells/registry.ts';
import { checkModel, Model } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { Synthesiser } from '../model/synthesiser.ts';
import type { DType } from '../tensor/dtype.ts';
import { Tensor } from '../tensor/tensor.ts';
import { checkInt, describe } from '../validate.ts';
import { expectObject, leadingShape, parseJsonText, readNested, toNestedArray } from './nested.ts';

/**
 * Model JSON in PyTorch layout (DESIGN.md):
 * { "cell": { "type", …options, "inputSize", "hiddenSize", …parameters },
 *   "readout": { "W": [O×H], "b": [O] }, "synthesiser"?: { "W": [n×n], "b": [n], "targetScale"?: ρ } }
 * The cell's keys come from its registry entry (cells/registry.ts): its options (always
 * written, required on reading) and its parameters by name and shape, e.g.
 *   rnn:  "activation", W_ih H×I, W_hh H×H, b H
 *   lstm: W_ih 4H×I, W_hh 4H×H, b 4H (gate order i, f, g, o)
 *   gru:  W_ih 3H×I, W_hh 3H×H, b_ih 3H, b_hh 3H (gate order r, z, n)
 * A missing synthesiser is zero with ρ = 1; W and b are its raw parameters, whose output W·s + b
 * predicts ρ × the per-example target (g = (W·s + b)/ρ, docs/MATH.md §4.8).
 */
export interface ModelJson {
  cell: {
    type: CellType;
    inputSize: number;
    hiddenSize: number;
    /** the cell's options (strings) and parameters (nested arrays) by name */
    [key: string]: unknown;
  };
  readout: { W: number[][]; b: number[] };
  /** the raw parameters (W·s + b predicts targetScale × the per-example target); targetScale ρ defaults to 1 */
  synthesiser?: { W: number[][]; b: number[]; targetScale?: number };
}

function tensorFrom(value: unknown, shape: readonly number[], name: string, dtype: DType): Tensor {
  return new Tensor(shape, readNested(value, shape, name, dtype));
}

/** The cell of model JSON: its type first, then the keys that type's registry entry defines. */
function cellFromJson(json: unknown, dtype: DType, name: string) {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${name}: expected an object, received ${describe(json)}`);
  const def = cellDefinition((json as Record<string, unknown>).type, `${name}.type`);
  const optionNames = allCellOptionNames();
  const c = expectObject(json, name, { required: ['type', 'inputSize', 'hiddenSize', ...Object.keys(def.paramShapes(1, 1))], optional: optionNames });
  const options = resolveCellOptions(def, Object.fromEntries(optionNames.filter((k) => k in c).map((k) => [k, c[k]])), `${name}.`, true);
  const I = checkInt(c.inputSize, `${name}.inputSize`, 1);
  const H = checkInt(c.hiddenSize, `${name}.hiddenSize`, 1);
  const params: ParamGroup = {};
  for (const [k, shape] of Object.entries(def.paramShapes(I, H))) params[k] = tensorFrom(c[k], shape, `${name}.${k}`, dtype);
  return createCell({ type: def.type, inputSize: I, hiddenSize: H, options, dtype, params }, `${name}.`);
}

export function modelFromJson(json: unknown, dtype: DType = 'float64', name = 'model'): Model {
  const root = expectObject(json, name, { required: ['cell', 'readout'], optional: ['synthesiser'] });
  const cell = cellFromJson(root.cell, dtype, `${name}.cell`);
  const H = cell.hiddenSize;
  const r = expectObject(root.readout, `${name}.readout`, { required: ['W', 'b'] });
  const O = leadingShape(r.W, 1)[0];
  if (O === undefined || O < 1) throw new Error(`${name}.readout.W: expected an array of shape [O, ${H}] with O ≥ 1, received ${describe(r.W)}`);
  const readout = new Readout(H, O, dtype, { W: tensorFrom(r.W, [O, H], `${name}.readout.W`, dtype), b: tensorFrom(r.b, [O], `${name}.readout.b`, dtype) });
  const n = cell.stateSize;
  let synth = new Synthesiser(n, dtype);
  if (root.synthesiser !== undefined) {
    const s = expectObject(root.synthesiser, `${name}.synthesiser`, { required: ['W', 'b'], optional: ['targetScale'] });
    if (s.targetScale !== undefined && !(typeof s.targetScale === 'number' && Number.isFinite(s.targetScale) && s.targetScale > 0)) {
      throw new Error(`${name}.synthesiser.targetScale: expected a finite number > 0, received ${describe(s.targetScale)}`);
    }
    synth = new Synthesiser(n, dtype, { W: tensorFrom(s.W, [n, n], `${name}.synthesiser.W`, dtype), b: tensorFrom(s.b, [n], `${name}.synthesiser.b`, dtype) }, s.targetScale === undefined ? 1 : (s.targetScale as number));
  }
  return new Model(cell, readout, synth);
}

export function modelFromJsonText(text: string, dtype: DType = 'float64', name = 'model'): Model {
  return modelFromJson(parseJsonText(text, name), dtype, name);
}

function nested(t: Tensor): never {
  return toNestedArray(t.data, t.shape) as never;
}

/** Model JSON (layout above) of a model, its parameters copied as nested arrays. Throws naming `model` for anything but a Model. */
export function modelToJson(model: Model): ModelJson {
  const { cell, readout, synthesiser } = checkModel(model, 'modelToJson: model');
  const params = Object.fromEntries(Object.entries(cell.params).map(([k, t]) => [k, nested(t)]));
  return {
    cell: { type: cell.type as CellType, ...cell.options, inputSize: cell.inputSize, hiddenSize: cell.hiddenSize, ...params },
    readout: { W: nested(readout.params.W), b: nested(readout.params.b) },
    synthesiser: { W: nested(synthesiser.params.W), b: nested(synthesiser.params.b), ...(synthesiser.targetScale !== 1 ? { targetScale: synthesiser.targetScale } : {}) },
  };
}
