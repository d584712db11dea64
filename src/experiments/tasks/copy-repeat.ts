/**
 * Copy-repeat with a curriculum (docs/EXPERIMENTS.md §3): copy an 8-bit pattern of length N, R times; the
 * curriculum starts at N = R = 1 and advances after every batch whose mean loss is below the
 * threshold in bits per output entry. The metric: the largest T = (R+1)·N + 3 reached. The
 * paper's set-up: LSTM H = 100, batch 100, Adam 1e-3 for cell and readout and 1e-5 for the
 * synthesiser, γ = 0.9, σ = 1; its loss is a mean over the O = 9 output channels too, so its
 * units are ρ = 1/(B·O).
 */
import type { SeqBatch } from '../../data/batch.ts';
import { Rng } from '../../rng.ts';
import { COPY_REPEAT_INPUT_SIZE, COPY_REPEAT_OUTPUT_SIZE, copyRepeatBatch, copyRepeatLength, Curriculum, DEFAULT_CURRICULUM_THRESHOLD, type CurriculumState } from '../../tasks/copy-repeat.ts';
import { checkPositive } from '../../validate.ts';
import { bitsPerEntry as bitsPerOutputEntry, evalLoss } from '../evaluate.ts';
import { lineChart, type ChartSeries } from '../svg.ts';
import type { Setting, TaskSource, TaskSpec } from '../spec.ts';
import { checkFields, derivedSeed, restoreRng } from './shared.ts';

export interface CopyRepeatOptions {
  /** the curriculum's threshold in bits per output entry */
  threshold: number;
}

const OPTIONS: readonly Setting[] = [
  { flag: 'threshold', kind: 'number', help: "the curriculum's threshold in bits per output entry", read: (c) => (c.taskOptions as unknown as CopyRepeatOptions).threshold },
];

/** Mean BCE in bits per output entry of a batch loss at level (N, R): over the R·N + 1 output steps and the 9 channels. */
export function bitsPerEntry(batchLoss: number, N: number, R: number): number {
  return bitsPerOutputEntry(batchLoss, (R * N + 1) * COPY_REPEAT_OUTPUT_SIZE);
}

