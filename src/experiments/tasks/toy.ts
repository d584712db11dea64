/**
 * The toy task (docs/EXPERIMENTS.md §1) and its line-drawing variant (§4): a linear RNN sees a binary
 * pattern at t = 1 and must output a 2-D point at the last step (`toy`) or draw the line towards
 * it at every step (`line-draw`). The paper's set-up: H = 30, batch 10, 100 batches per epoch,
 * Adam, γ = 1, σ = 1; a fixed RNN (only the synthesiser learns, rate 1e-4) or a plastic one
 * (rates 1e-3; the RNN's is ours); the paper code's single pattern (K = 1) and its
 * initialisation (gain 1; our documented variant uses gain 1.6, spectral radius ≈ 0.9).
 */
import type { Activation } from '../../cells/activations.ts';
import type { Model } from '../../model/model.ts';
import { spectralRadius } from '../../kernels/spectral-radius.ts';
import { Rng } from '../../rng.ts';
import { createToyTask, type ToyVariant } from '../../tasks/toy.ts';
import { checkInt, describe } from '../../validate.ts';
import { evalLoss } from '../evaluate.ts';
import { lineChart } from '../svg.ts';
import type { GroupLr, Setting, TaskContext, TaskSpec } from '../spec.ts';
import { checkFields, derivedSeed, intOption, restoreRng } from './shared.ts';

export interface ToyOptions {
  /** sequence length T */
  steps: number;
  /** pattern → point pairs K */
  pairs: number;
  /** whether the RNN and readout learn (false: only the synthesiser) */
  plastic: boolean;
}

/** Learning rates (docs/EXPERIMENTS.md §1; the plastic RNN's rate is ours). */
const TOY_FIXED_LR: GroupLr = { cell: 0, readout: 0, synthesiser: 1e-4 };
const TOY_PLASTIC_LR: GroupLr = { cell: 1e-3, readout: 1e-3, synthesiser: 1e-3 };
const BATCHES_PER_EPOCH = 100;
const PATTERN_BITS = 10;
/** the most distinct patterns (K) that PATTERN_BITS bits can make, the all-zero pattern excluded */
const MAX_PAIRS = 2 ** PATTERN_BITS - 1;
const POINT_SIZE = 2;

const opts = (c: { taskOptions: Record<string, unknown> }) => c.taskOptions as unknown as ToyOptions;

const OPTIONS: readonly Setting[] = [
  { flag: 'steps', kind: 'int', help: 'sequence length T (≥ 2)', read: (c) => opts(c).steps },
  { flag: 'pairs', kind: 'int', help: "pattern → point pairs K, 1 to 1023 (1: the paper code's single pattern, target (0, 1))", read: (c) => opts(c).pairs },
  { flag: 'fixed-rnn', kind: 'flag', help: 'only the synthesiser learns (the default; synthesiser rate 1e-4)', read: (c) => !opts(c).plastic },
  { flag: 'plastic', kind: 'flag', help: 'RNN, readout and synthesiser learn (rates 1e-3; the RNN rate is ours)', read: (c) => opts(c).plastic },
];

