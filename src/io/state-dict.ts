import type { CellOptions } from '../cells/cell.ts';
import { Readout } from '../cells/readout.ts';
import { CELL_TYPES, cellDefinition, createCell, type CellType } from '../cells/registry.ts';
import { checkModel, Model } from '../model/model.ts';
import { Synthesiser } from '../model/synthesiser.ts';
import { alloc, checkDType, type DType } from '../tensor/dtype.ts';
import { checkParamGroup, type ParamGroup } from '../tensor/params.ts';
import { Tensor } from '../tensor/tensor.ts';
import { checkObject, checkOneOf, checkOptions, describe } from '../validate.ts';
import { readNested } from './nested.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';

/**
 * PyTorch state_dicts of a single-layer recurrent module plus a linear readout:
 *
 *   <prefix>weight_ih_l0   G·H × I     W_ih (gate blocks stacked, PyTorch's order)
 *   <prefix>weight_hh_l0   G·H × H     W_hh
 *   <prefix>bias_ih_l0     G·H         b_ih
 *   <prefix>bias_hh_l0     G·H         b_hh
 *   <readout>weight        O × H       nn.Linear's weight (our readout W)
 *   <readout>bias          O           its bias
 *   <synthesiser>weight    n × n       the synthesiser's raw W (PyTorch has no such module)
 *   <synthesiser>bias      n           its raw b
 *   <synthesiser>target_scale  0-d     its target scale ρ (written when ρ ≠ 1)
 *
 * with G = 1 (nn.RNN), 4 (nn.LSTM, gates i, f, g, o) or 3 (nn.GRU, gates r, z, n). The cells
 * with one bias (our RNN and LSTM) take b = b_ih + b_hh on import and export b as b_ih with
 * zeros as b_hh (the same function in PyTorch); the GRU keeps both, as b_hn sits inside
 * r ⊙ (W_hn h + b_hn). A module without biases (`bias=False`) imports with zero biases.
 * Refused, each with an error naming the key: layers beyond the first (`_l1`, …), the reverse
 * direction of a bidirectional module (`_reverse`), LSTM projections (`weight_hr_l0`), keys
 * outside the three prefixes, shapes that do not fit, values that are not finite; on export,
 * an RNN cell whose activation nn.RNN lacks (identity, sigmoid).
 */
export type StateDict = Record<string, Tensor>;

/** PyTorch's recurrent modules and their mapping onto registered cells (one row per module kind). */
export interface TorchRecurrentModule {
  /** PyTorch's class */
  readonly module: 'nn.RNN' | 'nn.LSTM' | 'nn.GRU';
  /** nn.RNN's `nonlinearity` (null for the others) */
  readonly nonlinearity: TorchNonlinearity | null;
  /** the registered cell and its options */
  readonly cell: CellType;
  readonly options: CellOptions;
  /** 'merged': the cell holds b = b_ih + b_hh; 'separate': it holds b_ih and b_hh */
  readonly bias: 'merged' | 'separate';
}

export type TorchNonlinearity = 'tanh' | 'relu';
export const TORCH_NONLINEARITIES: readonly TorchNonlinearity[] = ['tanh', 'relu'];

export const TORCH_RECURRENT_MODULES: readonly TorchRecurrentModule[] = [
  { module: 'nn.RNN', nonlinearity: 'tanh', cell: 'rnn', options: { activation: 'tanh' }, bias: 'merged' },
  { module: 'nn.RNN', nonlinearity: 'relu', cell: 'rnn', options: { activation: 'relu' }, bias: 'merged' },
  { module: 'nn.LSTM', nonlinearity: null, cell: 'lstm', options: {}, bias: 'merged' },
  { module: 'nn.GRU', nonlinearity: null, cell: 'gru', options: {}, bias: 'separate' },
];

/** G: the gate blocks stacked in a module's weight_ih_l0 (its rows are G·H), from the cell's registered shapes. */
export function gateCount(row: TorchRecurrentModule): number {
  const { cell } = checkObject(row, 'gateCount: row');
  return cellDefinition(cell, 'gateCount: row.cell').paramShapes(1, 1).W_ih[0];
}

/** Where the three parts live in a state_dict (defaults "rnn.", "readout.", "synthesiser."). */
export interface StateDictPrefixes {
  prefix?: string;
  readoutPrefix?: string;
  synthesiserPrefix?: string;
}

