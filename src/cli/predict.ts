import { LOSS_KINDS } from '../data/batch.ts';
import { predict } from '../inference.ts';
import { checkOneOf } from '../validate.ts';
import { batchFromJson, sequenceWithLengths } from '../io/batch-json.ts';
import { expectObject, parseJsonText, toNestedArray } from '../io/nested.ts';
import { parseCommand, type OptionSpec } from './args.ts';
import { readInput, samePath, writeOutput } from './files.ts';
import { readModelFile, STATE_DICT_OPTIONS, stateDictOptions } from './model-file.ts';

export const PREDICT_OPTIONS: readonly OptionSpec[] = [
  { name: 'model', kind: 'string', help: 'the model: model JSON, state_dict JSON or .safetensors (as convert reads them)' },
  { name: 'input', kind: 'string', help: 'batch JSON { "x": [T][B][I], "lengths"?: [B] } ("y" and "loss" are optional: y needs loss, and the whole batch is then checked; a loss alone is checked, not used); past its length an example holds its last state and output' },
  { name: 'out', kind: 'string', help: 'write the predictions here (atomically) instead of standard output' },
  ...STATE_DICT_OPTIONS,
  { name: 'help', kind: 'flag', help: 'show this help' },
];

const SUMMARY =
  'Runs the model over the input sequences from a zero state and writes\n' +
  '{ "outputs": [T][B][O], "states": [T][B][n] }: the readout ŷ_t and the state s_t at every step\n' +
  '(n = H; for the LSTM n = 2H, s_t = [h_t; c_t]). See README "PyTorch interchange".';

/** Runs `bp-lambda predict`. */
export function runPredict(argv: readonly string[], write: (text: string) => void): void {
  const opts = parseCommand(argv, PREDICT_OPTIONS, 'predict', { synopsis: 'bp-lambda predict --model FILE --input X.json [--out FILE] [options]', summary: SUMMARY, required: ['model', 'input'] }, write);
  if (opts === null) return;
  if (opts.out !== undefined) for (const input of ['model', 'input'] as const) if (samePath(opts.out as string, opts[input] as string)) throw new Error(`predict: --out ${opts.out} is the --${input} file: writing the predictions there would replace the input; give another --out`);
  const { model } = readModelFile(opts.model as string, `--model ${opts.model}`, stateDictOptions(opts, 'predict'));
  const label = `--input ${opts.input}`;
  const json = parseJsonText(readInput(opts.input as string, 'predict: --input').toString('utf8'), label);
  const root = expectObject(json, label, { required: ['x'], optional: ['y', 'loss', 'lengths'] });
  // y needs its loss (the targets are checked against it); a loss alone is checked and not used
  if ('y' in root && !('loss' in root)) throw new Error(`predict: ${label}: loss: expected ${LOSS_KINDS.map((l) => JSON.stringify(l)).join(' | ')} with y (its targets are checked against the loss), received none; or leave y out: predict needs x only`);
  if ('loss' in root) checkOneOf(root.loss, LOSS_KINDS, `predict: ${label}: loss`);
  const seq = 'y' in root ? batchFromJson(json, model.dtype, label) : sequenceWithLengths(root, label, model.dtype);
  if (seq.inputSize !== model.inputSize) throw new Error(`predict: ${label}: x has ${seq.inputSize} inputs per example, the model expects inputSize ${model.inputSize}`);
  if ('outputSize' in seq && seq.outputSize !== model.outputSize) throw new Error(`predict: ${label}: y has ${seq.outputSize} outputs per example, the model's readout has ${model.outputSize}`);
  const { outputs, states } = predict(model, seq.x, { states: true, ...(seq.lengths ? { lengths: seq.lengths } : {}) });
  const text = JSON.stringify({ outputs: outputs.map((y) => toNestedArray(y, [seq.B, model.outputSize])), states: states!.map((s) => toNestedArray(s, [seq.B, model.stateSize])) }) + '\n';
  if (opts.out !== undefined) writeOutput(opts.out as string, text, 'predict: --out');
  else write(text);
}
