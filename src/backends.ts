/**
 * Choosing a backend with one option (entry point `bp-lambda/backends`):
 *
 *   await useBackend('wasm');                  // WebAssembly SIMD kernels (pure-JS fallback)
 *   await useBackend('workers', { workers: 2 }); // threads on shared memory (wasm/JS fallback)
 *   await useBackend('gpu', { mode: 'webgl2' }); // gpu.js, imported only now
 *   await useBackend('js');                    // the default pure-JS kernels
 *
 * Each backend module is imported lazily, so the core never loads gpu.js, worker_threads or
 * WebAssembly unless asked. The previous backend is returned so it can be restored; a backend
 * that holds threads or GPU resources has a `dispose()`. Where the runtime cannot run the
 * backend asked for (no WebAssembly SIMD; no shared memory, Atomics.wait or worker threads),
 * 'wasm' and 'workers' fall back to the next one that runs (workers → wasm → js, same bits)
 * and say so in the returned backend's `fallback`; pass `{ fallback: false }` for an error.
 */
import type { Backend } from './tensor/backend.ts';
import { JsBackend } from './tensor/js-backend.ts';
import { getBackend, setBackend } from './tensor/ops.ts';
import { checkOneOf } from './validate.ts';

export type BackendChoice = 'js' | 'wasm' | 'workers' | 'gpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['js', 'wasm', 'workers', 'gpu'];

/** Creates a backend by name, importing its module on demand. Options go to its factory. */
export async function createBackend(name: BackendChoice, options: Record<string, unknown> = {}): Promise<Backend> {
  switch (checkOneOf(name, BACKEND_CHOICES, 'createBackend: backend')) {
    case 'js':
      if (Object.keys(options).length) throw new Error(`createBackend: js: takes no options, received ${Object.keys(options).join(', ')}`);
      return new JsBackend();
    case 'wasm': {
      const { createWasmBackend } = await import('./tensor/wasm-backend.ts');
      return createWasmBackend(options);
    }
    case 'workers': {
      const { fallback, ...rest } = options;
      const { createWorkersBackend, ThreadsUnavailableError } = await import('./tensor/workers-backend.ts');
      try {
        return await createWorkersBackend(rest);
      } catch (e) {
        if (fallback === false || !(e instanceof ThreadsUnavailableError)) throw e;
        const { createWasmBackend } = await import('./tensor/wasm-backend.ts');
        const float32 = rest.float32 === 'f32x4' ? { float32: 'f32x4' as const } : {};
        return createWasmBackend(float32, `workers → wasm: ${e.message}`);
      }
    }
    case 'gpu': {
      const { createGpuBackend } = await import('./tensor/gpu-backend.ts');
      return createGpuBackend(options);
    }
  }
}

/** Makes the named backend the active one for every model and learner; returns the previous one. */
export async function useBackend(name: BackendChoice, options: Record<string, unknown> = {}): Promise<Backend> {
  const previous = getBackend();
  setBackend(await createBackend(name, options));
  return previous;
}
