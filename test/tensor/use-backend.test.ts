import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend, useBackend } from '../../src/backends.ts';
import { getBackend, setBackend } from '../../src/tensor/ops.ts';
import { createModel } from '../../src/model/model.ts';
import { createLearner, trainSequence } from '../../src/learners/index.ts';
import { Rng } from '../../src/rng.ts';
import { CELL_TYPES, type CellType } from '../../src/cells/registry.ts';
import type { SeqBatch } from '../../src/data/batch.ts';

function batch(): SeqBatch {
  const rng = new Rng(3);
  const T = 5;
  const B = 3;
  return {
    T,
    B,
    inputSize: 2,
    outputSize: 2,
    loss: 'mse',
    x: Array.from({ length: T }, () => Float64Array.from({ length: B * 2 }, () => rng.normal())),
    y: Array.from({ length: T }, () => Float64Array.from({ length: B * 2 }, () => rng.normal())),
  };
}

const grads = (cell: CellType) => {
  const m = createModel({ cell, inputSize: 2, hiddenSize: 5, outputSize: 2, seed: 4 });
  for (const t of Object.values(m.synthesiser.params)) t.data.fill(0.05);
  return trainSequence(createLearner('bp-lambda', m, { loss: 'mse', lambda: 0.9, gamma: 0.9 }), batch()).grads;
};

test('useBackend switches every learner to the chosen backend and back; BP(λ) gradients agree with the JS backend for every cell', async () => {
  const original = getBackend();
  const want = CELL_TYPES.map(grads);
  for (const name of ['wasm', 'workers', 'js'] as const) {
    const previous = await useBackend(name);
    const active = getBackend();
    try {
      assert.equal(previous, original);
      assert.notEqual(active, original);
      CELL_TYPES.forEach((cell, c) => {
        const got = grads(cell);
        for (const g of ['cell', 'readout', 'synthesiser'] as const)
          for (const [k, t] of Object.entries(want[c][g])) {
            const a = got[g][k].data;
            for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - t.data[i]) <= 1e-12 * Math.max(1, Math.abs(t.data[i])), `${name} ${cell} ${g}.${k}[${i}]`);
          }
      });
    } finally {
      setBackend(previous);
      (active as { dispose?: () => void }).dispose?.();
    }
  }
  assert.equal(getBackend(), original);
});

test('createBackend rejects unknown names and options', async () => {
  await assert.rejects(createBackend('cuda' as never), /createBackend: backend: expected one of "js", "wasm", "workers", "gpu", received "cuda"/);
  await assert.rejects(createBackend('js', { threads: 2 }), /js: takes no options, received threads/);
});

test("useBackend('gpu') in Node takes gpu.js's CPU mode and says once that it is a CPU fallback; a GL mode asked by name is a plain error", async (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const original = getBackend();
  for (let i = 0; i < 2; i++) {
    const previous = await useBackend('gpu');
    const active = getBackend() as unknown as { mode: string; name: string; dispose(): void };
    setBackend(previous);
    assert.equal(active.mode, 'webasm');
    assert.equal(active.name, 'gpujs-webasm');
    active.dispose();
  }
  assert.equal(warn.mock.callCount(), 1, 'announced once per process');
  assert.match(String(warn.mock.calls[0].arguments[0]), /^bp-lambda: useBackend\('gpu'\): no WebGL2, WebGL or headless-gl context in this runtime, so gpu\.js runs its kernels on the CPU \(mode "webasm", float32\)\. This is a CPU fallback, slower than useBackend\('wasm'\)/);
  for (const mode of ['webgl2', 'webgl']) {
    await assert.rejects(useBackend('gpu', { mode }), {
      message: new RegExp(`^createBackend: gpu: mode "${mode}" is not available in this runtime: it needs a browser \\(or a worker with OffscreenCanvas\\) with WebGL\\. Use mode "gpu" .*\\(gpu\\.js: A requested mode of "${mode}" and is not supported\\)$`),
    });
  }
  await assert.rejects(useBackend('gpu', { mode: 'headlessgl' }), /mode "headlessgl" is not available in this runtime: it needs Node with the `gl` addon/);
  assert.equal(getBackend(), original, 'a failed switch changes nothing');
});
