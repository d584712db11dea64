import { extname } from 'node:path';
import { torchModuleOf } from '../io/state-dict.ts';
import { checkOneOf } from '../validate.ts';
import { parseCommand, type OptionSpec } from './args.ts';
import { samePath, writeOutput } from './files.ts';
import { MODEL_FORMATS, modelFileContent, readModelFile, STATE_DICT_OPTIONS, stateDictOptions, type ModelFormat } from './model-file.ts';

export const CONVERT_OPTIONS: readonly OptionSpec[] = [
  { name: 'from', kind: 'string', help: 'the model to read: model JSON, state_dict JSON or .safetensors (told apart by extension and content)' },
  { name: 'to', kind: 'string', help: 'the file to write (atomically)' },
  { name: 'to-format', kind: 'string', help: `${MODEL_FORMATS.join(' | ')} (default: .safetensors by extension; .json: state-dict-json from model JSON, model-json from a state_dict)` },
  ...STATE_DICT_OPTIONS,
  { name: 'no-synthesiser', kind: 'flag', help: 'writing a state_dict: leave out the synthesiser keys (so that PyTorch\'s strict load_state_dict accepts the file)' },
  { name: 'help', kind: 'flag', help: 'show this help' },
];

const SUMMARY =
  'Converts a model between our model JSON and a PyTorch state_dict (JSON, or .safetensors) of a\n' +
  'single-layer nn.RNN / nn.LSTM / nn.GRU plus an nn.Linear readout. The RNN and LSTM biases are\n' +
  'merged on import (b = b_ih + b_hh) and exported as bias_ih_l0 with zeros in bias_hh_l0. See\n' +
  'README "PyTorch interchange".';

/**
 * The format to write: --to-format, else by the extension of --to (and, for .json, the other
 * family than the input's). A --to-format that contradicts a .json or .safetensors extension is
 * refused (the file would not be read back as what its name says).
 */
function outputFormat(to: string, given: unknown, input: ModelFormat): ModelFormat {
  const ext = extname(to).toLowerCase();
  if (given !== undefined) {
    const format = checkOneOf(given, MODEL_FORMATS, 'convert: --to-format');
    const json = format !== 'safetensors';
    if ((ext === '.json' && !json) || (ext === '.safetensors' && json)) {
      throw new Error(`convert: --to-format ${format} disagrees with --to ${to}: a ${ext} file holds ${ext === '.json' ? 'JSON (model-json or state-dict-json)' : 'safetensors'}; give --to a ${json ? '.json' : '.safetensors'} name, or another --to-format`);
    }
    return format;
  }
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.json') return input === 'model-json' ? 'state-dict-json' : 'model-json';
  throw new Error(`convert: --to ${to}: cannot tell the format from the extension ${JSON.stringify(ext)} (expected .json or .safetensors); give --to-format ${MODEL_FORMATS.join(' | ')}`);
}

/** Runs `bp-lambda convert`. */
export function runConvert(argv: readonly string[], write: (text: string) => void): void {
  const opts = parseCommand(argv, CONVERT_OPTIONS, 'convert', { synopsis: 'bp-lambda convert --from FILE --to FILE [options]', summary: SUMMARY, required: ['from', 'to'] }, write);
  if (opts === null) return;
  const from = opts.from as string;
  const to = opts.to as string;
  if (samePath(from, to)) throw new Error(`convert: --to ${to} is the --from file: writing there would replace the input; give another --to`);
  const options = stateDictOptions(opts, 'convert');
  if (opts['to-format'] !== undefined) checkOneOf(opts['to-format'], MODEL_FORMATS, 'convert: --to-format');
  const { model, format } = readModelFile(from, `--from ${from}`, options);
  const target = outputFormat(to, opts['to-format'], format);
  writeOutput(to, modelFileContent(model, target, { ...options, synthesiser: !opts['no-synthesiser'] }), 'convert: --to');
  const nonlinearity = target === 'state-dict-json' ? torchModuleOf(model).nonlinearity : null;
  if (nonlinearity && nonlinearity !== 'tanh') process.stderr.write(`convert: note: a state_dict JSON does not record nn.RNN's nonlinearity: read ${to} back with --nonlinearity ${nonlinearity}\n`);
}
