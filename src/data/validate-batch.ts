import { checkInt, checkOneOf, describe } from '../validate.ts';
import { LOSS_KINDS, type LossKind, type SeqBatch } from './batch.ts';

/**
 * The targets a loss accepts: one rule for `learner.step`, the batch JSON loader and every
 * function that takes a SeqBatch. mse: any finite values; softmax-ce: rows of non-negative
 * values summing to 1 within 1e-6 (one-hot, or soft targets); sigmoid-bce: values in [0, 1].
 * `y` is B×O row-major and already known to be finite. Rows b with held[b] = 1 (examples that
 * sit the step out) are not read. Throws naming `name`, the row and value.
 */
export function checkTargets(loss: LossKind, y: ArrayLike<number>, B: number, O: number, name: string, held?: Uint8Array): void {
  if (loss === 'softmax-ce') {
    for (let r = 0; r < B; r++) {
      if (held?.[r]) continue;
      let s = 0;
      for (let o = 0; o < O; o++) {
        const v = y[r * O + o];
        if (v < 0) throw new Error(`${name}[${r}]: softmax-ce targets must be one-hot (non-negative, summing to 1), received ${v} at [${o}]`);
        s += v;
      }
      if (Math.abs(s - 1) > 1e-6) throw new Error(`${name}[${r}]: softmax-ce targets must be one-hot (summing to 1), received a row summing to ${+s.toPrecision(12)}`);
    }
  } else if (loss === 'sigmoid-bce') {
    for (let i = 0; i < y.length; i++) {
      if (held?.[Math.floor(i / O)]) continue;
      if (y[i] < 0 || y[i] > 1) throw new Error(`${name}: sigmoid-bce targets must lie in [0, 1], received ${y[i]} at flat index ${i}`);
    }
  }
}

/**
 * A Float64Array or Float32Array of exactly `length` finite values; with `held`, the rows
 * (of length / held.length values) of examples that sit the step out are not read.
 */
export function checkStepArray(v: unknown, length: number, name: string, held?: Uint8Array): void {
  if (!(v instanceof Float64Array || v instanceof Float32Array)) throw new Error(`${name}: expected a Float64Array or Float32Array of length ${length}, received ${describe(v)}`);
  if (v.length !== length) throw new Error(`${name}: expected length ${length}, received length ${v.length}`);
  const width = held ? length / held.length : length;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]) && !held?.[Math.floor(i / width)]) throw new Error(`${name}: expected finite values, received ${v[i]} at index ${i}`);
  }
}

/**
 * Checks a whole SeqBatch, against a model's input and output widths when `model` is given
 * (widths ≥ 1 otherwise): T, B ≥ 1, a known loss, x[t] and y[t] (or null) of the right
 * lengths, finite, with targets the loss accepts; `lengths`, when given, B integers in [1, T],
 * and the padding past them is not read.
 */
export function checkSeqBatch(batch: SeqBatch, model: { readonly inputSize: number; readonly outputSize: number } | null, name: string): void {
  if (batch === null || typeof batch !== 'object') throw new Error(`${name}: expected a SeqBatch { T, B, inputSize, outputSize, loss, x, y }, received ${describe(batch)}`);
  const T = checkInt(batch.T, `${name}.T`, 1);
  const B = checkInt(batch.B, `${name}.B`, 1);
  const I = model === null ? checkInt(batch.inputSize, `${name}.inputSize`, 1) : model.inputSize;
  const O = model === null ? checkInt(batch.outputSize, `${name}.outputSize`, 1) : model.outputSize;
  if (batch.inputSize !== I) throw new Error(`${name}.inputSize: expected ${I} (the model's), received ${describe(batch.inputSize)}`);
  if (batch.outputSize !== O) throw new Error(`${name}.outputSize: expected ${O} (the model's), received ${describe(batch.outputSize)}`);
  const loss = checkOneOf(batch.loss, LOSS_KINDS, `${name}.loss`);
  for (const k of ['x', 'y'] as const) {
    if (!Array.isArray(batch[k]) || batch[k].length !== T) throw new Error(`${name}.${k}: expected an array of ${T} steps, received ${describe(batch[k])}`);
  }
  const padding = batch.lengths === undefined ? null : checkLengths(batch.lengths, T, B, `${name}.lengths`);
  for (let t = 0; t < T; t++) {
    const held = padding?.[t];
    checkStepArray(batch.x[t], B * I, `${name}.x[${t}] (batch ${B} × inputSize ${I})`, held);
    const y = batch.y[t];
    if (y === null) continue;
    checkStepArray(y, B * O, `${name}.y[${t}] (batch ${B} × outputSize ${O})`, held);
    checkTargets(loss, y, B, O, `${name}.y[${t}]`, held);
  }
}

/**
 * Checks per-example lengths (B integers in [1, T]); returns, per step, 1 for the examples
 * whose sequence has ended (their padding).
 */
export function checkLengths(lengths: unknown, T: number, B: number, name: string): Uint8Array[] {
  const a = lengths as ArrayLike<unknown> | null;
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') throw new Error(`${name}: expected an array of ${B} integers in [1, ${T}] (one per example), received ${describe(lengths)}`);
  if (a.length !== B) throw new Error(`${name}: expected length ${B} (the batch size), received length ${a.length}`);
  for (let b = 0; b < B; b++) checkInt(a[b], `${name}[${b}]`, 1, T);
  return Array.from({ length: T }, (_, t) => Uint8Array.from({ length: B }, (_, b) => ((a[b] as number) <= t ? 1 : 0)));
}
