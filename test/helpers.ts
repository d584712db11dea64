import fc from 'fast-check';
import { createModel, type Model } from '../src/model/model.ts';
import { CELL_TYPES, cellVariants, type CellOptionFields, type CellType } from '../src/cells/registry.ts';
import type { LossKind, SeqBatch } from '../src/data/batch.ts';
import { Rng } from '../src/rng.ts';
import { alloc, type Arr, type DType } from '../src/tensor/dtype.ts';
import type { ModelGroups } from '../src/model/model.ts';

/** A registered cell type with one choice of its options, as createModel takes them. */
export type CellKind = { cell: CellType } & CellOptionFields;
/** Every registered cell under every choice of its options, from the registry: a new cell is covered without touching the tests. */
export const CELL_KINDS: CellKind[] = cellVariants().map((v) => ({ cell: v.type, ...v.options }) as CellKind);

/** The kinds of one registered cell type (the vanilla RNN: one per activation). */
export function kindsOf(type: CellType): CellKind[] {
  return CELL_KINDS.filter((k) => k.cell === type);
}

/** Calls `fn` once per registered cell type (e.g. to declare one property test per cell, so that none is left to chance). */
export function forEachCell(fn: (type: CellType, kinds: CellKind[]) => void): void {
  for (const type of CELL_TYPES) fn(type, kindsOf(type));
}
export const LOSSES: LossKind[] = ['mse', 'softmax-ce', 'sigmoid-bce'];

export interface Case {
  kind: CellKind;
  I: number;
  H: number;
  O: number;
  B: number;
  T: number;
  loss: LossKind;
  seed: number;
  /** 'all': a target at every step; 'last': only at the last; 'mixed': random */
  targets: 'all' | 'last' | 'mixed';
}

export const caseArb = (o: { maxH?: number; maxT?: number; maxB?: number; kinds?: CellKind[] } = {}): fc.Arbitrary<Case> =>
  fc.record({
    kind: fc.constantFrom(...(o.kinds ?? CELL_KINDS)),
    I: fc.integer({ min: 1, max: 5 }),
    H: fc.integer({ min: 1, max: o.maxH ?? 8 }),
    O: fc.integer({ min: 1, max: 4 }),
    B: fc.integer({ min: 1, max: o.maxB ?? 4 }),
    T: fc.integer({ min: 1, max: o.maxT ?? 7 }),
    loss: fc.constantFrom(...LOSSES),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    targets: fc.constantFrom('all' as const, 'last' as const, 'mixed' as const),
  });

/**
 * A number uniform in [lo, hi], with the ends now and then. fast-check's fc.double spreads its
 * draws over float64 bit patterns: in [0, 1] most fall below 1e-100 or are exactly 0 or 1, so
 * a λ or γ drawn that way is hardly ever an ordinary value.
 */
export const uniformArb = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.oneof({ arbitrary: fc.constantFrom(lo, hi), weight: 1 }, { arbitrary: fc.integer({ min: 0, max: 2 ** 30 }).map((i) => lo + ((hi - lo) * i) / 2 ** 30), weight: 4 });

/** A model with random weights (and a random non-zero synthesiser) for a case. */
export function makeModel(c: Case, dtype: DType = 'float64', synthScale = 0.3): Model {
  const m = createModel({ ...c.kind, inputSize: c.I, hiddenSize: c.H, outputSize: c.O, seed: c.seed, dtype, gain: 1.5 });
  const rng = new Rng(c.seed ^ 0x5bd1e995);
  for (const t of Object.values(m.synthesiser.params)) for (let i = 0; i < t.data.length; i++) t.data[i] = synthScale * rng.uniform(-1, 1);
  // spread the readout a little so losses have curvature
  for (const t of Object.values(m.readout.params)) for (let i = 0; i < t.data.length; i++) t.data[i] *= 2;
  return m;
}

