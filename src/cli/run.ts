import { resolve as resolvePath } from 'node:path';
import { COMMON_SETTINGS, resolveRunConfig, type RunConfig } from '../experiments/config.ts';
import { allMethodSettings, METHOD_NAMES, METHOD_SPECS, methodSpec } from '../experiments/methods/index.ts';
import { runExperiment } from '../experiments/runner.ts';
import { loadRunRecord, type RunOptionsRecord, type RunRecord } from '../experiments/run-record.ts';
import { useRunBackend } from '../experiments/run-backend.ts';
import type { GivenOptions, MethodSetting, Setting } from '../experiments/spec.ts';
import type { Summary } from '../experiments/summary.ts';
import { allTaskOptions, TASK_NAMES, TASK_SPECS, taskSpec } from '../experiments/tasks/index.ts';
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
  { name: 'out', kind: 'string', help: 'run folder: run.json, entries/ (one folder per run of the sweep: checkpoint, log), log.jsonl, summary.json, *.svg (default: runs/TASK)' },
  { name: 'resume', kind: 'string', help: 'continue the run in this folder, each run of the sweep from its checkpoint (the settings are the folder\'s)' },
  { name: 'checkpoint-every', kind: 'int', default: 100, help: 'write each run\'s checkpoint atomically every this many batches (0: only when it finishes)' },
  { name: 'jobs', kind: 'int', default: 1, help: 'train this many runs of the sweep at once, each in its own process (the same numbers as one after another)' },
  { name: 'shard', kind: 'string', help: 'i/N: train every N-th run of the sweep, from the i-th, so that N machines share a sweep (merge the folders with npm run results:tables)' },
  { name: 'backend', kind: 'string', default: 'auto', help: 'kernels: auto (wasm where WebAssembly SIMD runs, else js) | js | wasm | workers (float64 results are bit-identical; wasm and workers run the O(n⁴) traces several times faster than js)' },
  { name: 'quiet', kind: 'flag', help: 'print only the final table (no start line, duration estimate or per-evaluation lines)' },
  { name: 'help', kind: 'flag', help: 'show this help' },
];

/** The settings of `task` given its paper comparison's methods and λ, the rest at their defaults. */
function comparisonConfig(task: string): RunConfig {
  const { methods, lambdas } = taskSpec(task).comparison;
  return resolveRunConfig(task, { method: methods.join(','), lambda: [...lambdas] });
}

/**
 * Each task's defaults as the options that give them, with the methods and λ the paper compares:
 * the paper's set-up (its units: ρ = 1/B, …), a line that can be pasted after `run TASK`.
 */
