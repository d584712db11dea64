import fc from 'fast-check';
import type { LossKind, SeqBatch } from '../data/batch.ts';
import { LOSS_KINDS } from '../data/batch.ts';
import { cellVariants, type CellType } from '../cells/registry.ts';
import { createModel, type Model, type ModelSpec } from '../model/model.ts';
import { Rng } from '../rng.ts';
import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import { checkInt, checkOptions, describe } from '../validate.ts';

/**
 * fast-check arbitraries for models and batches (fast-check is an optional peer dependency of
 * `bp-lambda/testing`; the core never imports it). Values are built from small integers and a
 * seed, so fast-check shrinks them to small sizes and simple seeds.
 */

export interface ModelArbOptions {
  /** registered cell types to draw from (default: every one, under every choice of its options) */
  cells?: readonly CellType[];
  /** largest input size I (default 4), hidden size H (default 6), output size O (default 3) */
  maxInput?: number;
  maxHidden?: number;
  maxOutput?: number;
  dtype?: DType;
  /** draw the synthesiser's W and b uniformly from (−scale, scale) (default 0.3; 0 keeps it zero) */
  synthesiserScale?: number;
}

function readMax(v: unknown, name: string, dflt: number): number {
  return v === undefined ? dflt : checkInt(v, name, 1);
}

/** Models over the registered cells, seeded (createModel with gain 1.5) and with a random synthesiser. */
export function modelArb(options: ModelArbOptions = {}): fc.Arbitrary<Model> {
  checkOptions(options, ['cells', 'maxInput', 'maxHidden', 'maxOutput', 'dtype', 'synthesiserScale'], 'modelArb');
  const variants = cellVariants().filter((v) => options.cells === undefined || options.cells.includes(v.type));
  if (variants.length === 0) throw new Error(`modelArb: cells: expected registered cell types, received ${describe(options.cells)}`);
  const scale = options.synthesiserScale ?? 0.3;
  return fc
    .record({
      variant: fc.constantFrom(...variants),
      I: fc.integer({ min: 1, max: readMax(options.maxInput, 'modelArb: maxInput', 4) }),
      H: fc.integer({ min: 1, max: readMax(options.maxHidden, 'modelArb: maxHidden', 6) }),
      O: fc.integer({ min: 1, max: readMax(options.maxOutput, 'modelArb: maxOutput', 3) }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .map(({ variant, I, H, O, seed }) => {
      const spec = { cell: variant.type, ...variant.options, inputSize: I, hiddenSize: H, outputSize: O, seed, dtype: options.dtype ?? 'float64', gain: 1.5 } as ModelSpec;
      const m = createModel(spec);
      const rng = new Rng(seed ^ 0x5bd1e995);
      for (const t of Object.values(m.synthesiser.params)) for (let i = 0; i < t.data.length; i++) t.data[i] = scale * rng.uniform(-1, 1);
      return m;
    });
}

export interface BatchArbOptions {
  /** largest T (default 8) and B (default 4) */
  maxSteps?: number;
  maxBatch?: number;
  /** the losses to draw from (default all three) */
  losses?: readonly LossKind[];
  /** 'all': a target at every step; 'last': at the last only; 'mixed' (default): each step at random */
  targets?: 'all' | 'last' | 'mixed';
  /** draw per-example lengths in [1, T] (default false) */
  lengths?: boolean;
  dtype?: DType;
}

/**
 * Batches for a model's sizes (inputs N(0, 1), targets of the loss's kind: one-hot rows for
 * softmax-ce, 0/1 for sigmoid-bce, N(0, 1) for mse), optionally with per-example lengths.
 */
export function batchArb(sizes: { inputSize: number; outputSize: number }, options: BatchArbOptions = {}): fc.Arbitrary<SeqBatch> {
  checkOptions(options, ['maxSteps', 'maxBatch', 'losses', 'targets', 'lengths', 'dtype'], 'batchArb');
  const I = checkInt(sizes?.inputSize, 'batchArb: sizes.inputSize', 1);
  const O = checkInt(sizes?.outputSize, 'batchArb: sizes.outputSize', 1);
  const losses = options.losses ?? LOSS_KINDS;
  const targets = options.targets ?? 'mixed';
  const dtype = options.dtype ?? 'float64';
  return fc
    .record({
      T: fc.integer({ min: 1, max: readMax(options.maxSteps, 'batchArb: maxSteps', 8) }),
      B: fc.integer({ min: 1, max: readMax(options.maxBatch, 'batchArb: maxBatch', 4) }),
      loss: fc.constantFrom(...losses),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    })
    .map(({ T, B, loss, seed }) => {
      const rng = new Rng(seed);
      const x: Arr[] = [];
      const y: (Arr | null)[] = [];
      for (let t = 0; t < T; t++) {
        x.push(alloc(dtype, B * I).map(() => rng.normal()) as Arr);
        if (!(targets === 'all' || t === T - 1 || (targets === 'mixed' && rng.next() < 0.5))) {
          y.push(null);
          continue;
        }
        const yt = alloc(dtype, B * O);
        for (let b = 0; b < B; b++) {
          if (loss === 'softmax-ce') yt[b * O + rng.int(O)] = 1;
          else for (let o = 0; o < O; o++) yt[b * O + o] = loss === 'mse' ? rng.normal() : rng.next() < 0.5 ? 1 : 0;
        }
        y.push(yt);
      }
      const lengths = options.lengths ? Array.from({ length: B }, () => 1 + rng.int(T)) : undefined;
      return { T, B, inputSize: I, outputSize: O, loss, x, y, ...(lengths ? { lengths } : {}) };
    });
}

/** A model and a batch for it (the batch drawn for the model's sizes). */
export function modelAndBatchArb(model: ModelArbOptions = {}, batch: BatchArbOptions = {}): fc.Arbitrary<{ model: Model; batch: SeqBatch }> {
  return modelArb(model).chain((m) => batchArb(m, { dtype: model.dtype, ...batch }).map((b) => ({ model: m, batch: b })));
}
