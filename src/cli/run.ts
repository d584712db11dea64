import { resolve as resolvePath } from 'node:path';
import { loadCheckpoint, type Checkpoint, type CheckpointRunOptions } from '../experiments/checkpoint.ts';
import { COMMON_SETTINGS, resolveRunConfig, type RunConfig } from '../experiments/config.ts';
import { allMethodSettings, METHOD_NAMES, METHOD_SPECS } from '../experiments/methods/index.ts';
import { runExperiment } from '../experiments/runner.ts';
import type { GivenOptions, MethodSetting, Setting } from '../experiments/spec.ts';
import type { Summary } from '../experiments/summary.ts';
import { allTaskOptions, TASK_NAMES, TASK_SPECS, taskSpec } from '../experiments/tasks/index.ts';
import { useBackend } from '../backends.ts';
import { getBackend, setBackend } from '../tensor/ops.ts';
import { optionGiven, parseArgs, usage, type OptionSpec, type ParsedArgs } from './args.ts';
import { checkResumeSettings, FOLDER_OPTIONS, resolveRunOptions, RUN_TIME_OPTIONS } from './resume-options.ts';

const text = (v: unknown) => (Array.isArray(v) ? v.join(',') : String(v));

/**
 * Each task's default of a setting, as "(default: toy, line-draw 30; copy-repeat 100)": the value
 * a run of that task gets when the option is not given (method settings: with every method).
 */
function defaultsText(setting: Setting, tasks: readonly string[]): string {
  const byValue = new Map<string, string[]>();
  for (const t of tasks) {
    const config = defaultConfig(t, METHOD_SPECS.some((m) => m.settings.includes(setting as MethodSetting)));
    const v = setting.read(config);
    if (v === undefined || typeof v === 'boolean') continue;
    const m = setting as MethodSetting;
    const shown = m.format ? m.format(config.methodSettings[m.key]) : text(v);
    byValue.set(shown, [...(byValue.get(shown) ?? []), t]);
  }
  if (byValue.size === 0) return '';
  if (byValue.size === 1 && [...byValue.values()][0].length === tasks.length) return ` (default: ${[...byValue.keys()][0]})`;
  return ` (default: ${[...byValue].map(([v, ts]) => `${ts.join(', ')} ${v}`).join('; ')})`;
}

const defaults = new Map<string, RunConfig>();
/** The config a task runs with when no option is given (`allMethods`: with every method, for their settings). */
function defaultConfig(task: string, allMethods: boolean): RunConfig {
  const key = `${task} ${allMethods}`;
  if (!defaults.has(key)) defaults.set(key, resolveRunConfig(task, allMethods ? { method: METHOD_NAMES.join(',') } : {}));
  return defaults.get(key)!;
}

const option = (s: Setting, help: string): OptionSpec => ({ name: s.flag, kind: s.kind, help });

/** The options of `run`: its settings (common, each task's, each method's), then speed/output and folder options. */
export const RUN_OPTIONS: readonly OptionSpec[] = [
  ...COMMON_SETTINGS.map((s) => option(s, s.help + defaultsText(s, TASK_NAMES))),
  ...allTaskOptions().map(({ setting, tasks }) => option(setting, `${tasks.join(', ')}: ${setting.help}${defaultsText(setting, tasks)}`)),
  ...allMethodSettings().map((s) => option(s, `${METHOD_SPECS.filter((m) => m.settings.includes(s)).map((m) => m.name).join(', ')}: ${s.help}${defaultsText(s, TASK_NAMES)}`)),
  { name: 'out', kind: 'string', help: 'run folder for log.jsonl, summary.json, *.svg, checkpoint.json (default: runs/TASK)' },
  { name: 'resume', kind: 'string', help: 'continue the run in this folder from its checkpoint (settings come from the checkpoint)' },
  { name: 'checkpoint-every', kind: 'int', default: 100, help: 'write DIR/checkpoint.json atomically every this many batches' },
  { name: 'backend', kind: 'string', default: 'auto', help: 'kernels: auto (wasm where WebAssembly SIMD runs, else js) | js | wasm | workers (float64 results are bit-identical; wasm and workers run the O(n⁴) traces several times faster than js)' },
  { name: 'quiet', kind: 'flag', help: 'print only the final table (no start line, duration estimate or per-evaluation lines)' },
  { name: 'help', kind: 'flag', help: 'show this help' },
];

const SUMMARY = [
  'Trains on one of the paper\'s experiments and writes DIR/log.jsonl (one line per evaluation),',
  'DIR/summary.json and SVG plots. List-valued options (--method, --lambda, --seeds) run one after',
  'another into the same folder. Adam with β = (0.9, 0.98), ε = 1e-9 (the paper\'s code).',
  'Each option gives its default, per task where the tasks differ (shared/spec/TASKS.md).',
  'Prints a start line (what runs, the backend, a duration estimate from timing two batches of each',
  'method and λ) and one line per evaluation, to a terminal or not; on a terminal, also a live',
  'progress line on stderr.',
  '',
  'Tasks:',
  ...TASK_SPECS.map((t) => `  ${t.name.padEnd(13)}${t.summary}`),
  'Methods:',
  ...METHOD_SPECS.map((m) => `  ${m.name.padEnd(13)}${m.summary}`),
].join('\n');

