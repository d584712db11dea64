/**
 * What the experiments layer knows about a task and a method, as data: a task is one
 * `TaskSpec` (src/experiments/tasks/), a method one `MethodSpec` (src/experiments/methods/),
 * each registered by one line in its folder's index.ts. The runner, the estimate, the memory
 * check, the checkpoint validation, the summary and the command line read the specs; none of
 * them names a task or a method.
 */
import type { Activation } from '../cells/activations.ts';
import type { CellType } from '../cells/registry.ts';
import type { LossKind, SeqBatch } from '../data/batch.ts';
import type { Learner, CommonOptions } from '../learners/learner.ts';
import type { Model } from '../model/model.ts';
import type { DataSource } from './loop.ts';

/** How an option is written on the command line (`flag`: no value). */
export type SettingKind = 'string' | 'number' | 'int' | 'flag' | 'list';

/** Option values as the command line gives them, by option name (only the options given). */
export type GivenOptions = Readonly<Record<string, string | number | boolean | number[] | undefined>>;

/**
 * One option of `bp-lambda run` that is a setting of the run (saved in its config). `read`
 * gives the option's value, in the option's own terms, back from a resolved config: --resume
 * refuses a setting given with another value than the run's, and --help lists the defaults per
 * task with it. `undefined`: the option does not apply to that config.
 */
export interface Setting {
  readonly flag: string;
  readonly kind: SettingKind;
  readonly help: string;
  read(config: RunConfigView): unknown;
  /** the given value in the form `read` returns, where the two differ (a comma list with spaces) */
  normalise?(given: unknown): unknown;
}

/** Adam's learning rate per parameter group. */
export interface GroupLr {
  cell: number;
  readout: number;
  synthesiser: number;
}

/** The fields of a run config every task and method shares (config.ts defines the whole). */
export interface RunConfigView {
  task: string;
  methods: string[];
  cell: CellType;
  activation: Activation | null;
  hidden: number;
  batch: number;
  gain: number;
  lr: GroupLr;
  betas: [number, number];
  eps: number;
  batches: number;
  /** batches per epoch where the task has epochs, else null */
  batchesPerEpoch: number | null;
  evalEvery: number;
  evalBatch: number;
  seeds: number[];
  /** the task's own options (TaskSpec.options), e.g. the toy's { steps, pairs, plastic } */
  taskOptions: Record<string, unknown>;
  /** the settings of the methods run (MethodSpec.settings), by key, e.g. { lambdas, gamma, … } */
  methodSettings: Record<string, unknown>;
}

/** A setting of one or more methods, stored in `config.methodSettings[key]`. */
export interface MethodSetting<V = unknown> extends Setting {
  readonly key: string;
  /** the value when neither the option nor the task's set-up gives one */
  readonly default: V;
  /** the value of the given option (already of its kind); throws naming `name` */
  fromOption(v: unknown, name: string): V;
  /** checks a saved value; throws naming `name` */
  check(v: unknown, name: string): V;
  /** the value as --help shows it (default: String) */
  format?(v: V): string;
  /**
   * a setting of training only, which `grads` (one batch, parameters fixed) does not take: when
   * the optimizer steps, or the synthesiser's units (grads reads them from the model)
   */
  readonly trainingOnly?: boolean;
}

/** The common settings of a run (config.ts) before its method settings are resolved. */
export type CommonConfig = Omit<RunConfigView, 'methods' | 'methodSettings'>;

/** The paper's set-up for one task (docs/EXPERIMENTS.md): the defaults of the common and method settings. */
export interface TaskDefaults {
  cell: CellType;
  /** the cell's activation where it has one (default: the cell's own default) */
  activation?: Activation;
  hidden: number;
  batch: number;
  gain: number;
  lr: GroupLr;
  /** training length: `epochs` where the task has epochs, else `batches` */
  epochs?: number;
  batches?: number;
  /** evaluate every this many batches (default: one epoch) */
  evalEvery?: number;
  evalBatch: number;
  /** defaults of method settings by key (γ, σ, ρ, regime, …), given the resolved common settings */
  method(common: CommonConfig): Record<string, unknown>;
}

/** One sweep entry's view of its task: the config, the task's options, the seed, the loaded data. */
export interface TaskContext<O = Record<string, unknown>, D = unknown> {
  config: RunConfigView;
  options: O;
  seed: number;
  data: D;
}

/** Where the training batches of one sweep entry come from; its position can be saved and restored. */
export interface TaskSource extends DataSource {
  /** the next training batch (a task's source never runs out) */
  next(): SeqBatch;
  /** the position (JSON), for checkpoints */
  getState(): unknown;
  /** the value logged as `trainLoss` for a batch of mean loss `loss` (default: the loss itself) */
  trainValue?(loss: number): number;
  /**
   * After batch `index` (0-based) of mean loss `loss`: an event to log (a curriculum advance),
   * with its one-line message, or null.
   */
  afterBatch?(index: number, loss: number): { record: Record<string, unknown>; message: string } | null;
}

/** The held-out evaluation of a sweep entry; nothing in it changes the model. */
export interface TaskEvaluation {
  /** the held-out batch on which alignment is measured (at the source's current curriculum level) */
  alignmentBatch(source: TaskSource): SeqBatch;
  /** the held-out loss (`loss`) and the task's metrics */
  run(model: Model, source: TaskSource): Record<string, number>;
  /** seconds one `run` takes, measured on part of the data where the whole is large (estimate.ts) */
  seconds?(model: Model, source: TaskSource): number;
}

