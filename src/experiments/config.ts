/**
 * Experiment settings (TASKS.md): one resolved, JSON-serialisable `RunConfig` per invocation of
 * `bp-lambda run`, the per-task defaults, and the sweep it expands into (methods × λ × seeds,
 * run one after another into the same output folder).
 */
import type { Activation } from '../cells/activations.ts';
import { cellDefinition, type CellType } from '../cells/registry.ts';
import { checkInt, checkOneOf, checkNonNegative, checkOptions, checkPositive, checkUnit, describe } from '../validate.ts';

export const TASKS = ['toy', 'line-draw', 'seq-mnist', 'copy-repeat'] as const;
export type TaskName = (typeof TASKS)[number];

/** The methods `run` trains with ('bp-lambda' may run as 'lambda-sg' under the hood, see `computation`). */
export const RUN_METHODS = ['bptt', 'tbptt', 'sg', 'bp-lambda'] as const;
export type RunMethod = (typeof RUN_METHODS)[number];

export type Regime = 'per-step' | 'per-sequence';
/**
 * traces: accumulate BP(λ) with the full eligibility traces (O(n⁴)/step); blocked: the same
 * numbers from a folded trace and a window of steps (O(n⁴/K + n³ + K·n²)/step, docs/MATH.md
 * §4.6); backward: the λ-target recursion (offline λ-SG, O(n²)/step, per-sequence only).
 */
export type Computation = 'traces' | 'blocked' | 'backward';
export const COMPUTATIONS: readonly Computation[] = ['traces', 'blocked', 'backward'];

export interface GroupLr {
  cell: number;
  readout: number;
  synthesiser: number;
}

export interface RunConfig {
  task: TaskName;
  methods: RunMethod[];
  lambdas: number[];
  gamma: number;
  /** n of tbptt and sg */
  truncation: number;
  sgScale: number;
  regime: Regime;
  computation: Computation;
  /** K of the blocked computation (null: the default, the state size n) */
  traceWindow: number | null;
  hidden: number;
  batch: number;
  /** sequence length T (toy and line-draw) */
  steps: number;
  /** multiplies W_hh after initialisation */
  gain: number;
  /** the recurrent cell, a registered type (cells/registry.ts) */
  cell: CellType;
  /** the cell's `activation` option where it has one (the vanilla RNN), null otherwise */
  activation: Activation | null;
  /** toy/line-draw: whether the RNN and readout learn (false: only the synthesiser) */
  plastic: boolean;
  /** toy: number of pattern → point pairs */
  pairs: number;
  lr: GroupLr;
  /** Adam β₁, β₂ and ε (the paper's code: 0.9, 0.98, 1e-9) */
  betas: [number, number];
  eps: number;
  /** training batches per run */
  batches: number;
  /** batches per epoch (toy: 100; seq-mnist: ⌈train size / batch⌉; copy-repeat: the evaluation period) */
  batchesPerEpoch: number;
  /** evaluate every this many batches (and before training) */
  evalEvery: number;
  /** size of the held-out evaluation batch (toy, line-draw, copy-repeat, alignment on seq-mnist) */
  evalBatch: number;
  seeds: number[];
  /** seq-mnist */
  data: 'mnist' | 'synthetic';
  trainSubset: number | null;
  valSubset: number | null;
  testSubset: number | null;
  /** copy-repeat curriculum threshold in bits */
  threshold: number;
}

/** Every field of a RunConfig (a saved config with any other field is refused). */
export const RUN_CONFIG_KEYS = [
  'task', 'cell', 'methods', 'lambdas', 'gamma', 'truncation', 'sgScale', 'regime', 'computation', 'traceWindow', 'hidden', 'batch', 'steps', 'gain', 'activation', 'plastic', 'pairs',
  'lr', 'betas', 'eps', 'batches', 'batchesPerEpoch', 'evalEvery', 'evalBatch', 'seeds', 'data', 'trainSubset', 'valSubset', 'testSubset', 'threshold',
] as const satisfies readonly (keyof RunConfig)[];
// compile-time check that the list names every field
const _allKeys: Exclude<keyof RunConfig, (typeof RUN_CONFIG_KEYS)[number]> extends never ? true : never = true;
void _allKeys;

