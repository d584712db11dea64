import { parentPort } from 'node:worker_threads';
import { createWorkerHandler } from './worker-body.ts';
import type { ToWorker } from './protocol.ts';

/** Node worker_threads entry of the workers backend. */
const port = parentPort;
if (port === null) throw new Error('node-worker.ts must run in a worker thread');
const handle = createWorkerHandler();
port.on('message', (msg: ToWorker) => {
  const reply = handle(msg);
  if (reply !== null) port.postMessage(reply);
});
