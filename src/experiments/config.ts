/**
 * Experiment settings: one resolved, JSON-serialisable `RunConfig` per sweep, resolved from the
 * options given (the command line's, or a program's) over the task's set-up (its TaskSpec's
 * defaults: the paper's, docs/EXPERIMENTS.md) and the methods' settings; its full check (a saved config is
 * checked the same way); and the sweep it expands into (methods × their variants × seeds).
 */
import { ACTIVATIONS, type Activation } from '../cells/activations.ts';
import { CELL_TYPES, cellDefinition } from '../cells/registry.ts';
import { checkFinite, checkInt, checkNonNegative, checkOneOf, checkOptions, checkPositive, describe } from '../validate.ts';
import { checkBetas } from '../optim/adam.ts';
import { allMethodSettings, DEFAULT_METHOD, METHOD_NAMES, methodSpec } from './methods/index.ts';
import type { CommonConfig, GivenOptions, MethodSpec, MethodVariant, RunConfigView, Setting } from './spec.ts';
import { allTaskOptions, taskSpec, type AnyTaskSpec } from './tasks/index.ts';

export type { GroupLr } from './spec.ts';

/** A run's settings (see RunConfigView in spec.ts for the fields). */
export type RunConfig = RunConfigView;

/** Every field of a RunConfig (a saved config with any other field is refused). */
const RUN_CONFIG_KEYS = [
  'task', 'methods', 'cell', 'activation', 'hidden', 'batch', 'gain', 'lr', 'betas', 'eps', 'batches', 'batchesPerEpoch', 'evalEvery', 'evalBatch', 'seeds', 'taskOptions', 'methodSettings',
] as const satisfies readonly (keyof RunConfig)[];
// compile-time check that the list names every field
const _allKeys: Exclude<keyof RunConfig, (typeof RUN_CONFIG_KEYS)[number]> extends never ? true : never = true;
void _allKeys;

/** Adam's β₁, β₂ and ε of the paper's code. */
const BETAS: [number, number] = [0.9, 0.98];
const EPS = 1e-9;

const methodList = (v: unknown) =>
  String(v)
    .split(',')
    .map((m) => m.trim());

/** The options of `run` that every task and method has (each task's and method's own are in their specs). */
export const COMMON_SETTINGS: readonly Setting[] = [
  { flag: 'method', kind: 'string', help: `${METHOD_NAMES.join(' | ')}; a comma list runs each in turn`, read: (c) => c.methods.join(','), normalise: (v) => methodList(v).join(',') },
  { flag: 'cell', kind: 'string', help: `the recurrent cell: ${CELL_TYPES.join(' | ')}`, read: (c) => c.cell },
  { flag: 'activation', kind: 'string', help: `activation of a cell that has one: ${ACTIVATIONS.join(' | ')}`, read: (c) => c.activation ?? undefined },
  { flag: 'hidden', kind: 'int', help: 'hidden size H', read: (c) => c.hidden },
  { flag: 'batch', kind: 'int', help: 'batch size B', read: (c) => c.batch },
  { flag: 'gain', kind: 'number', help: "multiplies W_hh after the uniform(±1/√H) initialisation (1: the paper code's; 1.6 puts the toy RNN's spectral radius near 0.9)", read: (c) => c.gain },
  { flag: 'lr', kind: 'number', help: 'Adam learning rate of the cell and the readout', read: (c) => (c.lr.cell === c.lr.readout ? c.lr.cell : c.lr) },
  { flag: 'synth-lr', kind: 'number', help: 'Adam learning rate of the synthesiser', read: (c) => c.lr.synthesiser },
  { flag: 'epochs', kind: 'int', help: 'training epochs, for the tasks that have epochs', read: (c) => (c.batchesPerEpoch === null ? undefined : c.batches / c.batchesPerEpoch) },
  { flag: 'batches', kind: 'int', help: 'training batches per run, instead of --epochs', read: (c) => c.batches },
  { flag: 'eval-every', kind: 'int', help: 'evaluate every this many batches, and before training', read: (c) => c.evalEvery },
  { flag: 'eval-batch', kind: 'int', help: 'held-out batch size for loss and alignment (seq-mnist: alignment only; its loss and accuracy use the whole validation and test sets)', read: (c) => c.evalBatch },
  { flag: 'seed', kind: 'int', help: 'random seed', read: (c) => (c.seeds.length === 1 ? c.seeds[0] : c.seeds) },
  { flag: 'seeds', kind: 'list', help: 'several seeds, run one after another', read: (c) => c.seeds },
];

function checkSeed(s: unknown, name: string): number {
  return checkInt(s, name, -(2 ** 31), 2 ** 31 - 1);
}

