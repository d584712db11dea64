import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { createBackend, useBackend } from '../../src/backends.ts';
import { getBackend, setBackend } from '../../src/tensor/ops.ts';
import { createModel } from '../../src/model/model.ts';
import { fromNdarray } from '../../src/ndarray.ts';
import { Rng } from '../../src/rng.ts';
import ndarray from 'ndarray';

test('one backend registry: after useBackend(…) from bp-lambda/backends, a separately bundled core (the browser bundle) uses it too', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bp-lambda-bundle-'));
  const original = getBackend();
  try {
    // the browser bundle's recipe (scripts/build-browser.mjs): its own copy of every core module
    await build({ entryPoints: ['src/index.ts'], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(dir, 'core.mjs'), logLevel: 'warning' });
    const bundle = (await import(pathToFileURL(join(dir, 'core.mjs')).href)) as { getBackend(): unknown; setBackend(b: unknown): void };
    assert.equal(bundle.getBackend(), original);
    const previous = await useBackend('wasm');
    try {
      assert.notEqual(getBackend(), original);
      assert.equal(bundle.getBackend(), getBackend(), 'the bundle sees the backend chosen through bp-lambda/backends');
      bundle.setBackend(previous);
      assert.equal(getBackend(), previous, 'and the other way round');
    } finally {
      setBackend(original);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('createBackend/useBackend reject unknown options and bad values, naming them', async () => {
  const cases: [Parameters<typeof createBackend>, RegExp][] = [
    [['workers', { workrs: 2 }], /createBackend: workers: unknown option "workrs" \(known: workers, kernels, float32, minParallelFlops, stallTimeoutMs, spawn, fallback\)/],
    [['workers', { kernels: 'cuda' }], /createBackend: workers: kernels: expected one of "wasm", "js", received "cuda"/],
    [['wasm', { float32: 'f16' }], /createBackend: wasm: float32: expected one of "f64x2", "f32x4", received "f16"/],
    [['gpu', { mdoe: 'cpu' }], /createBackend: gpu: unknown option "mdoe"/],
    [['workers', { workers: 0 }], /createBackend: workers: workers: expected an integer ≥ 1, received 0/],
    [['wasm', { fallback: 'no' }], /createBackend: wasm: fallback: expected a boolean, received "no"/],
  ];
  for (const [args, re] of cases) {
    await assert.rejects(createBackend(...args), re);
    await assert.rejects(useBackend(...args), re);
  }
});

test('seeds: createModel takes signed 32-bit seeds only (2³² would repeat seed 0); Rng refuses seeds beyond 32 bits; an all-zero Rng state is refused', () => {
  const spec = { cell: 'rnn' as const, inputSize: 1, hiddenSize: 2, outputSize: 1 };
  assert.throws(() => createModel({ ...spec, seed: 2 ** 32 }), /createModel: seed: expected an integer in \[-2147483648, 2147483647\], received 4294967296/);
  assert.throws(() => createModel({ ...spec, seed: 2 ** 31 }), /createModel: seed/);
  createModel({ ...spec, seed: 2 ** 31 - 1 });
  createModel({ ...spec, seed: -(2 ** 31) });
  assert.throws(() => new Rng(2 ** 32), /seed: expected a 32-bit integer in \[-2147483648, 4294967295\], received 4294967296/);
  assert.throws(() => new Rng(Date.UTC(2024, 0, 1)), /seed: expected a 32-bit integer/);
  assert.deepEqual(new Rng(-1).getState(), new Rng(2 ** 32 - 1).getState()); // documented: taken modulo 2³²
  assert.throws(() => Rng.fromState([0, 0, 0, 0]), /not all zero/);
});

test('fromNdarray refuses a dtype it cannot produce', () => {
  const v = ndarray(new Float64Array([1, 2]), [2]);
  assert.throws(() => fromNdarray(v, 'float16' as never), /fromNdarray: dtype: expected "float64" or "float32", received "float16"/);
  assert.ok(fromNdarray(v, 'float32').data instanceof Float32Array);
});