function paperSetUps(): string[] {
  const lines: string[] = [];
  for (const t of TASK_NAMES) {
    const config = comparisonConfig(t);
    const flags: string[] = [];
    for (const s of [...COMMON_SETTINGS, ...taskSpec(t).options, ...allMethodSettings()]) {
      if (s.flag === 'seed' || s.flag === 'seeds' || s.flag === 'batches') continue;
      const v = s.read(config);
      if (v === undefined || v === false) continue;
      const m = s as MethodSetting;
      flags.push(v === true ? `--${s.flag}` : `--${s.flag} ${m.format ? m.format(config.methodSettings[m.key]) : text(v)}`);
    }
    flags.push(`(${config.batches} batches)`);
    let line = `  ${t.padEnd(13)}`;
    for (const f of flags) {
      if (line.length + f.length + 1 > 100) {
        lines.push(line.trimEnd());
        line = ' '.repeat(15);
      }
      line += f + ' ';
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

const SUMMARY = [
  'Trains on one of the paper\'s experiments and writes DIR/log.jsonl (one line per evaluation),',
  'DIR/summary.json and SVG plots. List-valued options (--method, --lambda, --seeds) make a sweep:',
  'its runs train one after another (or --jobs at a time), each in its own folder DIR/entries/….',
  'Adam with β = (0.9, 0.98), ε = 1e-9 (the paper\'s code). Prints a start line (what runs, the',
  'backend, a duration estimate from timing two batches of each method and λ) and one line per',
  'evaluation, to a terminal or not; on a terminal, also a live progress line on stderr.',
  '',
  'The defaults are each task\'s set-up in the paper (docs/EXPERIMENTS.md), in the units of the',
  'paper\'s code: the synthesiser\'s target scale ρ = 1/B (1/(B·O) for copy-repeat), so its learning',
  'rates, Adam\'s ε and its per-step clip apply as they are (README "Loss convention and units");',
  'one update per batch (per-sequence), with the blocked computation that the clip needs. Each line',
  'gives them with the methods and λ the paper compares; it runs as it is after `run TASK`:',
  ...paperSetUps(),
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

/** The final table printed by `run` (one row per method/λ group, with how it computes; mean ± sd over seeds). */
function summaryTable(s: Summary): string {
  const pm = (m: { mean: number; sd: number; n: number } | null | undefined, dg = 3) => (m ? (m.n > 1 ? `${f(m.mean, dg)} ± ${f(m.sd, dg)}` : f(m.mean, dg)) : '–');
  const metrics = taskSpec(s.task).report.metrics;
  const head = ['group', 'computation', 'seeds', 'final loss', 'alignment (mean over t)', 'alignment (whole)', ...metrics.map((m) => m.label), 'seconds'];
  const rows = s.groups.map((g) => [g.group, methodSpec(g.method).computation(s.config.methodSettings), String(g.seeds.length), pm(g.finalLoss, 4), pm(g.alignmentMean), pm(g.alignmentWhole), ...metrics.map((m) => pm(g.metrics[m.key], m.digits)), pm(g.seconds, 1)]);
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
  const resume = opts.resume !== undefined ? runToResume(opts, positional, argv) : null;
  const runOptions = resolveRunOptions(opts, argv, resume ? resume.runOptions : null);
  const print = runOptions.quiet ? undefined : (line: string) => write(line + '\n');
  const restore = await useRunBackend(runOptions.backend);
  try {
    write(summaryTable(await runOrResume(opts, positional, argv, resume, runOptions, print)));
  } finally {
    restore();
  }
}

/** The run record of `--resume DIR`, checked against the options given with it. */
function runToResume(opts: ParsedArgs, positional: string[], argv: readonly string[]): RunRecord {
  const dir = opts.resume as string;
  if (opts.out !== undefined && resolvePath(opts.out as string) !== resolvePath(dir)) throw new Error('run: --resume continues in its own folder; --out must be the same folder or absent');
  const record = loadRunRecord(dir);
  if (positional.length && positional[0] !== record.config.task) throw new Error(`run: the run in ${dir} is a ${record.config.task} run, not ${positional[0]}`);
  checkResumeSettings(record.config, dir, givenSettings(opts, argv));
  return record;
}

async function runOrResume(opts: ParsedArgs, positional: string[], argv: readonly string[], resume: RunRecord | null, runOptions: RunOptionsRecord, print: ((line: string) => void) | undefined): Promise<Summary> {
  const { checkpointEvery, backend, quiet, jobs, shard } = runOptions;
  if (resume) {
    const dir = opts.resume as string;
    print?.(`resuming ${resume.config.task} in ${dir}`);
    return runExperiment(resume.config, { out: dir, checkpointEvery, backend, quiet, jobs, shard, resume: true, print });
  }
  if (positional.length === 0) throw new Error(`run: expected a task (${TASK_NAMES.join(', ')}); see bp-lambda run --help`);
  const task = positional[0];
  if (!TASK_NAMES.includes(task)) throw new Error(`run: unknown task ${JSON.stringify(task)} (known: ${TASK_NAMES.join(', ')})`);
  const config = resolveRunConfigFromArgs(task, opts, argv);
  const out = (opts.out as string | undefined) ?? `runs/${task}`;
  return runExperiment(config, { out, checkpointEvery, backend, quiet, jobs, shard, print });
}