export const COPY_REPEAT: TaskSpec<CopyRepeatOptions, null> = {
  name: 'copy-repeat',
  summary: 'copy an 8-bit pattern of length N, R times; a curriculum lengthens the sequences (docs/EXPERIMENTS.md §3)',
  loss: 'sigmoid-bce',
  options: OPTIONS,
  comparison: { methods: ['tbptt', 'sg', 'bp-lambda'], lambdas: [0, 1] },
  resolveOptions: (given) => ({ threshold: checkPositive(given.threshold ?? DEFAULT_CURRICULUM_THRESHOLD, 'run: --threshold') }),
  checkOptions(v, at) {
    const o = checkFields(v, at, ['threshold']);
    checkPositive(o.threshold, `${at}.threshold`);
    return o as unknown as CopyRepeatOptions;
  },
  defaults: () => ({
    cell: 'lstm',
    hidden: 100,
    batch: 100,
    gain: 1,
    lr: { cell: 1e-3, readout: 1e-3, synthesiser: 1e-5 },
    batches: 10000,
    evalEvery: 100,
    evalBatch: 100,
    // n = 4 for truncated BPTT and n-step SG: the paper compares them with BP(λ) at equal n without a value we could
    // confirm; 4 is the campaign's choice (docs/EXPERIMENTS.md §3)
    method: (c) => ({ gamma: 0.9, sgScale: 1, targetScale: 1 / (c.batch * COPY_REPEAT_OUTPUT_SIZE), truncation: 4 }),
  }),
  sizes: () => ({ inputSize: COPY_REPEAT_INPUT_SIZE, outputSize: COPY_REPEAT_OUTPUT_SIZE, steps: copyRepeatLength(1, 1) }),
  describeShape: () => `T=${copyRepeatLength(1, 1)} growing`,
  batchesPerEpoch: () => null,
  load: async () => null,
  growing: true,
  source(ctx, state) {
    const saved = state as { rng: unknown; curriculum: CurriculumState } | null;
    const rng = saved ? restoreRng(saved.rng, 'source.rng') : new Rng(ctx.seed);
    const curriculum = saved ? Curriculum.fromState(saved.curriculum) : new Curriculum({ threshold: ctx.options.threshold });
    const B = ctx.config.batch;
    return {
      next: () => copyRepeatBatch(rng, B, curriculum.N, curriculum.R),
      getState: () => ({ rng: rng.getState(), curriculum: curriculum.getState() }),
      trainValue: (loss) => bitsPerEntry(loss, curriculum.N, curriculum.R),
      afterBatch(index, loss) {
        const { N, R } = curriculum;
        const bits = bitsPerEntry(loss, N, R);
        if (!curriculum.observe(index, bits)) return null;
        return {
          record: { type: 'advance', batch: index + 1, bits, fromN: N, fromR: R, N: curriculum.N, R: curriculum.R, T: curriculum.T },
          message: `batch ${index + 1}: curriculum advanced to N=${curriculum.N} R=${curriculum.R} T=${curriculum.T}`,
        };
      },
    };
  },
  checkSourceState(state, ctx, batch) {
    const s = checkFields(state, 'source', ['rng', 'curriculum']);
    restoreRng(s.rng, 'source.rng');
    const c = Curriculum.fromState(s.curriculum as CurriculumState);
    if (c.threshold !== ctx.options.threshold) throw new Error(`source.curriculum.threshold: expected ${ctx.options.threshold} (the config's threshold), received ${c.threshold}`);
    const last = c.advances.at(-1);
    if (last && last.batch >= batch) throw new Error(`source.curriculum.advances: expected advances before batch ${batch}, received one at batch ${last.batch}`);
  },
  evaluation(ctx) {
    const level = (source: TaskSource) => (source.getState() as { curriculum: CurriculumState }).curriculum;
    // a held-out batch at the current level, fixed per seed and level (kept while the level lasts)
    let last: { N: number; R: number; batch: SeqBatch } | null = null;
    const held = (N: number, R: number) => {
      if (!last || last.N !== N || last.R !== R) last = { N, R, batch: copyRepeatBatch(new Rng(derivedSeed(ctx.seed, 1000 * N + R)), ctx.config.evalBatch, N, R) };
      return last.batch;
    };
    return {
      alignmentBatch(source) {
        const { N, R } = level(source);
        return held(N, R);
      },
      run(model, source) {
        const { N, R } = level(source);
        const loss = evalLoss(model, held(N, R));
        return { loss, bits: bitsPerEntry(loss, N, R), N, R, T: copyRepeatLength(N, R) };
      },
    };
  },
  report: {
    x: 'batch',
    logLoss: true,
    lossLabel: 'loss',
    alignmentPerStep: false,
    evalLabels: { bits: 'bits', T: 'T' },
    series(records) {
      const top = records.filter((r) => r.type === 'advance').at(-1);
      return { reached: top ? { N: top.N, R: top.R, T: top.T, batch: top.batch } : { N: 1, R: 1, T: copyRepeatLength(1, 1), batch: 0 } };
    },
    metrics: [
      { key: 'maxT', label: 'largest T', better: 'higher', of: (s) => (s.details.reached as { T: number }).T, digits: 1 },
      // the final loss is a sum over the (R·N+1)·9 output entries at the run's own level; per entry it compares across runs
      // (the last evaluation is at the level of the last advance)
      {
        key: 'finalBits',
        label: 'bits per entry at the end',
        better: 'lower',
        of: (s) => {
          const { N, R } = s.details.reached as { N: number; R: number };
          return bitsPerEntry(s.finalLoss, N, R);
        },
        digits: 3,
      },
    ],
    plots(records) {
      const curves: ChartSeries[] = [];
      for (const series of new Set(records.map((r) => r.series as string))) {
        const recs = records.filter((r) => r.series === series);
        let T = copyRepeatLength(1, 1);
        const points: [number, number][] = [[0, T]];
        for (const r of recs) {
          if (r.type !== 'advance') continue;
          points.push([r.batch as number, T]);
          T = r.T as number;
          points.push([r.batch as number, T]);
        }
        const last = recs.filter((r) => r.type === 'eval').at(-1);
        if (last) points.push([last.batch as number, T]);
        curves.push({ name: last ? `${last.group} s${last.seed}` : series, points });
      }
      return { 'curriculum.svg': lineChart({ title: 'copy-repeat: curriculum sequence length T', xLabel: 'training batch', yLabel: 'T = (R+1)·N + 3', series: curves }) };
    },
  },
};
