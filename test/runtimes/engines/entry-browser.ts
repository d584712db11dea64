// Chromium: runs inside a dedicated module worker (Atomics.wait is allowed there); the workers
// backend starts nested Web Workers on web-worker.js. The report is posted to the page.
import { runEngineChecks } from './program.ts';
import type { FromWorker, ToWorker } from '../../../src/tensor/workers/protocol.ts';
import type { WorkerPort } from '../../../src/tensor/workers-backend.ts';

function webWorkerPort(worker: Worker): WorkerPort {
  return {
    postMessage: (msg: ToWorker) => worker.postMessage(msg),
    onMessage: (listener: (msg: FromWorker) => void) => worker.addEventListener('message', (e) => listener(e.data as FromWorker)),
    onError: (listener: (error: Error) => void) => worker.addEventListener('error', (e) => listener(new Error(e.message))),
    terminate: () => worker.terminate(),
  };
}

const scope = globalThis as unknown as { postMessage(msg: unknown): void };
runEngineChecks({ spawn: () => webWorkerPort(new Worker(new URL('./web-worker.js', import.meta.url), { type: 'module' })) }).then(
  (report) => scope.postMessage({ report }),
  (e: unknown) => scope.postMessage({ error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) }),
);