export interface ModelFromStateDictOptions extends StateDictPrefixes {
  /** the registered cell expected; checked against the gate count of weight_hh_l0 (default: from it) */
  cell?: CellType;
  /** nn.RNN's nonlinearity, which the tensors cannot tell (default "tanh", PyTorch's default) */
  nonlinearity?: TorchNonlinearity;
  /** the model's element type (default: float32 when every tensor is, else float64) */
  dtype?: DType;
}

export interface ModelToStateDictOptions extends StateDictPrefixes {
  /** write the synthesiser's keys (default true; PyTorch's `load_state_dict` refuses them unless `strict=False`) */
  synthesiser?: boolean;
  /** the tensors' element type (default: the model's) */
  dtype?: DType;
}

const PREFIX_OPTIONS = ['prefix', 'readoutPrefix', 'synthesiserPrefix'] as const;

function prefixes(options: StateDictPrefixes, at: string): Required<StateDictPrefixes> {
  const out = { prefix: 'rnn.', readoutPrefix: 'readout.', synthesiserPrefix: 'synthesiser.' };
  for (const k of PREFIX_OPTIONS) {
    const v = options[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new Error(`${at}: options.${k}: expected a string (e.g. ${JSON.stringify(out[k])}, or "" for none), received ${describe(v)}`);
    out[k] = v;
  }
  if (out.readoutPrefix === out.synthesiserPrefix) throw new Error(`${at}: options.synthesiserPrefix: expected a prefix other than the readout's, received ${JSON.stringify(out.synthesiserPrefix)} for both`);
  return out;
}

/** The key names of one state_dict layout. */
function keyNames(p: Required<StateDictPrefixes>) {
  const r = p.prefix;
  return {
    W_ih: `${r}weight_ih_l0`,
    W_hh: `${r}weight_hh_l0`,
    b_ih: `${r}bias_ih_l0`,
    b_hh: `${r}bias_hh_l0`,
    readoutW: `${p.readoutPrefix}weight`,
    readoutB: `${p.readoutPrefix}bias`,
    synthW: `${p.synthesiserPrefix}weight`,
    synthB: `${p.synthesiserPrefix}bias`,
    synthRho: `${p.synthesiserPrefix}target_scale`,
  };
}
type KeyNames = ReturnType<typeof keyNames>;

const RECURRENT_KEY = /^(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?$/;

/** Refuses what this layout cannot hold, naming the first offending key. */
function checkKeys(sd: StateDict, keys: KeyNames, prefix: string, at: string): void {
  const known = Object.values(keys);
  for (const k of Object.keys(sd)) {
    if (known.includes(k)) continue;
    const m = k.startsWith(prefix) ? RECURRENT_KEY.exec(k.slice(prefix.length)) : null;
    if (m && m[4]) throw new Error(`${at}: ${k}: a bidirectional module (bidirectional=True): only one direction is supported`);
    if (m && m[3] !== '0') throw new Error(`${at}: ${k}: a module with more than one layer (num_layers > 1): only single-layer modules are supported`);
    if (m && m[2] === 'hr') throw new Error(`${at}: ${k}: an LSTM with projections (proj_size > 0) is not supported`);
    throw new Error(`${at}: ${k}: unknown key; expected a single-layer nn.RNN, nn.LSTM or nn.GRU under ${JSON.stringify(prefix)} and an nn.Linear readout (keys: ${known.join(', ')})`);
  }
}

/** A shape to match: numbers exactly, a name ("I", "O") any size ≥ 1. */
type ShapeSpec = readonly (number | string)[];

function shapeText(shape: ShapeSpec): string {
  const free = shape.filter((d) => typeof d === 'string');
  return `[${shape.join(', ')}]${free.length ? ` (${free.join(', ')} ≥ 1)` : ''}`;
}

/** sd[key] checked against `shape` and finite, as a copy in `dtype`; undefined when absent. */
function take(sd: StateDict, key: string, shape: ShapeSpec, dtype: DType, at: string): Tensor | undefined {
  const t = sd[key];
  if (t === undefined) return undefined;
  if (t.shape.length !== shape.length || t.shape.some((d, i) => (typeof shape[i] === 'string' ? d < 1 : d !== shape[i]))) {
    throw new Error(`${at}: ${key}: expected shape ${shapeText(shape)}, received [${t.shape.join(', ')}]`);
  }
  const out = alloc(dtype, t.size);
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i];
    if (!Number.isFinite(v)) throw new Error(`${at}: ${key}: expected finite values, received ${v} at flat index ${i}`);
    out[i] = v;
  }
  return new Tensor(t.shape, out);
}

