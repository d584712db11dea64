import { extname } from 'node:path';
import { CELL_TYPES, type CellType } from '../cells/registry.ts';
import { modelFromJson, modelToJson } from '../io/model-json.ts';
import { parseJsonText } from '../io/nested.ts';
import {
  modelFromSafetensors,
  modelFromStateDict,
  modelToSafetensors,
  modelToStateDict,
  stateDictFromJson,
  stateDictToJson,
  TORCH_NONLINEARITIES,
  TORCH_RECURRENT_MODULES,
  gateCount,
  type ModelFromStateDictOptions,
  type StateDictPrefixes,
  type TorchNonlinearity,
} from '../io/state-dict.ts';
import type { Model } from '../model/model.ts';
import { checkDType, type DType } from '../tensor/dtype.ts';
import { checkOneOf } from '../validate.ts';
import type { OptionSpec, ParsedArgs } from './args.ts';
import { readInput } from './files.ts';

/**
 * The model files the command line reads and writes: our model JSON, a PyTorch state_dict as
 * JSON, and a state_dict as .safetensors (src/io/state-dict.ts). Which one a file holds comes
 * from its extension (.safetensors) and its content (a JSON object with a "cell" key is model
 * JSON, any other JSON object a state_dict; a file of another extension is JSON when it starts
 * with "{", else safetensors).
 */
export type ModelFormat = 'model-json' | 'state-dict-json' | 'safetensors';
export const MODEL_FORMATS: readonly ModelFormat[] = ['model-json', 'state-dict-json', 'safetensors'];

const cellsWithModule = CELL_TYPES.filter((c) => TORCH_RECURRENT_MODULES.some((r) => r.cell === c));
const modules = [...new Set(TORCH_RECURRENT_MODULES.map((r) => `${gateCount(r) === 1 ? '' : gateCount(r)}H rows: ${r.module} → ${r.cell}`))].join(', ');

/** How to read (and write) a state_dict: the options of `convert` and `predict` alike. */
export const STATE_DICT_OPTIONS: readonly OptionSpec[] = [
  { name: 'prefix', kind: 'string', default: 'rnn.', help: 'state_dict key prefix of the recurrent module ("" for none)' },
  { name: 'readout-prefix', kind: 'string', default: 'readout.', help: 'state_dict key prefix of the nn.Linear readout' },
  { name: 'synth-prefix', kind: 'string', default: 'synthesiser.', help: 'state_dict key prefix of the synthesiser' },
  { name: 'cell', kind: 'string', help: `reading a state_dict: the cell expected, ${cellsWithModule.join(' | ')} (default: from the rows of weight_hh_l0; ${modules})` },
  { name: 'nonlinearity', kind: 'string', help: `reading an nn.RNN state_dict: ${TORCH_NONLINEARITIES.join(' | ')} (default: the safetensors metadata written by convert, else tanh)` },
  { name: 'dtype', kind: 'string', help: 'the model\'s element type, float64 | float32 (default: the file\'s; float64 for JSON)' },
];

/** The prefixes and state_dict reading options of parsed arguments. */
export function stateDictOptions(opts: ParsedArgs, command: string): ModelFromStateDictOptions & StateDictPrefixes & { dtype?: DType } {
  return {
    prefix: opts.prefix as string,
    readoutPrefix: opts['readout-prefix'] as string,
    synthesiserPrefix: opts['synth-prefix'] as string,
    ...(opts.cell !== undefined ? { cell: checkOneOf(opts.cell, cellsWithModule, `${command}: --cell`) as CellType } : {}),
    ...(opts.nonlinearity !== undefined ? { nonlinearity: checkOneOf(opts.nonlinearity, TORCH_NONLINEARITIES, `${command}: --nonlinearity`) as TorchNonlinearity } : {}),
    ...(opts.dtype !== undefined ? { dtype: checkDType(opts.dtype, `${command}: --dtype`) } : {}),
  };
}

/** A batch JSON object ({ x, y, loss, lengths? } or inputs only { x }): what a model option must not be given. */
function isBatchJson(json: unknown): boolean {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  const keys = Object.keys(json);
  return keys.includes('x') && keys.every((k) => ['x', 'y', 'loss', 'lengths'].includes(k));
}

/** Which format a file holds, from its extension and its bytes; JSON is returned parsed. */
function sniff(path: string, bytes: Buffer, label: string): { format: ModelFormat; json?: unknown } {
  const ext = extname(path).toLowerCase();
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (ext === '.safetensors' || (ext !== '.json' && first !== 0x7b)) return { format: 'safetensors' };
  const json = parseJsonText(bytes.toString('utf8'), label);
  const isModel = json !== null && typeof json === 'object' && !Array.isArray(json) && 'cell' in json;
  if (!isModel && isBatchJson(json)) throw new Error(`${label}: this is a batch JSON (keys ${Object.keys(json as object).join(', ')}), not a model: give a model JSON, a state_dict JSON or a .safetensors file`);
  return { format: isModel ? 'model-json' : 'state-dict-json', json };
}

/**
 * Reads a model from a file of any of the three formats. `label` prefixes the errors (e.g.
 * "--model m.safetensors"); `options` are those of STATE_DICT_OPTIONS.
 */
export function readModelFile(path: string, label: string, options: ModelFromStateDictOptions): { model: Model; format: ModelFormat } {
  const bytes = readInput(path, label);
  const { format, json } = sniff(path, bytes, label);
  if (format === 'model-json') {
    for (const [k, v] of [['cell', options.cell], ['nonlinearity', options.nonlinearity]] as const) {
      if (v !== undefined) throw new Error(`${label}: --${k} applies to a state_dict, and this file is model JSON (its cell says what it is)`);
    }
    return { model: modelFromJson(json, options.dtype ?? 'float64', label), format };
  }
  if (format === 'safetensors') return { model: modelFromSafetensors(bytes, options, label), format };
  return { model: modelFromStateDict(stateDictFromJson(json, label), options, label), format };
}

/** A model in one of the three formats, as the bytes or text of a file. */
export function modelFileContent(model: Model, format: ModelFormat, options: StateDictPrefixes & { synthesiser?: boolean }): string | Uint8Array {
  if (format === 'model-json') return JSON.stringify(modelToJson(model)) + '\n';
  if (format === 'safetensors') return modelToSafetensors(model, options);
  return JSON.stringify(stateDictToJson(modelToStateDict(model, options))) + '\n';
}
