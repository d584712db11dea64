/**
 * The rule for options given with `run --resume DIR`: those that change only speed or output
 * (RUN_TIME_OPTIONS) may be given anew and persist in the checkpoints that follow; every setting
 * option may be given only with the value the run already has (read back from its checkpoint's
 * config by the setting itself, see Setting.read), otherwise it is refused by name.
 */
import type { Checkpoint, CheckpointRunOptions } from '../experiments/checkpoint.ts';
import { RUN_BACKENDS } from '../experiments/checkpoint-schema.ts';
import { runSettings } from '../experiments/config.ts';
import type { GivenOptions } from '../experiments/spec.ts';
import { checkInt, checkOneOf } from '../validate.ts';
import { optionGiven, type ParsedArgs } from './args.ts';

/** Options that change only speed or output. */
export const RUN_TIME_OPTIONS = ['checkpoint-every', 'backend', 'quiet'] as const;
/** Options that are not settings of the run at all. */
export const FOLDER_OPTIONS = ['out', 'resume', 'help'] as const;

const text = (v: unknown) => (Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** Refuses, by name, the first given setting option whose value is not the run's. */
export function checkResumeSettings(cp: Checkpoint, dir: string, given: GivenOptions): void {
  for (const s of runSettings()) {
    if (given[s.flag] === undefined) continue;
    const value = s.normalise ? s.normalise(given[s.flag]) : given[s.flag];
    const saved = s.read(cp.config);
    if (JSON.stringify(value) !== JSON.stringify(saved)) {
      throw new Error(`run: --${s.flag} ${text(value)} differs from the run in ${dir} (${saved === undefined ? 'not set' : text(saved)}); at --resume only ${RUN_TIME_OPTIONS.map((o) => '--' + o).join(', ')} may change`);
    }
  }
}

/** The speed and output options of this invocation: given ones, else (at resume) the saved ones, else the defaults. */
export function resolveRunOptions(opts: ParsedArgs, argv: readonly string[], saved: CheckpointRunOptions | null): CheckpointRunOptions {
  const pick = (name: (typeof RUN_TIME_OPTIONS)[number], key: keyof CheckpointRunOptions) => (saved && !optionGiven(argv, name) ? saved[key] : opts[name]);
  const checkpointEvery = checkInt(pick('checkpoint-every', 'checkpointEvery'), 'run: --checkpoint-every', 0);
  const backend = checkOneOf(pick('backend', 'backend'), RUN_BACKENDS, 'run: --backend');
  return { checkpointEvery, backend, quiet: pick('quiet', 'quiet') === true };
}