function need(sd: StateDict, key: string, shape: ShapeSpec, dtype: DType, at: string): Tensor {
  const t = take(sd, key, shape, dtype, at);
  if (t === undefined) throw new Error(`${at}: missing key ${key} (expected shape ${shapeText(shape)})`);
  return t;
}

/** A bias pair: both keys, or neither (a module built with bias=False: zeros). */
function biasPair(sd: StateDict, k: KeyNames, rows: number, dtype: DType, at: string): [Tensor, Tensor] {
  const bi = take(sd, k.b_ih, [rows], dtype, at);
  const bh = take(sd, k.b_hh, [rows], dtype, at);
  if ((bi === undefined) !== (bh === undefined)) throw new Error(`${at}: missing key ${bi ? k.b_hh : k.b_ih} while ${bi ? k.b_ih : k.b_hh} is present (give both biases, or neither for bias=False)`);
  return [bi ?? Tensor.zeros([rows], dtype), bh ?? Tensor.zeros([rows], dtype)];
}

/** The table row for weight_hh_l0's gate count G and the options (nn.RNN: `nonlinearity` where the options have none). */
function findModule(sd: StateDict, k: KeyNames, options: ModelFromStateDictOptions, nonlinearity: TorchNonlinearity, at: string): { row: TorchRecurrentModule; H: number } {
  const Whh = sd[k.W_hh];
  if (Whh === undefined) throw new Error(`${at}: missing key ${k.W_hh} (the recurrent module's hidden-hidden weights, shape [G·H, H])`);
  const kinds = [...new Set(TORCH_RECURRENT_MODULES.map((r) => `${gateCount(r)} (${r.module})`))].join(', ');
  const [R, H] = Whh.shape;
  const G = R / H;
  const rows = TORCH_RECURRENT_MODULES.filter((r) => gateCount(r) === G);
  if (Whh.shape.length !== 2 || !(H >= 1) || rows.length === 0) throw new Error(`${at}: ${k.W_hh}: expected shape [G·H, H] with H ≥ 1 and G = ${kinds}, received [${Whh.shape.join(', ')}]`);
  const module = rows[0].module;
  if (options.cell !== undefined && options.cell !== rows[0].cell) {
    throw new Error(`${at}: ${k.W_hh}: shape [${R}, ${H}] is an ${module}'s (${G}H rows), but options.cell is ${JSON.stringify(options.cell)} (${gateCount(TORCH_RECURRENT_MODULES.find((r) => r.cell === options.cell)!)}H rows)`);
  }
  if (rows.length === 1) {
    if (options.nonlinearity !== undefined) throw new Error(`${at}: options.nonlinearity applies to nn.RNN only, and ${k.W_hh} (shape [${R}, ${H}]) is an ${module}'s`);
    return { row: rows[0], H };
  }
  const nl = options.nonlinearity ?? nonlinearity;
  return { row: rows.find((r) => r.nonlinearity === nl)!, H };
}

/**
 * A model from a PyTorch state_dict (layout above): the recurrent module found from the gate
 * count of weight_hh_l0 (rows H, 4H, 3H: nn.RNN, nn.LSTM, nn.GRU; `options.cell` to insist on
 * one), nn.RNN's nonlinearity from `options.nonlinearity` (default tanh). A missing synthesiser
 * is zero (ρ = 1). Errors name the key, the expected and the received value; `name` prefixes
 * them (a file name, say).
 */
export function modelFromStateDict(sd: StateDict, options: ModelFromStateDictOptions = {}, name = 'modelFromStateDict'): Model {
  return importStateDict(sd, options, name, 'tanh');
}

const IMPORT_OPTIONS = [...PREFIX_OPTIONS, 'cell', 'nonlinearity', 'dtype'];

