/**
 * A child process of `bp-lambda run --jobs N`: trains one sweep entry in its folder, exactly as
 * the run's own process would (entry-run.ts), and reports to the parent over the IPC channel:
 *   { type: 'batch' } per batch, { type: 'eval', record } per evaluation, { type: 'message', text },
 *   then { type: 'done' | 'diverged' | 'error', message? }.
 * Arguments: the run folder and the entry's index. The settings, the backend and the
 * checkpoint cadence come from the folder's run.json (run-record.ts).
 */
import { sweepEntries } from './config.ts';
import { RunDivergedError, runEntry } from './entry-run.ts';
import { loadRunRecord } from './run-record.ts';
import { useRunBackend } from './run-backend.ts';
import { taskSpec } from './tasks/index.ts';

/** What a child sends. */
export type EntryMessage =
  | { type: 'batch' }
  | { type: 'eval'; record: Record<string, unknown> }
  | { type: 'message'; text: string }
  | { type: 'done' }
  | { type: 'diverged' | 'error'; message: string };

/** True once this process has sent its outcome and closes the channel itself. */
let finished = false;

/**
 * The parent went away before this entry finished (it ended on a closed pipe, an interrupt or a
 * kill): stop at once and quietly. The entry's last checkpoint stays for `--resume`.
 */
process.on('disconnect', () => {
  if (!finished) process.exit(1);
});
// an interrupt from the terminal reaches the whole process group: the parent reports it and
// exits, and this process stops when the channel closes (above), its entry's lock released
process.on('SIGINT', () => {});
process.on('SIGTERM', () => process.exit(143));

function send(message: EntryMessage, then?: () => void): void {
  if (!process.send) throw new Error('entry-process: run by `bp-lambda run --jobs N`, with an IPC channel');
  if (!process.connected) process.exit(1);
  // a failed send means the channel closed under us: the parent is gone (see 'disconnect')
  process.send(message, undefined, undefined, (e: Error | null) => (e ? process.exit(1) : then?.()));
}

function finish(message: EntryMessage): void {
  finished = true;
  send(message, () => process.disconnect?.());
}

async function main(): Promise<void> {
  const [out, index] = process.argv.slice(2);
  let restore = () => {};
  try {
    const { config, runOptions } = loadRunRecord(out);
    const entries = sweepEntries(config);
    const entry = entries[Number(index)];
    if (!entry) throw new Error(`entry ${index}: the run has entries 0 to ${entries.length - 1}`);
    restore = await useRunBackend(runOptions.backend);
    const data = await taskSpec(config.task).load(config.taskOptions);
    const events = { batch: () => send({ type: 'batch' }), evaluated: (record: Record<string, unknown>) => send({ type: 'eval', record }), message: (text: string) => send({ type: 'message', text }) };
    await runEntry({ config, out, data, checkpointEvery: runOptions.checkpointEvery, events }, entry, entries.length);
    finish({ type: 'done' });
  } catch (e) {
    finish({ type: e instanceof RunDivergedError ? 'diverged' : 'error', message: (e as Error).message });
  } finally {
    restore();
  }
}

await main();
