import type { Cell } from '../cells/cell.ts';
import { RnnCell } from '../cells/rnn.ts';
import { LstmCell } from '../cells/lstm.ts';
import { Readout } from '../cells/readout.ts';
import { ACTIVATIONS, type Activation } from '../cells/activations.ts';
import { Synthesiser } from './synthesiser.ts';
import { checkDType, type DType } from '../tensor/dtype.ts';
import { Rng } from '../rng.ts';
import { cloneGroup, type ParamGroup } from './params.ts';
import { checkInt, checkFinite, checkOptions } from '../validate.ts';

/** The three parameter groups every learner and optimizer works with. */
export interface ModelGroups {
  cell: ParamGroup;
  readout: ParamGroup;
  synthesiser: ParamGroup;
}

/** A recurrent cell, its linear readout and its linear synthesiser. */
export class Model {
  constructor(
    readonly cell: Cell,
    readonly readout: Readout,
    readonly synthesiser: Synthesiser,
  ) {
    if (readout.hiddenSize !== cell.hiddenSize) {
      throw new Error(`Model: readout hidden size must equal the cell's (${cell.hiddenSize}), received ${readout.hiddenSize}`);
    }
    if (synthesiser.stateSize !== cell.stateSize) {
      throw new Error(`Model: synthesiser state size must equal the cell's (${cell.stateSize}), received ${synthesiser.stateSize}`);
    }
  }

  get dtype(): DType {
    return this.cell.dtype;
  }
  get inputSize(): number {
    return this.cell.inputSize;
  }
  get hiddenSize(): number {
    return this.cell.hiddenSize;
  }
  get stateSize(): number {
    return this.cell.stateSize;
  }
  get outputSize(): number {
    return this.readout.outputSize;
  }

  groups(): ModelGroups {
    return { cell: this.cell.params, readout: this.readout.params, synthesiser: this.synthesiser.params };
  }

  /** A deep copy (parameters included). */
  clone(): Model {
    const c = this.cell;
    const cell: Cell =
      c.type === 'rnn'
        ? new RnnCell(c.inputSize, c.hiddenSize, c.activation as Activation, c.dtype, cloneGroup(c.params))
        : new LstmCell(c.inputSize, c.hiddenSize, c.dtype, cloneGroup(c.params));
    return new Model(
      cell,
      new Readout(c.hiddenSize, this.outputSize, c.dtype, cloneGroup(this.readout.params)),
      new Synthesiser(c.stateSize, c.dtype, cloneGroup(this.synthesiser.params)),
    );
  }
}

export interface ModelSpec {
  cell: 'rnn' | 'lstm';
  /** vanilla RNN only (default tanh) */
  activation?: Activation;
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  /** a signed 32-bit integer, [−2³¹, 2³¹−1]: every seed gives its own model */
  seed: number;
  dtype?: DType;
  /** multiplies W_hh after initialisation (default 1) */
  gain?: number;
}

const SPEC_KEYS = ['cell', 'activation', 'inputSize', 'hiddenSize', 'outputSize', 'seed', 'dtype', 'gain'] as const;

/**
 * A freshly initialised model: cell and readout weights uniform(±1/√H) (PyTorch's default),
 * W_hh then multiplied by `gain`; the synthesiser zero.
 */
export function createModel(spec: ModelSpec): Model {
  checkOptions(spec, SPEC_KEYS, 'createModel');
  if (spec.cell !== 'rnn' && spec.cell !== 'lstm') throw new Error(`createModel: cell: expected "rnn" or "lstm", received ${JSON.stringify(spec.cell)}`);
  const I = checkInt(spec.inputSize, 'createModel: inputSize', 1);
  const H = checkInt(spec.hiddenSize, 'createModel: hiddenSize', 1);
  const O = checkInt(spec.outputSize, 'createModel: outputSize', 1);
  const seed = checkInt(spec.seed, 'createModel: seed', -(2 ** 31), 2 ** 31 - 1);
  const dtype = spec.dtype === undefined ? 'float64' : checkDType(spec.dtype, 'createModel: dtype');
  const gain = spec.gain === undefined ? 1 : checkFinite(spec.gain, 'createModel: gain');
  const activation = spec.activation ?? 'tanh';
  if (spec.cell === 'rnn' && !ACTIVATIONS.includes(activation)) {
    throw new Error(`createModel: activation: expected one of ${ACTIVATIONS.join(', ')}, received ${JSON.stringify(spec.activation)}`);
  }
  if (spec.cell === 'lstm' && spec.activation !== undefined) {
    throw new Error(`createModel: activation: the LSTM has fixed nonlinearities, received ${JSON.stringify(spec.activation)}`);
  }
  const rng = new Rng(seed);
  const bound = 1 / Math.sqrt(H);
  const cell: Cell = spec.cell === 'rnn' ? new RnnCell(I, H, activation, dtype) : new LstmCell(I, H, dtype);
  for (const name of ['W_ih', 'W_hh', 'b']) {
    const t = cell.params[name].data;
    for (let i = 0; i < t.length; i++) t[i] = rng.uniform(-bound, bound);
  }
  const Whh = cell.params.W_hh.data;
  for (let i = 0; i < Whh.length; i++) Whh[i] *= gain;
  const readout = new Readout(H, O, dtype);
  for (const name of ['W', 'b']) {
    const t = readout.params[name].data;
    for (let i = 0; i < t.length; i++) t[i] = rng.uniform(-bound, bound);
  }
  return new Model(cell, readout, new Synthesiser(cell.stateSize, dtype));
}
