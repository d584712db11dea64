import type { Backend } from './backend.ts';
import { JsBackend } from './js-backend.ts';
import { alloc, type Arr, type DType } from './dtype.ts';

/**
 * The one place that knows which backend is active. Cells and learners call `kernels()`;
 * users choose with `setBackend`. The default is the pure-JS backend.
 */
let active: Backend = new JsBackend();

export function kernels(): Backend {
  return active;
}

export function setBackend(backend: Backend): void {
  if (!backend || typeof backend.gemm !== 'function' || typeof backend.jacobianMatmul !== 'function') {
    throw new Error(`setBackend: expected an object implementing Backend (gemm, jacobianMatmul), received ${String(backend)}`);
  }
  active = backend;
}

export function getBackend(): Backend {
  return active;
}

/** A working buffer from the active backend (shared memory where it wants it). */
export function allocBuffer(dtype: DType, length: number): Arr {
  return active.alloc ? active.alloc(dtype, length) : alloc(dtype, length);
}