/** The flags given that belong to another task, or to no method of this sweep: refused by name. */
function checkApplicable(task: AnyTaskSpec, methods: readonly MethodSpec[], given: GivenOptions): void {
  for (const { setting, tasks } of allTaskOptions()) {
    if (given[setting.flag] !== undefined && !tasks.includes(task.name)) throw new Error(`run: --${setting.flag} applies to ${tasks.join(', ')} only, not to ${task.name}`);
  }
  const taken = new Set(allMethodSettings(methods));
  for (const s of allMethodSettings()) {
    if (given[s.flag] === undefined || taken.has(s)) continue;
    const owners = METHOD_NAMES.filter((m) => methodSpec(m).settings.includes(s));
    throw new Error(`run: --${s.flag} applies to ${owners.join(', ')} only, not to the methods run (${methods.map((m) => m.name).join(', ')})`);
  }
}

/** The common settings from the given options over the task's set-up. */
function resolveCommon(task: AnyTaskSpec, given: GivenOptions): CommonConfig {
  const taskOptions = task.resolveOptions(given);
  const d = task.defaults(taskOptions);
  const cell = checkOneOf(given.cell ?? d.cell, CELL_TYPES, 'run: --cell');
  const activationOption = cellDefinition(cell).options.activation;
  if (!activationOption && given.activation !== undefined) throw new Error(`run: --activation: the ${cell} cell has no activation option`);
  const activation = activationOption ? (checkOneOf(given.activation ?? d.activation ?? activationOption.default, activationOption.values, 'run: --activation') as Activation) : null;
  const int = (flag: string, def: number) => (given[flag] === undefined ? def : checkInt(given[flag], `run: --${flag}`, 1));
  const lr = { ...d.lr };
  if (given.lr !== undefined) lr.cell = lr.readout = checkNonNegative(given.lr, 'run: --lr');
  if (given['synth-lr'] !== undefined) lr.synthesiser = checkNonNegative(given['synth-lr'], 'run: --synth-lr');
  if (given.seed !== undefined && given.seeds !== undefined) throw new Error('run: give --seed or --seeds, not both');
  const seeds = given.seeds !== undefined ? (given.seeds as number[]) : [given.seed ?? 1];
  seeds.forEach((s) => checkSeed(s, given.seeds !== undefined ? 'run: --seeds' : 'run: --seed'));
  const batch = int('batch', d.batch);
  const batchesPerEpoch = task.batchesPerEpoch(taskOptions, batch);
  if (given.epochs !== undefined && given.batches !== undefined) throw new Error('run: give --epochs or --batches, not both');
  if (given.epochs !== undefined && batchesPerEpoch === null) throw new Error(`run: --epochs: ${task.name} has no epochs (use --batches)`);
  const batches =
    given.batches !== undefined ? int('batches', 1) : given.epochs !== undefined ? int('epochs', 1) * batchesPerEpoch! : (d.batches ?? (d.epochs ?? 1) * (batchesPerEpoch ?? 1));
  return {
    task: task.name,
    cell,
    activation,
    hidden: int('hidden', d.hidden),
    batch,
    gain: checkFinite(given.gain ?? d.gain, 'run: --gain'),
    lr,
    betas: [...BETAS],
    eps: EPS,
    batches,
    batchesPerEpoch,
    evalEvery: int('eval-every', d.evalEvery ?? batchesPerEpoch ?? 1),
    evalBatch: int('eval-batch', d.evalBatch),
    seeds: seeds as number[],
    taskOptions: taskOptions as Record<string, unknown>,
  };
}

/**
 * The settings of `task` from the options given (by option name, only those given; values of
 * their kind) over the task's set-up; every error names the option. The result is checked in
 * full (checkConfig).
 */
export function resolveRunConfig(task: string, given: GivenOptions): RunConfig {
  const spec = taskSpec(task, 'run: task');
  const names = methodList(given.method ?? DEFAULT_METHOD);
  for (const m of names) if (!METHOD_NAMES.includes(m)) throw new Error(`run: --method: unknown method ${JSON.stringify(m)} (known: ${METHOD_NAMES.join(', ')})`);
  if (new Set(names).size !== names.length) throw new Error('run: --method: a method is listed twice');
  const methods = names.map((m) => methodSpec(m));
  checkApplicable(spec, methods, given);
  const common = resolveCommon(spec, given);
  const paper = spec.defaults(common.taskOptions).method(common);
  const methodSettings: Record<string, unknown> = {};
  for (const s of allMethodSettings(methods)) {
    const v = given[s.flag];
    methodSettings[s.key] = v !== undefined ? s.fromOption(v, `run: --${s.flag}`) : s.key in paper ? paper[s.key] : s.default;
  }
  return checkConfig({ ...common, methods: names, methodSettings }, 'run');
}