/** A number summarising a series, compared across groups (mean ± sd over seeds). */
export interface TaskMetric {
  key: string;
  label: string;
  /** which way is better (the verdict rule, summary.ts) */
  better: 'higher' | 'lower';
  /** the metric of a series from its summary (its task's `details`) */
  of(series: { finalLoss: number; details: Record<string, unknown> }): number;
  /** digits in tables */
  digits?: number;
}

export interface TaskReport {
  /** plots and the logged `epoch` use epochs (seq-mnist) or batches */
  x: 'epoch' | 'batch';
  /** loss plot on a log axis */
  logLoss: boolean;
  /** the held-out loss's name in plots */
  lossLabel: string;
  /** alignment per step t in the log (small sequences only) */
  alignmentPerStep: boolean;
  /** labels of the evaluation fields printed on each evaluation line, by field */
  evalLabels: Record<string, string>;
  /** the task's facts about a series, from its log records (best epoch, furthest level, …): its summary's `details` */
  series?(records: readonly Record<string, unknown>[]): Record<string, unknown>;
  /** the metrics compared across groups, besides the final loss and the alignment */
  metrics: readonly TaskMetric[];
  /** extra plots: name → SVG text (summary.ts draws the loss and alignment plots of every task) */
  plots?(records: readonly Record<string, unknown>[], config: RunConfigView, seedsNote: string): Record<string, string>;
}

/** A task: its data, loss, evaluation, curriculum, its own options and the paper's set-up. */
export interface TaskSpec<O = Record<string, unknown>, D = unknown> {
  readonly name: string;
  /** one line for --help */
  readonly summary: string;
  readonly loss: LossKind;
  /** the task's own options (flags), stored in config.taskOptions */
  readonly options: readonly Setting[];
  /** the task's options from the command line (defaults where not given); throws naming the option */
  resolveOptions(given: GivenOptions): O;
  /** checks saved options; throws naming `name.key` */
  checkOptions(v: unknown, name: string): O;
  /** the paper's set-up (ours where docs/EXPERIMENTS.md leaves it open, as the README says) */
  defaults(options: O): TaskDefaults;
  /** the methods and λ the paper compares on this task (docs/EXPERIMENTS.md): `run --help` prints them in the task's set-up line */
  readonly comparison: { readonly methods: readonly string[]; readonly lambdas: readonly number[] };
  /** the model's input and output sizes, and the sequence length (the first one, for a curriculum) */
  sizes(options: O): { inputSize: number; outputSize: number; steps: number };
  /** the sequence length shown in the start line, e.g. "T=20", "T=5 (growing)" */
  describeShape(options: O): string;
  /** batches per epoch, or null where the task has no epochs */
  batchesPerEpoch(options: O, batch: number): number | null;
  /** the data, loaded once per run (null where the task generates its own) */
  load(options: O): Promise<D>;
  /** the training source of one entry, fresh or restored from `state` */
  source(ctx: TaskContext<O, D>, state: unknown): TaskSource;
  /** checks a saved source state for an entry `batch` batches in; throws naming the field */
  checkSourceState(state: unknown, ctx: TaskContext<O, D>, batch: number): void;
  evaluation(ctx: TaskContext<O, D>): TaskEvaluation;
  /** the duration estimate is a lower bound (a curriculum makes later batches longer) */
  readonly growing?: boolean;
  readonly report: TaskReport;
}

/** One variant of a method in the sweep (bp-lambda: one per λ), with the values it logs. */
export type MethodVariant = Readonly<Record<string, number>>;

/** The sizes a method's memory estimate needs (float64 values, not bytes). */
export interface MemorySizes {
  B: number;
  /** state size */
  n: number;
  /** sequence length */
  T: number;
  O: number;
  /** cell parameters */
  cellParams: number;
}

/** A training method of `run` and `grads`: which learner it builds, with which options. */
export interface MethodSpec {
  readonly name: string;
  /** one line for --help */
  readonly summary: string;
  /** its settings (shared ones are the same objects in several specs) */
  readonly settings: readonly MethodSetting[];
  /** whether it trains the synthesiser (alignment is then evaluated, the gradients JSON has it) */
  readonly synthesiser: boolean;
  /** cross-checks of its settings (`name`: "run" or "config"); throws naming the options */
  check?(s: Readonly<Record<string, unknown>>, name: string): void;
  /** its variants in the sweep, one after another (default: one) */
  variants?(s: Readonly<Record<string, unknown>>): MethodVariant[];
  /** the group label, e.g. "bp-lambda λ=0.5", "sg n=2" */
  label(s: Readonly<Record<string, unknown>>, v: MethodVariant): string;
  /** how the update is computed, for the log, the summary and the tables */
  computation(s: Readonly<Record<string, unknown>>): string;
  /** when the optimizer steps */
  regime(s: Readonly<Record<string, unknown>>): 'per-step' | 'per-sequence';
  /** the settings logged with every record (besides the variant) */
  logged?(s: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** the learner, on `model`, with the options every learner takes */
  createLearner(model: Model, common: CommonOptions, s: Readonly<Record<string, unknown>>, v: MethodVariant): Learner;
  /** its largest buffers: [what, float64 values] */
  memory(sizes: MemorySizes, s: Readonly<Record<string, unknown>>): [string, number][];
}
