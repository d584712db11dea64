import type { Backend } from '../src/tensor/backend.ts';
import { JsBackend } from '../src/tensor/js-backend.ts';

export type BackendName = 'js' | 'workers' | 'gpu' | 'wasm';
export const BACKEND_NAMES: readonly BackendName[] = ['js', 'workers', 'gpu', 'wasm'];

/** Creates a backend by name; the optional ones are imported lazily. `dispose` frees workers. */
export async function makeBackend(name: BackendName, opts: { workers?: number; float32?: boolean } = {}): Promise<{ backend: Backend; dispose: () => void }> {
  switch (name) {
    case 'js':
      return { backend: new JsBackend(), dispose: () => {} };
    case 'workers': {
      const { createWorkersBackend } = await import('../src/tensor/workers-backend.ts');
      const b = await createWorkersBackend({ workers: opts.workers ?? 2, ...(opts.float32 ? { float32: 'f32x4' as const } : {}) });
      return { backend: b, dispose: () => b.dispose() };
    }
    case 'gpu': {
      const { createGpuBackend } = await import('../src/tensor/gpu-backend.ts');
      const b = await createGpuBackend({});
      return { backend: b, dispose: () => (b as unknown as { dispose?: () => void }).dispose?.() };
    }
    case 'wasm': {
      const { createWasmBackend } = await import('../src/tensor/wasm-backend.ts');
      const b = await createWasmBackend(opts.float32 ? { float32: 'f32x4' } : {});
      return { backend: b, dispose: () => (b as unknown as { dispose?: () => void }).dispose?.() };
    }
  }
}
