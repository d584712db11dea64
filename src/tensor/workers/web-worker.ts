import { createWorkerHandler } from './worker-body.ts';
import type { ToWorker } from './protocol.ts';

/**
 * Browser Web Worker entry of the workers backend (module worker). Pair it with a `spawn`
 * option such as
 *   (i) => webWorkerPort(new Worker(new URL('./web-worker.js', import.meta.url), { type: 'module' }))
 * and call the backend from a worker thread: browsers forbid Atomics.wait on the page's
 * main thread, and SharedArrayBuffer needs a cross-origin-isolated page.
 */
const scope = globalThis as unknown as { onmessage: ((e: MessageEvent<ToWorker>) => void) | null; postMessage(msg: unknown): void };
const handle = createWorkerHandler();
scope.onmessage = (e) => {
  const reply = handle(e.data);
  if (reply !== null) scope.postMessage(reply);
};