/** modelFromStateDict with nn.RNN's nonlinearity `nonlinearity` unless the options give one. */
function importStateDict(sd: StateDict, options: ModelFromStateDictOptions, name: string, nonlinearity: TorchNonlinearity): Model {
  checkOptions(options, IMPORT_OPTIONS, `${name}: options`);
  checkParamGroup(sd, `${name}: state_dict`);
  if (options.cell !== undefined) checkOneOf(options.cell, CELL_TYPES.filter((c) => TORCH_RECURRENT_MODULES.some((r) => r.cell === c)), `${name}: options.cell`);
  if (options.nonlinearity !== undefined) checkOneOf(options.nonlinearity, TORCH_NONLINEARITIES, `${name}: options.nonlinearity`);
  const dtype = options.dtype !== undefined ? checkDType(options.dtype, `${name}: options.dtype`) : Object.values(sd).every((t) => t.dtype === 'float32') ? 'float32' : 'float64';
  const p = prefixes(options, name);
  const k = keyNames(p);
  checkKeys(sd, k, p.prefix, name);

  const { row, H } = findModule(sd, k, options, nonlinearity, name);
  const G = gateCount(row);
  const W_ih = need(sd, k.W_ih, [G * H, 'I'], dtype, name);
  const W_hh = need(sd, k.W_hh, [G * H, H], dtype, name);
  const [b_ih, b_hh] = biasPair(sd, k, G * H, dtype, name);
  const params: ParamGroup = { W_ih, W_hh };
  if (row.bias === 'separate') Object.assign(params, { b_ih, b_hh });
  else {
    const b = Tensor.zeros([G * H], dtype);
    for (let i = 0; i < G * H; i++) b.data[i] = b_ih.data[i] + b_hh.data[i];
    params.b = b;
  }
  const cell = createCell({ type: row.cell, inputSize: W_ih.shape[1], hiddenSize: H, options: row.options, dtype, params }, `${name}: cell.`);

  const rW = need(sd, k.readoutW, ['O', H], dtype, name);
  const O = rW.shape[0];
  const readout = new Readout(H, O, dtype, { W: rW, b: take(sd, k.readoutB, [O], dtype, name) ?? Tensor.zeros([O], dtype) });

  const n = cell.stateSize;
  const sW = take(sd, k.synthW, [n, n], dtype, name);
  const sB = take(sd, k.synthB, [n], dtype, name);
  if ((sW === undefined) !== (sB === undefined)) throw new Error(`${name}: missing key ${sW ? k.synthB : k.synthW} while ${sW ? k.synthW : k.synthB} is present (give both, or neither for a zero synthesiser)`);
  const rho = sd[k.synthRho];
  let targetScale = 1;
  if (rho !== undefined) {
    if (rho.size !== 1 || rho.shape.length > 1 || !(rho.data[0] > 0) || !Number.isFinite(rho.data[0])) {
      throw new Error(`${name}: ${k.synthRho}: expected one finite number > 0 (shape [] or [1]), received shape [${rho.shape.join(', ')}]${rho.size === 1 ? ` holding ${rho.data[0]}` : ''}`);
    }
    targetScale = rho.data[0];
  }
  const synth = new Synthesiser(n, dtype, sW && sB ? { W: sW, b: sB } : undefined, targetScale);
  return new Model(cell, readout, synth);
}

/** The table row of a model's cell; throws for a cell PyTorch has no module for (errors name `at`). */
export function torchModuleOf(model: Model, at = 'torchModuleOf'): TorchRecurrentModule {
  const c = checkModel(model, `${at}: model`).cell;
  const row = TORCH_RECURRENT_MODULES.find((r) => r.cell === c.type && Object.entries(r.options).every(([o, v]) => c.options[o] === v));
  if (row) return row;
  const opts = Object.entries(c.options).map(([o, v]) => ` with ${o} ${v}`).join('');
  const kinds = TORCH_RECURRENT_MODULES.map((r) => `${r.cell}${Object.entries(r.options).map(([o, v]) => ` ${o} ${v}`).join('')} (${r.module}${r.nonlinearity ? ` nonlinearity=${r.nonlinearity}` : ''})`);
  throw new Error(`${at}: model.cell: the ${c.type} cell${opts} has no PyTorch module; expected one of: ${kinds.join(', ')}`);
}

/**
 * The state_dict of a model (layout above), tensors copied in `options.dtype` (default the
 * model's), in PyTorch's key order: the recurrent module, the readout, then (unless
 * `synthesiser: false`) the synthesiser, with `target_scale` when ρ ≠ 1. An RNN or LSTM
 * cell's bias b goes to bias_ih_l0, zeros to bias_hh_l0.
 */
export function modelToStateDict(model: Model, options: ModelToStateDictOptions = {}): StateDict {
  return exportStateDict(model, options, 'modelToStateDict');
}

