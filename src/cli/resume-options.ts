/**
 * The rule for options given with `run --resume DIR`: those that change only speed, output or
 * which entries this invocation trains (RUN_TIME_OPTIONS) may be given anew and persist in the
 * folder's run.json; every setting option may be given only with the value the run already has
 * (read back from its config by the setting itself, see Setting.read), otherwise it is refused
 * by name.
 */
import { runSettings, type RunConfig } from '../experiments/config.ts';
import { RUN_BACKENDS, type RunOptionsRecord, type Shard } from '../experiments/run-record.ts';
import type { GivenOptions } from '../experiments/spec.ts';
import { checkInt, checkOneOf } from '../validate.ts';
import { optionGiven, type ParsedArgs } from './args.ts';

/** Options that change only speed, output or which entries an invocation trains. */
export const RUN_TIME_OPTIONS = ['checkpoint-every', 'backend', 'quiet', 'jobs', 'shard'] as const;
/** Options that are not settings of the run at all. */
export const FOLDER_OPTIONS = ['out', 'resume', 'help'] as const;

const text = (v: unknown) => (Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** Refuses, by name, the first given setting option whose value is not the run's. */
export function checkResumeSettings(config: RunConfig, dir: string, given: GivenOptions): void {
  for (const s of runSettings()) {
    if (given[s.flag] === undefined) continue;
    const value = s.normalise ? s.normalise(given[s.flag]) : given[s.flag];
    const saved = s.read(config);
    if (JSON.stringify(value) !== JSON.stringify(saved)) {
      throw new Error(`run: --${s.flag} ${text(value)} differs from the run in ${dir} (${saved === undefined ? 'not set' : text(saved)}); at --resume only ${RUN_TIME_OPTIONS.map((o) => '--' + o).join(', ')} may change`);
    }
  }
}

/** `--shard i/N`: the i-th of N shards (1 ≤ i ≤ N). */
function parseShard(v: unknown): Shard {
  const m = typeof v === 'string' ? /^(\d+)\/(\d+)$/.exec(v.trim()) : null;
  const shard = m ? { index: Number(m[1]), count: Number(m[2]) } : null;
  if (!shard || shard.index < 1 || shard.index > shard.count) throw new Error(`run: --shard: expected i/N with 1 ≤ i ≤ N (run every N-th entry of the sweep, from the i-th), received ${JSON.stringify(v)}`);
  return shard;
}

/** The speed and output options of this invocation: given ones, else (at resume) the saved ones, else the defaults (--quiet: this invocation's). */
export function resolveRunOptions(opts: ParsedArgs, argv: readonly string[], saved: RunOptionsRecord | null): RunOptionsRecord {
  const given = (name: (typeof RUN_TIME_OPTIONS)[number]) => optionGiven(argv, name);
  const pick = <K extends keyof RunOptionsRecord>(name: (typeof RUN_TIME_OPTIONS)[number], key: K, parse: (v: unknown) => RunOptionsRecord[K]) => (saved && !given(name) ? saved[key] : parse(opts[name]));
  return {
    checkpointEvery: pick('checkpoint-every', 'checkpointEvery', (v) => checkInt(v, 'run: --checkpoint-every', 0)),
    backend: pick('backend', 'backend', (v) => checkOneOf(v, RUN_BACKENDS, 'run: --backend')),
    // a flag cannot be given as "off": --quiet holds for the invocation that gives it only
    quiet: opts.quiet === true,
    jobs: pick('jobs', 'jobs', (v) => checkInt(v, 'run: --jobs', 1)),
    shard: pick('shard', 'shard', (v) => (v === undefined ? null : parseShard(v))),
  };
}
