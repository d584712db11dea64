import { batchFromJsonText } from '../io/batch-json.ts';
import { gradsToJson } from '../io/grads-json.ts';
import { modelFromJsonText } from '../io/model-json.ts';
import { writeFileAtomicSync } from '../io/atomic.ts';
import { CELL_TYPES } from '../cells/registry.ts';
import { createLearner, METHODS, trainSequence, type Method } from '../learners/index.ts';
import { TRACE_COMPUTATIONS } from '../learners/eligibility-trace.ts';
import { checkOneOf, checkUnit } from '../validate.ts';
import { parseCommand, type OptionSpec } from './args.ts';
import { readInput, samePath } from './files.ts';

export const GRADS_OPTIONS: readonly OptionSpec[] = [
  { name: 'model', kind: 'string', help: `model JSON file (PyTorch layout; cell type ${CELL_TYPES.join(' | ')})` },
  { name: 'batch', kind: 'string', help: 'batch JSON file' },
  { name: 'method', kind: 'string', help: `one of ${METHODS.join(' | ')}` },
  { name: 'lambda', kind: 'number', default: 1, help: 'λ in [0, 1] (bp-lambda, lambda-sg)' },
  { name: 'gamma', kind: 'number', default: 1, help: 'γ in [0, 1] (sg, bp-lambda, lambda-sg)' },
  { name: 'truncation', kind: 'int', help: 'window length n ≥ 1 (tbptt, sg; required there)' },
  { name: 'sg-scale', kind: 'number', default: 1, help: 'σ, scale of the synthetic gradient reaching the cell' },
  { name: 'computation', kind: 'string', help: 'bp-lambda, rtrl: traces | blocked (the eligibility trace or influence matrix; default traces)' },
  { name: 'trace-window', kind: 'int', help: '--computation blocked: K, steps between folds (default: the state size n)' },
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
  const method = checkOneOf(opts.method, METHODS, 'grads: --method') as Method;
  const lambda = checkUnit(opts.lambda, 'grads: --lambda');
  const gamma = checkUnit(opts.gamma, 'grads: --gamma');
  const sgScale = opts['sg-scale'] as number;
  const truncation = opts.truncation as number | undefined;
  if ((method === 'tbptt' || method === 'sg') && truncation === undefined) throw new Error(`grads: --truncation is required for --method ${method}`);
  if (truncation !== undefined && truncation < 1) throw new Error(`grads: --truncation: expected an integer ≥ 1, received ${truncation}`);
  if (truncation !== undefined && method !== 'tbptt' && method !== 'sg') throw new Error(`grads: --truncation applies to tbptt and sg only, not to ${method}`);

  const computation = opts.computation === undefined ? undefined : checkOneOf(opts.computation, TRACE_COMPUTATIONS, 'grads: --computation');
  if (computation !== undefined && method !== 'bp-lambda' && method !== 'rtrl') throw new Error(`grads: --computation applies to bp-lambda and rtrl only, not to ${method}`);
  const traceWindow = opts['trace-window'] as number | undefined;
  if (traceWindow !== undefined && computation !== 'blocked') throw new Error('grads: --trace-window applies to --computation blocked only');
  if (opts.out !== undefined) for (const input of ['model', 'batch'] as const) if (samePath(opts.out as string, opts[input] as string)) throw new Error(`grads: --out ${opts.out} is the --${input} file: writing the gradients there would replace the input; give another --out`);

  const model = modelFromJsonText(readText(opts.model as string, 'model'), 'float64', `--model ${opts.model}`);
  const batch = batchFromJsonText(readText(opts.batch as string, 'batch'), 'float64', `--batch ${opts.batch}`);
  if (batch.inputSize !== model.inputSize) throw new Error(`grads: --batch: x has ${batch.inputSize} inputs per example, the model expects inputSize ${model.inputSize}`);
  if (batch.outputSize !== model.outputSize) throw new Error(`grads: --batch: y has ${batch.outputSize} outputs per example, the model's readout has ${model.outputSize}`);

  const loss = batch.loss;
  const blocked = { ...(computation ? { computation } : {}), ...(traceWindow !== undefined ? { traceWindow } : {}) };
  const learner =
    method === 'rtrl'
      ? createLearner(method, model, { loss, ...blocked })
      : method === 'bptt'
        ? createLearner(method, model, { loss })
      : method === 'tbptt'
        ? createLearner('tbptt', model, { loss, truncation: truncation! })
        : method === 'sg'
          ? createLearner('sg', model, { loss, truncation: truncation!, gamma, sgScale })
          : method === 'bp-lambda'
            ? createLearner(method, model, { loss, lambda, gamma, sgScale, regime: 'per-sequence', recordOutputs: true, ...blocked })
            : createLearner(method, model, { loss, lambda, gamma, sgScale });
  const result = trainSequence(learner, batch);
  const json = gradsToJson({
    model,
    grads: result.grads,
    loss: result.loss,
    batch: batch.B,
    includeSynthesiser: method === 'sg' || method === 'bp-lambda' || method === 'lambda-sg',
    stateGrads: result.stateGrads,
    syntheticGrads: result.syntheticGrads,
  });
  const text = JSON.stringify(json) + '\n';
  if (opts.out !== undefined) writeFileAtomicSync(opts.out as string, text);
  else write(text);
}
