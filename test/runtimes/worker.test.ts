import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import * as lib from '../../src/index.ts';
import { trainFixture, type FixtureRun } from './fixture.ts';

function inWorker(): Promise<FixtureRun[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./tsx-worker.mjs', import.meta.url), { workerData: { entry: new URL('./worker-entry.ts', import.meta.url).href } });
    worker.once('message', (m: FixtureRun[]) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with code ${code}`)));
  });
}

test('runtimes: BP(λ) inside a worker_threads worker gives bit-identical numbers to the main thread', async () => {
  const main = trainFixture(lib);
  const worker = await inWorker();
  assert.deepEqual(worker.map((r) => r.cell), [...lib.CELL_TYPES]);
  for (const run of main) {
    assert.ok(run.losses.every(Number.isFinite), `${run.cell}: finite losses`);
    assert.ok(run.losses[run.losses.length - 1] < run.losses[0], `${run.cell}: the loss decreases: ${run.losses}`);
  }
  // deepStrictEqual compares numbers with Object.is: bit-identical (structured clone keeps doubles exact)
  assert.deepStrictEqual(worker, main);
});
