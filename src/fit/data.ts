/**
 * The data forms `fit` accepts, and one pass over them (an epoch of training data, or one
 * validation): an array of SeqBatch, an iterable or an async iterable of SeqBatch, or a function
 * returning a fresh (async) iterable for each pass. Each batch is checked as it comes out
 * (`check`), before anything uses it; a pass closes its iterator (`return()`) when it is left
 * before the end. No Node built-ins: this runs in browsers and workers.
 */
import type { SeqBatch } from '../data/batch.ts';
import type { AsyncDataSource } from '../experiments/loop.ts';
import { describe, fail } from '../validate.ts';

/** SeqBatch[] and re-iterable collections give the same batches at every pass; a generator object is used up after one. */
export type BatchIterable = Iterable<SeqBatch> | AsyncIterable<SeqBatch>;
export type FitData = BatchIterable | (() => BatchIterable);

const EXPECTED = 'an array of SeqBatch, an iterable or async iterable of SeqBatch, or a function returning one for each epoch';

function iterable(v: unknown): v is BatchIterable {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return false;
  return typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function' || typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** Checks the form of `data` (its batches are checked as they come). */
export function checkFitData(data: unknown, name: string): FitData {
  if (typeof data === 'function' || iterable(data)) return data as FitData;
  if (data !== null && typeof data === 'object' && 'x' in data && 'T' in data) fail(name, `${EXPECTED} (wrap a single batch in an array: [batch])`, data);
  return fail(name, EXPECTED, data);
}

/** One pass over the data: a loop source that checks each batch, and closes the iterator if left early. */
export interface BatchPass extends AsyncDataSource {
  /** batches handed out so far */
  readonly count: number;
  /** Closes the iterator unless the pass reached its end (awaited for async iterators). */
  close(): void | PromiseLike<unknown>;
}

/**
 * Opens a pass: calls `data` when it is a function, and takes its iterator. `check(batch, index)`
 * sees each batch (0-based index within the pass) before it is handed out, and throws to refuse it.
 */
export function openPass(data: FitData, name: string, check: (batch: SeqBatch, index: number) => void): BatchPass {
  const source = typeof data === 'function' ? data() : data;
  if (!iterable(source)) fail(`${name} (the function's result)`, 'an iterable or async iterable of SeqBatch', source);
  const it: Iterator<SeqBatch> | AsyncIterator<SeqBatch> =
    typeof (source as AsyncIterable<SeqBatch>)[Symbol.asyncIterator] === 'function' ? (source as AsyncIterable<SeqBatch>)[Symbol.asyncIterator]() : (source as Iterable<SeqBatch>)[Symbol.iterator]();
  let count = 0;
  let ended = false;
  const take = (r: IteratorResult<SeqBatch>): SeqBatch | null => {
    if (r === null || typeof r !== 'object') throw new Error(`${name}: its iterator's next(): expected an iterator result { value, done }, received ${describe(r)}`);
    if (r.done) {
      ended = true;
      return null;
    }
    check(r.value, count);
    count++;
    return r.value;
  };
  return {
    get count() {
      return count;
    },
    next() {
      const r = it.next();
      return isPromiseLike(r) ? Promise.resolve(r).then(take) : take(r);
    },
    close() {
      if (ended || typeof it.return !== 'function') return;
      ended = true;
      const r = it.return();
      return isPromiseLike(r) ? r : undefined;
    },
  };
}