/** modelToStateDict with errors naming `at`. */
function exportStateDict(model: Model, options: ModelToStateDictOptions, at: string): StateDict {
  checkModel(model, `${at}: model`);
  checkOptions(options, [...PREFIX_OPTIONS, 'synthesiser', 'dtype'], `${at}: options`);
  if (options.synthesiser !== undefined && typeof options.synthesiser !== 'boolean') throw new Error(`${at}: options.synthesiser: expected a boolean, received ${describe(options.synthesiser)}`);
  const dtype = options.dtype === undefined ? model.dtype : checkDType(options.dtype, `${at}: options.dtype`);
  const k = keyNames(prefixes(options, at));
  const row = torchModuleOf(model, at);
  const p = model.cell.params;
  const merged = row.bias === 'merged';
  const sd: StateDict = {
    [k.W_ih]: p.W_ih.as(dtype),
    [k.W_hh]: p.W_hh.as(dtype),
    [k.b_ih]: (merged ? p.b : p.b_ih).as(dtype),
    [k.b_hh]: merged ? Tensor.zeros(p.b.shape, dtype) : p.b_hh.as(dtype),
    [k.readoutW]: model.readout.params.W.as(dtype),
    [k.readoutB]: model.readout.params.b.as(dtype),
  };
  if (options.synthesiser !== false) {
    const s = model.synthesiser;
    sd[k.synthW] = s.params.W.as(dtype);
    sd[k.synthB] = s.params.b.as(dtype);
    if (s.targetScale !== 1) sd[k.synthRho] = new Tensor([], alloc(dtype, 1).fill(s.targetScale));
  }
  return sd;
}

/**
 * A state_dict from JSON: an object of key → nested arrays of finite numbers (a number for a
 * 0-d tensor), as `{k: v.tolist() for k, v in net.state_dict().items()}` gives. Values are
 * float64. Errors name the key and the offending index.
 */
export function stateDictFromJson(json: unknown, name = 'state_dict'): StateDict {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${name}: expected an object of key → nested arrays of numbers, received ${describe(json)}`);
  const out: [string, Tensor][] = [];
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    if (typeof v !== 'number' && !Array.isArray(v)) throw new Error(`${name}: ${key}: expected nested arrays of finite numbers (or a number), received ${describe(v)}`);
    const shape: number[] = [];
    for (let a = v; Array.isArray(a); a = a[0]) shape.push(a.length);
    out.push([key, new Tensor(shape, readNested(v, shape, `${name}: ${key}`))]);
  }
  return Object.fromEntries(out);
}

/** A state_dict as JSON: key → nested arrays (a number for a 0-d tensor). */
export function stateDictToJson(sd: StateDict): Record<string, unknown> {
  return Object.fromEntries(Object.entries(checkParamGroup(sd, 'stateDictToJson: state_dict')).map(([key, t]) => [key, t.toNested()]));
}

/**
 * A model from a safetensors file (bytes) holding a state_dict. nn.RNN's nonlinearity comes
 * from `options.nonlinearity`, else from the file's metadata (`"nonlinearity"`, which
 * `modelToSafetensors` writes), else tanh; the two disagreeing is an error.
 */
export function modelFromSafetensors(bytes: Uint8Array | ArrayBuffer, options: ModelFromStateDictOptions = {}, name = 'modelFromSafetensors'): Model {
  checkOptions(options, IMPORT_OPTIONS, `${name}: options`);
  const { tensors, metadata } = readSafetensors(bytes, name);
  const fromFile = metadata.nonlinearity === undefined ? 'tanh' : checkOneOf(metadata.nonlinearity, TORCH_NONLINEARITIES, `${name}: __metadata__.nonlinearity`);
  if (metadata.nonlinearity !== undefined && options.nonlinearity !== undefined && options.nonlinearity !== fromFile) {
    throw new Error(`${name}: options.nonlinearity: the file's metadata says ${JSON.stringify(fromFile)}, received ${describe(options.nonlinearity)}`);
  }
  return importStateDict(tensors, options, name, fromFile);
}

/**
 * A model as a safetensors file (its state_dict, `modelToStateDict`), with the metadata
 * `{ "format": "pt" }` that safetensors.torch writes and, for nn.RNN, `"nonlinearity"`.
 */
export function modelToSafetensors(model: Model, options: ModelToStateDictOptions = {}): Uint8Array {
  const at = 'modelToSafetensors';
  const sd = exportStateDict(model, options, at);
  const row = torchModuleOf(model, at);
  return writeSafetensors(sd, row.nonlinearity ? { format: 'pt', nonlinearity: row.nonlinearity } : { format: 'pt' });
}
