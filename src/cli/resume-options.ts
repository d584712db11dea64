/**
 * The rule for options given with `run --resume DIR`: those that change only speed or output
 * (RUN_TIME_OPTIONS) may be given anew and persist in the checkpoints that follow; every other
 * option may be given only with the value the run already has (in its checkpoint's config),
 * otherwise it is refused by name.
 */
import type { Checkpoint, CheckpointRunOptions } from '../experiments/checkpoint.ts';
import { RUN_BACKENDS } from '../experiments/checkpoint-schema.ts';
import type { RunConfig } from '../experiments/config.ts';
import { checkOneOf } from '../validate.ts';
import { optionGiven, type ParsedArgs } from './args.ts';

/** Options that change only speed or output. */
export const RUN_TIME_OPTIONS = ['checkpoint-every', 'backend', 'quiet'] as const;
/** Options that are not settings of the run at all. */
export const FOLDER_OPTIONS = ['out', 'resume', 'help'] as const;

type Setting = { saved: (c: RunConfig) => unknown; given?: (v: unknown) => unknown };

/** Each setting option as the run's config records it (in the option's own terms). */
export const SETTING_MATCHERS: Record<string, Setting> = {
  method: { saved: (c) => c.methods, given: (v) => String(v).split(',').map((m) => m.trim()) },
  lambda: { saved: (c) => c.lambdas },
  gamma: { saved: (c) => c.gamma },
  truncation: { saved: (c) => c.truncation },
  'sg-scale': { saved: (c) => c.sgScale },
  regime: { saved: (c) => c.regime },
  computation: { saved: (c) => c.computation },
  'trace-window': { saved: (c) => c.traceWindow },
  cell: { saved: (c) => c.cell },
  hidden: { saved: (c) => c.hidden },
  batch: { saved: (c) => c.batch },
  steps: { saved: (c) => c.steps },
  gain: { saved: (c) => c.gain },
  activation: { saved: (c) => c.activation },
  'fixed-rnn': { saved: (c) => !c.plastic },
  plastic: { saved: (c) => c.plastic },
  pairs: { saved: (c) => c.pairs },
  lr: { saved: (c) => (c.lr.cell === c.lr.readout ? c.lr.cell : c.lr) },
  'synth-lr': { saved: (c) => c.lr.synthesiser },
  epochs: { saved: (c) => c.batches / c.batchesPerEpoch },
  batches: { saved: (c) => c.batches },
  'eval-every': { saved: (c) => c.evalEvery },
  'eval-batch': { saved: (c) => c.evalBatch },
  data: { saved: (c) => c.data },
  'train-subset': { saved: (c) => c.trainSubset },
  'val-subset': { saved: (c) => c.valSubset },
  'test-subset': { saved: (c) => c.testSubset },
  threshold: { saved: (c) => c.threshold },
  seed: { saved: (c) => (c.seeds.length === 1 ? c.seeds[0] : c.seeds) },
  seeds: { saved: (c) => c.seeds },
};

const text = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

/** Refuses, by name, the first given setting option whose value is not the run's. */
export function checkResumeSettings(cp: Checkpoint, dir: string, opts: ParsedArgs, argv: readonly string[]): void {
  for (const [name, m] of Object.entries(SETTING_MATCHERS)) {
    if (!optionGiven(argv, name)) continue;
    const given = m.given ? m.given(opts[name]) : opts[name];
    const saved = m.saved(cp.config);
    if (JSON.stringify(given) !== JSON.stringify(saved)) {
      throw new Error(`run: --${name} ${text(given)} differs from the run in ${dir} (${text(saved)}); at --resume only ${RUN_TIME_OPTIONS.map((o) => '--' + o).join(', ')} may change`);
    }
  }
}

/** The speed and output options of this invocation: given ones, else (at resume) the saved ones, else the defaults. */
export function resolveRunOptions(opts: ParsedArgs, argv: readonly string[], saved: CheckpointRunOptions | null): CheckpointRunOptions {
  const pick = (name: (typeof RUN_TIME_OPTIONS)[number], key: keyof CheckpointRunOptions) => (saved && !optionGiven(argv, name) ? saved[key] : opts[name]);
  const checkpointEvery = pick('checkpoint-every', 'checkpointEvery') as number;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 0) throw new Error(`run: --checkpoint-every: expected an integer ≥ 0, received ${checkpointEvery}`);
  const backend = checkOneOf(pick('backend', 'backend'), RUN_BACKENDS, 'run: --backend');
  return { checkpointEvery, backend, quiet: pick('quiet', 'quiet') === true };
}
