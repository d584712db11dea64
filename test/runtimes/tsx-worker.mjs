// Bootstrap for worker_threads workers written in TypeScript: Node 20 workers do not inherit
// the `--import tsx` loader of their parent, so register it here, then load the entry.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
