/** The kernels of a run: `--backend` made the active backend, and put back afterwards. */
import { useBackend } from '../backends.ts';
import { getBackend, setBackend } from '../tensor/ops.ts';
import type { RUN_BACKENDS } from './run-record.ts';

/**
 * Makes `choice` the active backend ('auto': wasm, which is the pure-JS one where WebAssembly
 * SIMD is unavailable; 'js': the library's default, left as it is). Returns the function that
 * restores the previous backend and disposes of this one (its threads, for workers).
 */
export async function useRunBackend(choice: (typeof RUN_BACKENDS)[number]): Promise<() => void> {
  if (choice === 'js') return () => {};
  const previous = await useBackend(choice === 'auto' ? 'wasm' : choice);
  return () => {
    const active = getBackend() as { dispose?: () => void };
    setBackend(previous);
    active.dispose?.();
  };
}
