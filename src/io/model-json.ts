import { ACTIVATIONS, type Activation } from '../cells/activations.ts';
import { LstmCell } from '../cells/lstm.ts';
import { Readout } from '../cells/readout.ts';
import { RnnCell } from '../cells/rnn.ts';
import { Model } from '../model/model.ts';
import type { ParamGroup } from '../model/params.ts';
import { Synthesiser } from '../model/synthesiser.ts';
import type { DType } from '../tensor/dtype.ts';
import { Tensor } from '../tensor/tensor.ts';
import { checkInt, checkOneOf, describe } from '../validate.ts';
import { expectObject, leadingShape, parseJsonText, readNested, toNestedArray } from './nested.ts';

/**
 * Model JSON in PyTorch layout (DESIGN.md):
 * { "cell": { "type": "rnn"|"lstm", "activation"?, "inputSize", "hiddenSize", "W_ih", "W_hh", "b" },
 *   "readout": { "W": [O×H], "b": [O] }, "synthesiser"?: { "W": [n×n], "b": [n] } }
 * LSTM: W_ih 4H×I, W_hh 4H×H, b 4H, gate order i, f, g, o. A missing synthesiser is zero.
 */
export interface ModelJson {
  cell: {
    type: 'rnn' | 'lstm';
    activation?: Activation;
    inputSize: number;
    hiddenSize: number;
    W_ih: number[][];
    W_hh: number[][];
    b: number[];
  };
  readout: { W: number[][]; b: number[] };
  synthesiser?: { W: number[][]; b: number[] };
}

function tensorFrom(value: unknown, shape: number[], name: string, dtype: DType): Tensor {
  return new Tensor(shape, readNested(value, shape, name, dtype));
}

export function modelFromJson(json: unknown, dtype: DType = 'float64', name = 'model'): Model {
  const root = expectObject(json, name, { required: ['cell', 'readout'], optional: ['synthesiser'] });
  const c = expectObject(root.cell, `${name}.cell`, {
    required: ['type', 'inputSize', 'hiddenSize', 'W_ih', 'W_hh', 'b'],
    optional: ['activation'],
  });
  const type = checkOneOf(c.type, ['rnn', 'lstm'] as const, `${name}.cell.type`);
  const I = checkInt(c.inputSize, `${name}.cell.inputSize`, 1);
  const H = checkInt(c.hiddenSize, `${name}.cell.hiddenSize`, 1);
  const G = type === 'lstm' ? 4 * H : H;
  const cellParams: ParamGroup = {
    W_ih: tensorFrom(c.W_ih, [G, I], `${name}.cell.W_ih`, dtype),
    W_hh: tensorFrom(c.W_hh, [G, H], `${name}.cell.W_hh`, dtype),
    b: tensorFrom(c.b, [G], `${name}.cell.b`, dtype),
  };
  let cell;
  if (type === 'rnn') {
    const activation = checkOneOf(c.activation, ACTIVATIONS, `${name}.cell.activation`);
    cell = new RnnCell(I, H, activation, dtype, cellParams);
  } else {
    if (c.activation !== undefined) throw new Error(`${name}.cell.activation: the LSTM has no activation option, received ${describe(c.activation)}`);
    cell = new LstmCell(I, H, dtype, cellParams);
  }
  const r = expectObject(root.readout, `${name}.readout`, { required: ['W', 'b'] });
  const O = leadingShape(r.W, 1)[0];
  if (O === undefined || O < 1) throw new Error(`${name}.readout.W: expected an array of shape [O, ${H}] with O ≥ 1, received ${describe(r.W)}`);
  const readout = new Readout(H, O, dtype, { W: tensorFrom(r.W, [O, H], `${name}.readout.W`, dtype), b: tensorFrom(r.b, [O], `${name}.readout.b`, dtype) });
  const n = cell.stateSize;
  let synth = new Synthesiser(n, dtype);
  if (root.synthesiser !== undefined) {
    const s = expectObject(root.synthesiser, `${name}.synthesiser`, { required: ['W', 'b'] });
    synth = new Synthesiser(n, dtype, { W: tensorFrom(s.W, [n, n], `${name}.synthesiser.W`, dtype), b: tensorFrom(s.b, [n], `${name}.synthesiser.b`, dtype) });
  }
  return new Model(cell, readout, synth);
}

export function modelFromJsonText(text: string, dtype: DType = 'float64', name = 'model'): Model {
  return modelFromJson(parseJsonText(text, name), dtype, name);
}

function nested(t: Tensor): never {
  return toNestedArray(t.data, t.shape) as never;
}

export function modelToJson(model: Model): ModelJson {
  const { cell, readout, synthesiser } = model;
  const out: ModelJson = {
    cell: {
      type: cell.type,
      ...(cell.type === 'rnn' ? { activation: cell.activation as Activation } : {}),
      inputSize: cell.inputSize,
      hiddenSize: cell.hiddenSize,
      W_ih: nested(cell.params.W_ih),
      W_hh: nested(cell.params.W_hh),
      b: nested(cell.params.b),
    },
    readout: { W: nested(readout.params.W), b: nested(readout.params.b) },
    synthesiser: { W: nested(synthesiser.params.W), b: nested(synthesiser.params.b) },
  };
  return out;
}
