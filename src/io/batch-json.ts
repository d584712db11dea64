import { LOSS_KINDS, type SeqBatch } from '../data/batch.ts';
import type { Arr, DType } from '../tensor/dtype.ts';
import { checkOneOf, describe } from '../validate.ts';
import { checkLengths, checkSeqBatch, checkTargets } from '../data/validate-batch.ts';
import { zeroRows } from '../data/step-rows.ts';
import { expectObject, nonEmptyShape, parseJsonText, readNested, toNestedArray } from './nested.ts';

/**
 * Batch JSON (DESIGN.md): { "x": [T][B][I], "y": [T] of ([B][O] | null), "loss": "mse" | "softmax-ce" | "sigmoid-bce",
 * "lengths"?: [B] }. For softmax-ce the target rows are one-hot (soft targets summing to 1 are
 * accepted too). With "lengths" (per example, its number of steps in [1, T]), the entries of an
 * example past its length are padding: they must still be numbers (JSON has no NaN), are not
 * checked against the loss, and are stored as 0, as `makeBatch` does.
 */
export function batchFromJson(json: unknown, dtype: DType = 'float64', name = 'batch'): SeqBatch {
  const root = expectObject(json, name, { required: ['x', 'y', 'loss'], optional: ['lengths'] });
  const loss = checkOneOf(root.loss, LOSS_KINDS, `${name}.loss`);
  const { T, B, inputSize: I, x, lengths, padding } = sequenceWithLengths(root, name, dtype);
  if (!Array.isArray(root.y)) throw new Error(`${name}.y: expected an array of length ${T} (one entry per step, null where there is no target), received ${describe(root.y)}`);
  if (root.y.length !== T) throw new Error(`${name}.y: expected length ${T} (one entry per step of x), received length ${root.y.length}`);
  let O: number | undefined;
  const y: (Arr | null)[] = [];
  for (let t = 0; t < T; t++) {
    const yt = root.y[t];
    if (yt === null) {
      y.push(null);
      continue;
    }
    if (O === undefined) {
      if (!Array.isArray(yt) || yt.length === 0) throw new Error(`${name}.y[${t}]: expected null or a non-empty array of shape [${B}][O], received ${describe(yt)}`);
      O = nonEmptyShape(yt, ['B', 'O'], `${name}.y[${t}]`, 'y[t]')[1];
    }
    const arr = readNested(yt, [B, O], `${name}.y[${t}]`, dtype);
    if (padding) zeroRows(arr, padding[t], O);
    checkTargets(loss, arr, B, O, `${name}.y[${t}]`, padding?.[t]);
    y.push(arr);
  }
  if (O === undefined) throw new Error(`${name}.y: expected at least one step with targets, received only null`);
  return { T, B, inputSize: I, outputSize: O, loss, x, y, ...(lengths ? { lengths } : {}) };
}

/**
 * x of a batch JSON object and its optional "lengths" (B integers in [1, T]): x's padding rows
 * set to 0, and per step the flags of the examples that have ended (null without lengths).
 */
export function sequenceWithLengths(root: Record<string, unknown>, name: string, dtype: DType = 'float64'): { T: number; B: number; inputSize: number; x: Arr[]; lengths: number[] | null; padding: Uint8Array[] | null } {
  const seq = sequenceFromJson(root.x, `${name}.x`, dtype);
  if (root.lengths === undefined) return { ...seq, lengths: null, padding: null };
  if (!Array.isArray(root.lengths)) throw new Error(`${name}.lengths: expected an array of ${seq.B} integers in [1, ${seq.T}] (one per example), received ${describe(root.lengths)}`);
  const padding = checkLengths(root.lengths, seq.T, seq.B, `${name}.lengths`);
  for (let t = 0; t < seq.T; t++) zeroRows(seq.x[t], padding[t], seq.inputSize);
  return { ...seq, lengths: (root.lengths as number[]).slice(), padding };
}

/** Inputs x as nested arrays [T][B][I] (T, B, I ≥ 1, finite) → x_t, each B×I row-major. Errors name `name` and the index. */
export function sequenceFromJson(value: unknown, name: string, dtype: DType = 'float64'): { T: number; B: number; inputSize: number; x: Arr[] } {
  const [T, B, I] = nonEmptyShape(value, ['T', 'B', 'I'], name, 'x');
  const xAll = readNested(value, [T, B, I], name, dtype);
  const x: Arr[] = [];
  for (let t = 0; t < T; t++) x.push(xAll.subarray(t * B * I, (t + 1) * B * I) as Arr);
  return { T, B, inputSize: I, x };
}

export function batchFromJsonText(text: string, dtype: DType = 'float64', name = 'batch'): SeqBatch {
  return batchFromJson(parseJsonText(text, name), dtype, name);
}

/**
 * Batch JSON of a SeqBatch, its "lengths" included; padding entries are written as 0 (they may
 * hold anything). The batch is checked first (checkSeqBatch: sizes, step lengths, finite
 * values, targets its loss accepts); an error names the field.
 */
export function batchToJson(batch: SeqBatch): unknown {
  checkSeqBatch(batch, null, 'batchToJson: batch');
  const padding = batch.lengths === undefined ? null : checkLengths(batch.lengths, batch.T, batch.B, 'batchToJson: batch.lengths');
  const rows = (a: Arr, t: number, width: number) => {
    if (padding === null) return toNestedArray(a, [batch.B, width]);
    const copy = a.slice() as Arr;
    zeroRows(copy, padding[t], width);
    return toNestedArray(copy, [batch.B, width]);
  };
  return {
    x: batch.x.map((xt, t) => rows(xt, t, batch.inputSize)),
    y: batch.y.map((yt, t) => (yt ? rows(yt, t, batch.outputSize) : null)),
    loss: batch.loss,
    ...(batch.lengths === undefined ? {} : { lengths: Array.from(batch.lengths) }),
  };
}
