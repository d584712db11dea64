import type { Backend } from './backend.ts';
import { JsBackend } from './js-backend.ts';
import { alloc, type Arr, type DType } from './dtype.ts';

/**
 * The one place that knows which backend is active. Cells and learners call `kernels()`;
 * users choose with `setBackend`. The default is the pure-JS backend. The choice lives in one
 * slot on globalThis, so every copy of this module in a page or process (the browser bundle,
 * `bp-lambda/backends` from dist/, another bundler's chunk) shares it.
 */
const SLOT = Symbol.for('bp-lambda.activeBackend');
const registry: { backend: Backend } = ((globalThis as { [SLOT]?: { backend: Backend } })[SLOT] ??= { backend: new JsBackend() });

export function kernels(): Backend {
  return registry.backend;
}

export function setBackend(backend: Backend): void {
  if (!backend || typeof backend.gemm !== 'function' || typeof backend.jacobianMatmul !== 'function') {
    throw new Error(`setBackend: expected an object implementing Backend (gemm, jacobianMatmul), received ${String(backend)}`);
  }
  registry.backend = backend;
}

export function getBackend(): Backend {
  return registry.backend;
}

/** A working buffer from the active backend (shared memory where it wants it). */
export function allocBuffer(dtype: DType, length: number): Arr {
  const b = registry.backend;
  return b.alloc ? b.alloc(dtype, length) : alloc(dtype, length);
}