export interface TaskDefaults {
  cell: CellType;
  /** the cell's activation where it has one (default: the cell's own default) */
  activation?: Activation;
  hidden: number;
  batch: number;
  gamma: number;
  sgScale: number;
  lr: GroupLr;
  epochs?: number;
  batches?: number;
}

/** Learning rates of the toy task (TASKS.md §1; the plastic RNN rate is ours). */
export const TOY_FIXED_LR: GroupLr = { cell: 0, readout: 0, synthesiser: 1e-4 };
export const TOY_PLASTIC_LR: GroupLr = { cell: 1e-3, readout: 1e-3, synthesiser: 1e-3 };

export const TASK_DEFAULTS: Record<TaskName, TaskDefaults> = {
  toy: { cell: 'rnn', activation: 'identity', hidden: 30, batch: 10, gamma: 1, sgScale: 1, lr: TOY_FIXED_LR, epochs: 5 },
  'line-draw': { cell: 'rnn', activation: 'identity', hidden: 30, batch: 10, gamma: 1, sgScale: 1, lr: TOY_FIXED_LR, epochs: 5 },
  'seq-mnist': { cell: 'lstm', hidden: 30, batch: 50, gamma: 0.9, sgScale: 0.1, lr: { cell: 3e-4, readout: 3e-4, synthesiser: 3e-4 }, epochs: 50 },
  'copy-repeat': { cell: 'lstm', hidden: 100, batch: 100, gamma: 0.9, sgScale: 1, lr: { cell: 1e-3, readout: 1e-3, synthesiser: 1e-5 }, batches: 10000 },
};

/** Toy and line-draw: batches per epoch (TASKS.md §1). */
export const TOY_BATCHES_PER_EPOCH = 100;

export function isToy(task: TaskName): boolean {
  return task === 'toy' || task === 'line-draw';
}

/** What one run of the sweep trains. */
export interface SweepEntry {
  index: number;
  method: RunMethod;
  /** λ for bp-lambda, null otherwise */
  lambda: number | null;
  seed: number;
  /** the learner actually used: 'bp-lambda' (traces) or 'lambda-sg' (backward) for method bp-lambda */
  learner: 'bptt' | 'tbptt' | 'sg' | 'bp-lambda' | 'lambda-sg';
  /** e.g. "bp-lambda λ=0.5", "tbptt n=2", "sg n=2", "bptt" (without the seed) */
  group: string;
  /** group plus seed */
  series: string;
}

export function groupLabel(config: RunConfig, method: RunMethod, lambda: number | null): string {
  if (method === 'bp-lambda') return `bp-lambda λ=${lambda}`;
  if (method === 'tbptt' || method === 'sg') return `${method} n=${config.truncation}`;
  return method;
}

export function sweepEntries(config: RunConfig): SweepEntry[] {
  const out: SweepEntry[] = [];
  for (const method of config.methods) {
    const lambdas = method === 'bp-lambda' ? config.lambdas : [null];
    for (const lambda of lambdas) {
      for (const seed of config.seeds) {
        const group = groupLabel(config, method, lambda);
        const learner = method === 'bp-lambda' ? (config.computation === 'backward' ? 'lambda-sg' : 'bp-lambda') : method;
        out.push({ index: out.length, method, lambda, seed, learner, group, series: `${group} seed=${seed}` });
      }
    }
  }
  return out;
}

