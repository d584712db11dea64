import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/backends.ts';
import type { Backend } from '../../src/tensor/backend.ts';

/**
 * Where the runtime lacks a capability, createBackend falls back (workers → wasm → js) and the
 * backend says why in `fallback`; `{ fallback: false }` turns that into an error. The missing
 * capability is simulated by hiding a global for the duration of one call.
 */
async function without<T>(name: 'WebAssembly' | 'SharedArrayBuffer', run: () => Promise<T>): Promise<T> {
  const g = globalThis as Record<string, unknown>;
  const saved = Object.getOwnPropertyDescriptor(g, name)!;
  delete g[name];
  try {
    return await run();
  } finally {
    Object.defineProperty(g, name, saved);
  }
}

test('runtimes: asked-for backends run as such where the runtime has what they need (no fallback note)', async () => {
  const wasm = await createBackend('wasm');
  assert.equal(wasm.name, 'wasm');
  assert.equal(wasm.fallback, undefined);
  assert.equal((await createBackend('js')).fallback, undefined);
});

test('runtimes: without WebAssembly, wasm falls back to js and says so; fallback: false throws', async () => {
  const b = await without('WebAssembly', () => createBackend('wasm'));
  assert.equal(b.name, 'js');
  assert.equal(b.fallback, 'wasm → js: WebAssembly with SIMD is not available in this runtime');
  await assert.rejects(without('WebAssembly', () => createBackend('wasm', { fallback: false })), /WebAssembly with SIMD is not available/);
});

test('runtimes: without shared memory, workers falls back to wasm (or js) and says so; fallback: false throws', async () => {
  const b: Backend = await without('SharedArrayBuffer', () => createBackend('workers', { workers: 1 }));
  assert.equal(b.name, 'wasm');
  assert.match(b.fallback ?? '', /^workers → wasm: workers backend: SharedArrayBuffer is not available/);
  const js = await without('SharedArrayBuffer', () => without('WebAssembly', () => createBackend('workers', { workers: 1 })));
  assert.equal(js.name, 'js');
  assert.match(js.fallback ?? '', /^workers → wasm: .*SharedArrayBuffer.*; wasm → js: WebAssembly with SIMD is not available/);
  await assert.rejects(without('SharedArrayBuffer', () => createBackend('workers', { workers: 1, fallback: false })), /SharedArrayBuffer is not available/);
  // invalid options are errors, not reasons to fall back
  await assert.rejects(createBackend('workers', { workers: 0 }), /workers: expected an integer ≥ 1, received 0/);
});