/** A random batch for a case: inputs N(0,1), targets of the loss's kind. */
export function makeBatch(c: Case, dtype: DType = 'float64'): SeqBatch {
  const rng = new Rng(c.seed + 17);
  const x: Arr[] = [];
  const y: (Arr | null)[] = [];
  for (let t = 0; t < c.T; t++) {
    const xt = alloc(dtype, c.B * c.I);
    for (let i = 0; i < xt.length; i++) xt[i] = rng.normal();
    x.push(xt);
    const has = c.targets === 'all' || t === c.T - 1 || (c.targets === 'mixed' && rng.next() < 0.5);
    if (!has) {
      y.push(null);
      continue;
    }
    const yt = alloc(dtype, c.B * c.O);
    for (let b = 0; b < c.B; b++) {
      if (c.loss === 'softmax-ce') yt[b * c.O + rng.int(c.O)] = 1;
      else for (let o = 0; o < c.O; o++) yt[b * c.O + o] = c.loss === 'mse' ? rng.normal() : rng.next() < 0.5 ? 1 : 0;
    }
    y.push(yt);
  }
  return { T: c.T, B: c.B, inputSize: c.I, outputSize: c.O, loss: c.loss, x, y };
}

/** max |a − b| / (atol + |b|) style check; returns the worst relative error. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-10): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths differ (${a.length} vs ${b.length})`);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (atol + scale));
  return worst;
}

export function groupsErr(a: ModelGroups, b: ModelGroups, groups: (keyof ModelGroups)[] = ['cell', 'readout', 'synthesiser'], atol = 1e-10): number {
  let worst = 0;
  for (const g of groups) for (const k of Object.keys(a[g])) worst = Math.max(worst, relErr(a[g][k].data, b[g][k].data, atol));
  return worst;
}

export function flat(list: ArrayLike<number>[]): number[] {
  const out: number[] = [];
  for (const a of list) for (let i = 0; i < a.length; i++) out.push(a[i]);
  return out;
}

/** Five-point central finite differences (error O(h⁴)): bp-lambda/testing's. */
export { centralDiff, fivePoint } from '../src/testing.ts';

/** fast-check run count, smaller under CI=true to keep the suite fast on 2 cores. */
export const RUNS = Number(process.env.FC_RUNS ?? 40);
/** RUNS shared among the registered cells, for the expensive properties that run once per cell. */
export const RUNS_PER_CELL = Math.max(1, Math.ceil(RUNS / CELL_TYPES.length));

/** Every parameter of a model, flattened (cell, readout, synthesiser). */
export function allParams(m: { groups(): ModelGroups }): number[] {
  const g = m.groups();
  return flat([g.cell, g.readout, g.synthesiser].flatMap((group) => Object.values(group).map((t) => t.data)));
}

/**
 * Feeds a learner (already reset to batch B) 10 000 steps of a stream (inputs N(0, 1), a target
 * every third step) and asserts that its heap does not grow between step 1 000 and 10 000
 * (needs node --expose-gc).
 */
export function assertBoundedStream(learner: { step(x: Arr, y: Arr | null): { loss: number } }, B: number, I: number, O: number): void {
  const rng = new Rng(1);
  const x = new Float64Array(B * I);
  const y = new Float64Array(B * O);
  const gc = globalThis.gc as () => void;
  let heapAt1000 = 0;
  for (let t = 0; t < 10_000; t++) {
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
    for (let i = 0; i < y.length; i++) y[i] = Math.sin(x[0] + i);
    const r = learner.step(x, t % 3 === 0 ? y : null);
    if (!Number.isFinite(r.loss)) throw new Error(`step ${t}: loss ${r.loss}`);
    if (t === 999) {
      gc();
      heapAt1000 = process.memoryUsage().heapUsed;
    }
  }
  gc();
  const growth = process.memoryUsage().heapUsed - heapAt1000;
  if (!(growth < 1_000_000)) throw new Error(`heap grew by ${growth} bytes between step 1 000 and 10 000`);
}