/** The setting options given in `argv` (only those given, not the parser's defaults). */
function givenSettings(opts: ParsedArgs, argv: readonly string[]): GivenOptions {
  const out: Record<string, ParsedArgs[string]> = {};
  for (const o of RUN_OPTIONS) {
    if ((RUN_TIME_OPTIONS as readonly string[]).includes(o.name) || (FOLDER_OPTIONS as readonly string[]).includes(o.name)) continue;
    if (optionGiven(argv, o.name)) out[o.name] = opts[o.name];
  }
  return out;
}

/** Builds the run settings from the parsed options; every error names the option. */
export function resolveRunConfigFromArgs(task: string, opts: ParsedArgs, argv: readonly string[]): RunConfig {
  return resolveRunConfig(task, givenSettings(opts, argv));
}

function f(v: number | undefined | null, digits = 3): string {
  return v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

/** The final table printed by `run` (one row per method/λ group; mean ± sd over seeds). */
function summaryTable(s: Summary): string {
  const pm = (m: { mean: number; sd: number; n: number } | null | undefined, dg = 3) => (m ? (m.n > 1 ? `${f(m.mean, dg)} ± ${f(m.sd, dg)}` : f(m.mean, dg)) : '–');
  const metrics = taskSpec(s.task).report.metrics;
  const head = ['group', 'seeds', 'final loss', 'alignment (mean over t)', 'alignment (whole)', ...metrics.map((m) => m.label), 'seconds'];
  const rows = s.groups.map((g) => [g.group, String(g.seeds.length), pm(g.finalLoss, 4), pm(g.alignmentMean), pm(g.alignmentWhole), ...metrics.map((m) => pm(g.metrics[m.key], m.digits)), pm(g.seconds, 1)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/** Runs `bp-lambda run`. */
export async function runRun(argv: readonly string[], write: (text: string) => void): Promise<void> {
  const { opts, positional } = parseArgs(argv, RUN_OPTIONS, 'run');
  if (opts.help) {
    write(usage(`bp-lambda run <${TASK_NAMES.join('|')}> [options]`, SUMMARY, RUN_OPTIONS) + '\n');
    return;
  }
  if (positional.length > 1) throw new Error(`run: unexpected argument ${JSON.stringify(positional[1])}`);
  const resume = opts.resume !== undefined ? checkpointToResume(opts, positional, argv) : null;
  const runOptions = resolveRunOptions(opts, argv, resume ? resume.runOptions : null);
  const print = runOptions.quiet ? undefined : (line: string) => write(line + '\n');
  // auto: the wasm backend, which is the pure-JS one where WebAssembly SIMD is unavailable
  const previous = runOptions.backend === 'js' ? null : await useBackend(runOptions.backend === 'auto' ? 'wasm' : runOptions.backend);
  try {
    write(summaryTable(await runOrResume(opts, positional, argv, resume, runOptions, print)));
  } finally {
    if (previous) {
      const active = getBackend() as { dispose?: () => void };
      setBackend(previous);
      active.dispose?.();
    }
  }
}

/** The checkpoint of `--resume DIR`, checked against the options given with it. */
function checkpointToResume(opts: ParsedArgs, positional: string[], argv: readonly string[]): Checkpoint {
  const dir = opts.resume as string;
  if (opts.out !== undefined && resolvePath(opts.out as string) !== resolvePath(dir)) throw new Error('run: --resume continues in its own folder; --out must be the same folder or absent');
  const cp = loadCheckpoint(dir);
  if (positional.length && positional[0] !== cp.config.task) throw new Error(`run: the checkpoint in ${dir} is a ${cp.config.task} run, not ${positional[0]}`);
  checkResumeSettings(cp, dir, givenSettings(opts, argv));
  return cp;
}

async function runOrResume(opts: ParsedArgs, positional: string[], argv: readonly string[], resume: Checkpoint | null, runOptions: CheckpointRunOptions, print: ((line: string) => void) | undefined): Promise<Summary> {
  const { checkpointEvery, backend, quiet } = runOptions;
  if (resume) {
    const dir = opts.resume as string;
    print?.(`resuming ${resume.config.task} in ${dir} at sweep entry ${resume.entry + 1}, batch ${resume.batch}`);
    return runExperiment(resume.config, { out: dir, checkpointEvery, backend, quiet, resume, print });
  }
  if (positional.length === 0) throw new Error(`run: expected a task (${TASK_NAMES.join(', ')}); see bp-lambda run --help`);
  const task = positional[0];
  if (!TASK_NAMES.includes(task)) throw new Error(`run: unknown task ${JSON.stringify(task)} (known: ${TASK_NAMES.join(', ')})`);
  const config = resolveRunConfigFromArgs(task, opts, argv);
  const out = (opts.out as string | undefined) ?? `runs/${task}`;
  return runExperiment(config, { out, checkpointEvery, backend, quiet, print });
}