/** Every setting option of `run`: the common ones, then each task's, then each method's. */
export function runSettings(): Setting[] {
  return [...COMMON_SETTINGS, ...allTaskOptions().map((o) => o.setting), ...allMethodSettings()];
}

/** Checks a config (resolved, or read from a checkpoint); throws naming the field. */
export function checkConfig(c: RunConfig, name = 'config'): RunConfig {
  if (c === null || typeof c !== 'object') throw new Error(`${name}: expected a run config, received ${describe(c)}`);
  checkOptions(c, RUN_CONFIG_KEYS, name);
  for (const k of RUN_CONFIG_KEYS) if (!(k in c)) throw new Error(`${name}.${k}: missing`);
  const task = taskSpec(c.task, `${name}.task`);
  if (!Array.isArray(c.methods) || c.methods.length === 0) throw new Error(`${name}.methods: expected a non-empty list of ${METHOD_NAMES.join(', ')}, received ${describe(c.methods)}`);
  const methods = c.methods.map((m) => methodSpec(m, `${name}.methods`));
  if (new Set(c.methods).size !== c.methods.length) throw new Error(`${name}.methods: a method is listed twice, received ${c.methods.join(',')}`);
  const activation = cellDefinition(c.cell, `${name}.cell`).options.activation;
  if (activation) checkOneOf(c.activation, activation.values, `${name}.activation`);
  else if (c.activation !== null) throw new Error(`${name}.activation: the ${c.cell} cell has no activation option, expected null, received ${describe(c.activation)}`);
  checkInt(c.hidden, `${name}.hidden`, 1);
  checkInt(c.batch, `${name}.batch`, 1);
  checkFinite(c.gain, `${name}.gain`);
  if (!c.lr || typeof c.lr !== 'object') throw new Error(`${name}.lr: expected { cell, readout, synthesiser }, received ${describe(c.lr)}`);
  checkOptions(c.lr, ['cell', 'readout', 'synthesiser'], `${name}.lr`);
  for (const g of ['cell', 'readout', 'synthesiser'] as const) checkNonNegative(c.lr[g], `${name}.lr.${g}`);
  checkBetas(c.betas, `${name}.betas`);
  checkPositive(c.eps, `${name}.eps`);
  checkInt(c.batches, `${name}.batches`, 1);
  checkInt(c.evalEvery, `${name}.evalEvery`, 1);
  checkInt(c.evalBatch, `${name}.evalBatch`, 1);
  if (!Array.isArray(c.seeds) || c.seeds.length === 0) throw new Error(`${name}.seeds: expected a non-empty list of integers, received ${describe(c.seeds)}`);
  c.seeds.forEach((s) => checkSeed(s, `${name}.seeds`));
  if (new Set(c.seeds).size !== c.seeds.length) throw new Error(`${name}.seeds: a seed is listed twice, received ${c.seeds.join(',')}`);
  const options = task.checkOptions(c.taskOptions, `${name}.taskOptions`);
  const perEpoch = task.batchesPerEpoch(options, c.batch);
  if (c.batchesPerEpoch !== perEpoch) throw new Error(`${name}.batchesPerEpoch: expected ${perEpoch} (${task.name} at batch ${c.batch}), received ${describe(c.batchesPerEpoch)}`);
  const settings = allMethodSettings(methods);
  checkOptions(c.methodSettings, settings.map((s) => s.key), `${name}.methodSettings`);
  for (const s of settings) {
    if (!(s.key in c.methodSettings)) throw new Error(`${name}.methodSettings.${s.key}: missing`);
    s.check(c.methodSettings[s.key], `${name}.methodSettings.${s.key}`);
  }
  for (const m of methods) m.check?.(c.methodSettings, name);
  return c;
}

/** What one run of the sweep trains. */
export interface SweepEntry {
  index: number;
  method: string;
  /** the method's variant (bp-lambda: { lambda }) */
  variant: MethodVariant;
  seed: number;
  /** e.g. "bp-lambda λ=0.5", "tbptt n=2", "sg n=2", "bptt" (without the seed) */
  group: string;
  /** group plus seed */
  series: string;
}

/** The sweep: each method, each of its variants, each seed, one after another. */
export function sweepEntries(config: RunConfig): SweepEntry[] {
  const out: SweepEntry[] = [];
  for (const method of config.methods) {
    const spec = methodSpec(method);
    for (const variant of spec.variants?.(config.methodSettings) ?? [{}]) {
      const group = spec.label(config.methodSettings, variant);
      for (const seed of config.seeds) out.push({ index: out.length, method, variant, seed, group, series: `${group} seed=${seed}` });
    }
  }
  return out;
}