function toySpec(name: string, variant: ToyVariant, summary: string): TaskSpec<ToyOptions, null> {
  const task = (ctx: TaskContext<ToyOptions, null>) => createToyTask({ K: ctx.options.pairs, patternBits: PATTERN_BITS, outputSize: POINT_SIZE, seed: derivedSeed(ctx.seed, 1), variant });
  return {
    name,
    summary,
    loss: 'mse',
    options: OPTIONS,
    comparison: { methods: ['bp-lambda'], lambdas: [0, 0.5, 1] },
    resolveOptions(given) {
      if (given['fixed-rnn'] && given.plastic) throw new Error('run: --fixed-rnn and --plastic exclude each other');
      const plastic = given.plastic === true;
      // --lr 0 (the fixed RNN's own setting, as `run --help` prints it) is accepted; any other rate would be ignored
      if (!plastic && given.lr !== undefined && given.lr !== 0) throw new Error(`run: --lr: with a fixed RNN only the synthesiser learns (use --synth-lr, or --plastic), received ${given.lr}`);
      return { steps: intOption(given, 'steps', 2, 20), pairs: intOption(given, 'pairs', 1, 1, MAX_PAIRS), plastic };
    },
    checkOptions(v, at) {
      const o = checkFields(v, at, ['steps', 'pairs', 'plastic']);
      checkInt(o.steps, `${at}.steps`, 2);
      checkInt(o.pairs, `${at}.pairs`, 1, MAX_PAIRS);
      if (typeof o.plastic !== 'boolean') throw new Error(`${at}.plastic: expected a boolean, received ${describe(o.plastic)}`);
      return o as unknown as ToyOptions;
    },
    defaults: (o) => ({
      cell: 'rnn',
      activation: 'identity' as Activation,
      hidden: 30,
      batch: 10,
      gain: 1,
      lr: o.plastic ? TOY_PLASTIC_LR : TOY_FIXED_LR,
      epochs: 5,
      evalBatch: 100,
      method: (c) => ({ gamma: 1, sgScale: 1, targetScale: 1 / c.batch }),
    }),
    sizes: (o) => ({ inputSize: PATTERN_BITS, outputSize: POINT_SIZE, steps: o.steps }),
    describeShape: (o) => `T=${o.steps}`,
    batchesPerEpoch: () => BATCHES_PER_EPOCH,
    load: async () => null,
    source(ctx, state) {
      const t = task(ctx);
      const rng = state === null ? new Rng(ctx.seed) : restoreRng((state as { rng: unknown }).rng, 'source.rng');
      const { batch } = ctx.config;
      return { next: () => t.batch(rng, batch, ctx.options.steps), getState: () => ({ rng: rng.getState() }) };
    },
    checkSourceState(state) {
      restoreRng(checkFields(state, 'source', ['rng']).rng, 'source.rng');
    },
    evaluation(ctx) {
      // a fixed held-out batch per seed, independent of training progress
      const held = task(ctx).batch(new Rng(derivedSeed(ctx.seed, 2)), ctx.config.evalBatch, ctx.options.steps);
      return { alignmentBatch: () => held, run: (model) => ({ loss: evalLoss(model, held), ...recurrentRadius(model) }) };
    },
    report: {
      x: 'batch',
      logLoss: true,
      lossLabel: 'loss',
      alignmentPerStep: true,
      evalLabels: { spectralRadius: 'r(W_hh)' },
      metrics: [],
      // the recurrent gain decides how far back gradients reach: r(W_hh) at the first and the last evaluation
      series: (records) => {
        const radii = records.filter((r) => r.type === 'eval' && typeof r.spectralRadius === 'number').map((r) => r.spectralRadius as number);
        return radii.length ? { spectralRadiusInitial: radii[0], spectralRadiusFinal: radii[radii.length - 1] } : {};
      },
      plots: (records, config, seedsNote) => alignmentOverT(records, opts(config).steps, name, seedsNote),
    },
  };
}

/** r(W_hh), the spectral radius of a square recurrent matrix (the vanilla RNN's); {} for gated cells. */
function recurrentRadius(model: Model): { spectralRadius?: number } {
  const W = model.cell.params.W_hh;
  if (!W || W.shape.length !== 2 || W.shape[0] !== W.shape[1]) return {};
  return { spectralRadius: spectralRadius(W.data, W.shape[0]) };
}

/** alignment-t.svg: the alignment over t at the last evaluation, mean over seeds per group. */
function alignmentOverT(records: readonly Record<string, unknown>[], T: number, task: string, seedsNote: string): Record<string, string> {
  const evals = records.filter((r) => r.type === 'eval');
  if (evals.length === 0) return {};
  const lastBatch = Math.max(...evals.map((r) => r.batch as number));
  const finals = new Map<string, number[][]>();
  for (const r of evals) {
    const p = (r.alignment as { perStep?: number[] } | null)?.perStep;
    if (r.batch !== lastBatch || !p) continue;
    if (!finals.has(r.group as string)) finals.set(r.group as string, []);
    finals.get(r.group as string)!.push(p);
  }
  const series = [...finals].map(([name, curves]) => ({ name, points: curves[0].map((_, t) => [t + 1, curves.reduce((a, c) => a + c[t], 0) / curves.length] as [number, number]) }));
  if (!series.length) return {};
  return { 'alignment-t.svg': lineChart({ title: `${task}: alignment over t after ${lastBatch} batches (T = ${T})${seedsNote}`, xLabel: 't (1-based)', yLabel: 'cosine(g(s_t), G_t)', series, yMin: -0.2, yMax: 1 }) };
}

export const TOY = toySpec('toy', 'last', 'a pattern at t = 1, a 2-D point to output at t = T (docs/EXPERIMENTS.md §1)');
export const LINE_DRAW = toySpec('line-draw', 'line-draw', 'the toy task with a target at every step: the line towards the point (docs/EXPERIMENTS.md §4)');
