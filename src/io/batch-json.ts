import { LOSS_KINDS, type SeqBatch } from '../data/batch.ts';
import type { Arr, DType } from '../tensor/dtype.ts';
import { checkOneOf, describe } from '../validate.ts';
import { checkTargets } from '../data/validate-batch.ts';
import { expectObject, leadingShape, parseJsonText, readNested, toNestedArray } from './nested.ts';

/**
 * Batch JSON (DESIGN.md): { "x": [T][B][I], "y": [T] of ([B][O] | null), "loss": "mse" | "softmax-ce" | "sigmoid-bce" }.
 * For softmax-ce the target rows are one-hot (soft targets summing to 1 are accepted too).
 */
export function batchFromJson(json: unknown, dtype: DType = 'float64', name = 'batch'): SeqBatch {
  const root = expectObject(json, name, { required: ['x', 'y', 'loss'] });
  const loss = checkOneOf(root.loss, LOSS_KINDS, `${name}.loss`);
  const { T, B, inputSize: I, x } = sequenceFromJson(root.x, `${name}.x`, dtype);
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
      O = leadingShape(yt, 2)[1];
      if (!O) throw new Error(`${name}.y[${t}]: expected null or an array of shape [${B}][O] with O ≥ 1, received ${describe(yt)}`);
    }
    const arr = readNested(yt, [B, O], `${name}.y[${t}]`, dtype);
    checkTargets(loss, arr, B, O, `${name}.y[${t}]`);
    y.push(arr);
  }
  if (O === undefined) throw new Error(`${name}.y: expected at least one step with targets, received only null`);
  return { T, B, inputSize: I, outputSize: O, loss, x, y };
}

/** Inputs x as nested arrays [T][B][I] (T, B, I ≥ 1, finite) → x_t, each B×I row-major. Errors name `name` and the index. */
export function sequenceFromJson(value: unknown, name: string, dtype: DType = 'float64'): { T: number; B: number; inputSize: number; x: Arr[] } {
  const [T, B, I] = leadingShape(value, 3);
  if (!T || !B || !I) throw new Error(`${name}: expected a non-empty array of shape [T][B][I], received ${describe(value)}`);
  const xAll = readNested(value, [T, B, I], name, dtype);
  const x: Arr[] = [];
  for (let t = 0; t < T; t++) x.push(xAll.subarray(t * B * I, (t + 1) * B * I) as Arr);
  return { T, B, inputSize: I, x };
}

export function batchFromJsonText(text: string, dtype: DType = 'float64', name = 'batch'): SeqBatch {
  return batchFromJson(parseJsonText(text, name), dtype, name);
}

export function batchToJson(batch: SeqBatch): unknown {
  return {
    x: batch.x.map((xt) => toNestedArray(xt, [batch.B, batch.inputSize])),
    y: batch.y.map((yt) => (yt ? toNestedArray(yt, [batch.B, batch.outputSize]) : null)),
    loss: batch.loss,
  };
}
