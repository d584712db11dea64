import { batchFromJsonText } from '../io/batch-json.ts';
import { gradsToJson } from '../io/grads-json.ts';
import { modelFromJsonText } from '../io/model-json.ts';
import { CELL_TYPES } from '../cells/registry.ts';
import { trainSequence } from '../learners/index.ts';
import { allMethodSettings, METHOD_NAMES, METHOD_SPECS, methodSpec } from '../experiments/methods/index.ts';
import type { MethodSetting } from '../experiments/spec.ts';
import { optionGiven, parseCommand, type OptionSpec } from './args.ts';
import { readInput, samePath, writeOutput } from './files.ts';

/**
 * The method settings `grads` takes (each method spec's, but those of training only), with
 * the values it uses where one is not given: one λ of 1, γ = 1, σ = 1, the trace computation,
 * no clip. A setting without a value here (the truncation) is required by the methods that take it.
 */
const GRADS_SETTINGS: readonly MethodSetting[] = allMethodSettings().filter((s) => !s.trainingOnly);
const GRADS_DEFAULTS: Readonly<Record<string, unknown>> = { lambdas: [1], gamma: 1, sgScale: 1, computation: 'traces', traceWindow: null, synthClip: null };
/** grads holds the parameters fixed: when the optimizer would step does not matter. */
const FIXED: Readonly<Record<string, unknown>> = { regime: 'per-sequence' };
/** grads computes one batch with one setting: its help says so where run's takes a list. */
const GRADS_HELP: Readonly<Record<string, string>> = { lambdas: 'one λ in [0, 1]' };

const takenBy = (s: MethodSetting) => METHOD_SPECS.filter((m) => m.settings.includes(s)).map((m) => m.name);

const GRADS_OPTIONS: readonly OptionSpec[] = [
  { name: 'model', kind: 'string', help: `model JSON file (PyTorch layout; cell type ${CELL_TYPES.join(' | ')}; the synthesiser's target scale ρ is the model's)` },
  { name: 'batch', kind: 'string', help: 'batch JSON file' },
  { name: 'method', kind: 'string', help: `one of ${METHOD_NAMES.join(' | ')}` },
  ...GRADS_SETTINGS.map((s): OptionSpec => {
    const d = GRADS_DEFAULTS[s.key];
    const help = `${takenBy(s).join(', ')}: ${GRADS_HELP[s.key] ?? s.help}${d === undefined ? ' (required there)' : ''}`;
    return { name: s.flag, kind: s.kind, help, ...(GRADS_HELP[s.key] !== undefined ? { value: 'number' } : {}), ...(d !== undefined && d !== null ? { default: d as OptionSpec['default'] } : {}) };
  }),
  { name: 'out', kind: 'string', help: 'write the gradients JSON here (atomically) instead of standard output' },
  { name: 'help', kind: 'flag', help: 'show this help' },
];

const SUMMARY =
  'Writes the gradients JSON of one batch with all parameters held fixed (bp-lambda: the per-step\n' +
  'updates summed over the sequence, the last step terminal). See README "Interchange formats".';

function readText(path: string, what: string): string {
  return readInput(path, `grads: --${what}`).toString('utf8');
}

/** Runs `bp-lambda grads`; returns the text written (for tests) or the help text. */
export function runGrads(argv: readonly string[], write: (text: string) => void): void {
  const opts = parseCommand(argv, GRADS_OPTIONS, 'grads', { synopsis: 'bp-lambda grads --model M.json --batch B.json --method METHOD [options]', summary: SUMMARY, required: ['model', 'batch', 'method'] }, write);
  if (opts === null) return;
  const spec = methodSpec(opts.method, 'grads: --method');
  // the method's settings from the options (given, else grads' defaults); the others may not be given
  const settings: Record<string, unknown> = { ...FIXED };
  for (const s of GRADS_SETTINGS) {
    const given = optionGiven(argv, s.flag);
    if (!spec.settings.includes(s)) {
      if (given) throw new Error(`grads: --${s.flag} applies to ${takenBy(s).join(', ')} only, not to ${spec.name}`);
      continue;
    }
    if (!given && GRADS_DEFAULTS[s.key] === undefined) throw new Error(`grads: --${s.flag} is required for --method ${spec.name}`);
    settings[s.key] = given ? s.fromOption(opts[s.flag], `grads: --${s.flag}`) : GRADS_DEFAULTS[s.key];
  }
  spec.check?.(settings, 'grads');
  const variants = spec.variants?.(settings) ?? [{}];
  if (variants.length !== 1) throw new Error(`grads: one batch, one computation: these options make ${variants.length} (${variants.map((v) => spec.label(settings, v)).join(', ')}); give one value of each list`);
  if (opts.out !== undefined) for (const input of ['model', 'batch'] as const) if (samePath(opts.out as string, opts[input] as string)) throw new Error(`grads: --out ${opts.out} is the --${input} file: writing the gradients there would replace the input; give another --out`);

  const model = modelFromJsonText(readText(opts.model as string, 'model'), 'float64', `--model ${opts.model}`);
  const batch = batchFromJsonText(readText(opts.batch as string, 'batch'), 'float64', `--batch ${opts.batch}`);
  if (batch.inputSize !== model.inputSize) throw new Error(`grads: --batch: x has ${batch.inputSize} inputs per example, the model expects inputSize ${model.inputSize}`);
  if (batch.outputSize !== model.outputSize) throw new Error(`grads: --batch: y has ${batch.outputSize} outputs per example, the model's readout has ${model.outputSize}`);

  // ρ is the model's own (setting it again changes nothing)
  settings.targetScale = model.synthesiser.targetScale;
  const learner = spec.createLearner(model, { loss: batch.loss, recordOutputs: true }, settings, variants[0]);
  const result = trainSequence(learner, batch);
  const json = gradsToJson({
    model,
    grads: result.grads,
    loss: result.loss,
    batch: batch.B,
    includeSynthesiser: spec.synthesiser,
    stateGrads: result.stateGrads,
    syntheticGrads: result.syntheticGrads,
  });
  const text = JSON.stringify(json) + '\n';
  if (opts.out !== undefined) writeOutput(opts.out as string, text, 'grads: --out');
  else write(text);
}