/** Checks a config (from the command line or from a checkpoint); throws naming the field. */
export function checkConfig(c: RunConfig, name = 'config'): RunConfig {
  checkOptions(c, RUN_CONFIG_KEYS, name);
  checkOneOf(c.task, TASKS, `${name}.task`);
  if (!Array.isArray(c.methods) || c.methods.length === 0) throw new Error(`${name}.methods: expected a non-empty list of ${RUN_METHODS.join(', ')}, received ${describe(c.methods)}`);
  for (const m of c.methods) checkOneOf(m, RUN_METHODS, `${name}.method`);
  if (!Array.isArray(c.lambdas) || c.lambdas.length === 0) throw new Error(`${name}.lambdas: expected a non-empty list of numbers in [0, 1], received ${describe(c.lambdas)}`);
  for (const l of c.lambdas) checkUnit(l, `${name}.lambda`);
  checkUnit(c.gamma, `${name}.gamma`);
  checkInt(c.truncation, `${name}.truncation`, 1);
  if (typeof c.sgScale !== 'number' || !Number.isFinite(c.sgScale)) throw new Error(`${name}.sgScale: expected a finite number, received ${describe(c.sgScale)}`);
  checkOneOf(c.regime, ['per-step', 'per-sequence'] as const, `${name}.regime`);
  checkOneOf(c.computation, COMPUTATIONS, `${name}.computation`);
  if (c.traceWindow !== null) checkInt(c.traceWindow, `${name}.traceWindow`, 1);
  if (c.traceWindow !== null && c.computation !== 'blocked') throw new Error(`${name}.traceWindow: applies to computation "blocked" only, received computation ${JSON.stringify(c.computation)}`);
  if (c.computation === 'backward' && c.regime !== 'per-sequence') {
    throw new Error(`${name}.computation: "backward" (the λ-target recursion) computes the per-sequence update only; use --regime per-sequence, or --computation traces or blocked for the fully online per-step regime`);
  }
  checkInt(c.hidden, `${name}.hidden`, 1);
  checkInt(c.batch, `${name}.batch`, 1);
  checkInt(c.steps, `${name}.steps`, 2);
  if (typeof c.gain !== 'number' || !Number.isFinite(c.gain)) throw new Error(`${name}.gain: expected a finite number, received ${describe(c.gain)}`);
  const activation = cellDefinition(c.cell, `${name}.cell`).options.activation;
  if (activation) checkOneOf(c.activation, activation.values, `${name}.activation`);
  else if (c.activation !== null) throw new Error(`${name}.activation: the ${c.cell} cell has no activation option, expected null, received ${describe(c.activation)}`);
  if (typeof c.plastic !== 'boolean') throw new Error(`${name}.plastic: expected a boolean, received ${describe(c.plastic)}`);
  checkInt(c.pairs, `${name}.pairs`, 1);
  if (!c.lr || typeof c.lr !== 'object') throw new Error(`${name}.lr: expected { cell, readout, synthesiser }, received ${describe(c.lr)}`);
  checkOptions(c.lr, ['cell', 'readout', 'synthesiser'], `${name}.lr`);
  for (const g of ['cell', 'readout', 'synthesiser'] as const) checkNonNegative(c.lr[g], `${name}.lr.${g}`);
  if (!Array.isArray(c.betas) || c.betas.length !== 2 || !c.betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)) throw new Error(`${name}.betas: expected [β1, β2] in [0, 1), received ${describe(c.betas)}`);
  checkPositive(c.eps, `${name}.eps`);
  checkInt(c.batches, `${name}.batches`, 1);
  checkInt(c.batchesPerEpoch, `${name}.batchesPerEpoch`, 1);
  checkInt(c.evalEvery, `${name}.evalEvery`, 1);
  checkInt(c.evalBatch, `${name}.evalBatch`, 1);
  if (!Array.isArray(c.seeds) || c.seeds.length === 0) throw new Error(`${name}.seeds: expected a non-empty list of integers, received ${describe(c.seeds)}`);
  for (const s of c.seeds) checkInt(s, `${name}.seed`, -(2 ** 31), 2 ** 31 - 1);
  checkOneOf(c.data, ['mnist', 'synthetic'] as const, `${name}.data`);
  for (const k of ['trainSubset', 'valSubset', 'testSubset'] as const) if (c[k] !== null) checkInt(c[k], `${name}.${k}`, 1);
  checkPositive(c.threshold, `${name}.threshold`);
  return c;
}
