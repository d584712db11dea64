import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainLoop, trainLoopAsync, type DataSource, type LoopCallbacks } from '../../src/experiments/loop.ts';
import type { SeqBatch } from '../../src/data/batch.ts';
import { batches, params, setup } from '../fit/fixtures.ts';

/** A source over `data`, then null; with `async`, every batch arrives as a promise (typed as the sync loop takes it, to test its refusal). */
function sourceOf(data: SeqBatch[], async = false): DataSource {
  let i = 0;
  return {
    next: () => {
      const b = i < data.length ? data[i++] : null;
      return (async ? new Promise<SeqBatch | null>((resolve) => setTimeout(() => resolve(b), 1)) : b) as SeqBatch | null;
    },
  };
}

/** Callbacks that record what the loop calls, in order; with `async`, each returns a promise resolved later. */
function recorder(events: string[], async = false, stopAt = Infinity): LoopCallbacks {
  // typed as the sync loop takes them: trainLoopAsync takes them too, and trainLoop must refuse the promises
  const later = <T>(v: T) => (async ? new Promise<T>((resolve) => setTimeout(() => resolve(v), 1)) : v);
  return <LoopCallbacks>{
    stop: (done: number) => later(done >= stopAt),
    onBatch: (k: number, loss: number, data: SeqBatch) => later(void events.push(`batch ${k} ${loss} B=${data.B}`)),
    evaluate: (k: number) => later(void events.push(`evaluate ${k}`)),
    onBatchEnd: (k: number) => later(void events.push(`end ${k}`)),
  };
}

test('trainLoop and trainLoopAsync (async source and callbacks) run the same loop: the same calls in the same order, the same parameters bit for bit', async () => {
  const data = batches(7);
  for (const opts of [{ batches: 5, evalEvery: 2 }, { batches: 9, evalEvery: 3 }, { evalEvery: 4, evaluateFirst: false }, { batches: 6, start: 2 }]) {
    const syncEvents: string[] = [];
    const a = setup();
    const rs = trainLoop({ learner: a.learner, source: sourceOf(data), ...opts, callbacks: recorder(syncEvents) });
    const asyncEvents: string[] = [];
    const b = setup();
    const ra = await trainLoopAsync({ learner: b.learner, source: sourceOf(data, true), ...opts, callbacks: recorder(asyncEvents, true) });
    assert.deepEqual(asyncEvents, syncEvents, JSON.stringify(opts));
    assert.deepEqual(ra, rs);
    assert.deepEqual(params(b.model), params(a.model));
  }
});

test('trainLoop: the schedule: evaluation before training, every evalEvery batches and once after the last; a source that runs out ends the loop', () => {
  const data = batches(5);
  const run = (opts: object) => {
    const events: string[] = [];
    const r = trainLoop({ learner: setup().learner, source: sourceOf(data), ...opts, callbacks: recorder(events) });
    return { r, evals: events.filter((e) => e.startsWith('evaluate')).map((e) => Number(e.split(' ')[1])), batches: events.filter((e) => e.startsWith('batch')).length };
  };
  assert.deepEqual(run({ batches: 4, evalEvery: 3 }), { r: { batches: 4, stopped: false, exhausted: false }, evals: [0, 3, 4], batches: 4 });
  // the source runs out after 5: the last batch is evaluated once, whether or not the schedule hit it
  assert.deepEqual(run({ evalEvery: 2 }), { r: { batches: 5, stopped: false, exhausted: true }, evals: [0, 2, 4, 5], batches: 5 });
  assert.deepEqual(run({ evalEvery: 5, evaluateFirst: false }), { r: { batches: 5, stopped: false, exhausted: true }, evals: [5], batches: 5 });
  assert.deepEqual(run({ batches: 9 }), { r: { batches: 5, stopped: false, exhausted: true }, evals: [0, 5], batches: 5 });
  // a resumed loop (start 3) does not evaluate first, and counts from 3
  assert.deepEqual(run({ batches: 5, start: 3, evalEvery: 2 }), { r: { batches: 5, stopped: false, exhausted: false }, evals: [4, 5], batches: 2 });
});

test('trainLoop: stop before a batch ends the loop there', async () => {
  const events: string[] = [];
  const r = await trainLoopAsync({ learner: setup().learner, source: sourceOf(batches(5), true), batches: 5, callbacks: recorder(events, true, 2) });
  assert.deepEqual(r, { batches: 2, stopped: true, exhausted: false });
  assert.deepEqual(events.filter((e) => e.startsWith('end')), ['end 1', 'end 2']);
});

test('trainLoop refuses a source or callback returning a promise (trainLoopAsync awaits them); a rejected promise ends trainLoopAsync with its error', async () => {
  const data = batches(2);
  const { model, learner } = setup();
  const before = params(model);
  assert.throws(() => trainLoop({ learner, source: sourceOf(data, true) as never, batches: 2 }), /^Error: trainLoop: expected a synchronous source and callbacks, received a promise \(use trainLoopAsync\)$/);
  assert.throws(() => trainLoop({ learner, source: sourceOf(data), batches: 2, callbacks: { onBatchEnd: async () => {} } as never }), /received a promise/);
  const { model: want, learner: one } = setup();
  trainLoop({ learner: one, source: sourceOf(data), batches: 1 });
  assert.deepEqual(params(model), params(want), 'the batch before the promise was trained, nothing after');
  assert.notDeepEqual(params(model), before);
  const failing = new Error('the evaluation failed');
  await assert.rejects(trainLoopAsync({ learner: setup().learner, source: sourceOf(data), batches: 2, callbacks: { evaluate: (k) => (k === 2 ? Promise.reject(failing) : undefined) } }), (e) => e === failing);
});
