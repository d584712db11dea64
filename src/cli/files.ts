import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsErrorText, isFolderSync, statOrNull, writeFileAtomicSync } from '../io/atomic.ts';

/** The bytes of an input file; an error names `label` (e.g. "grads: --model"), the path and the reason. */
export function readInput(path: string, label: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${label}: cannot read ${JSON.stringify(path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Whether two paths name the same file (through symbolic links too, when it exists). */
export function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * Writes an output file named by an option (`label`, e.g. "grads: --out"): a regular file or a
 * new name atomically (a temporary file renamed over it), a device or a named pipe
 * (`/dev/stdout`, `/dev/null`) by writing to it as it is. Every failure is an error naming the
 * option, the path and what is wrong.
 */
export function writeOutput(path: string, data: string | Uint8Array, label: string): void {
  const where = `${label} ${JSON.stringify(path)}`;
  if (path === '') throw new Error(`${label}: expected a file path, received ""`);
  const st = statOrNull(path); // null: a new name
  if (st?.isDirectory()) throw new Error(`${where}: is a folder; give a file name`);
  try {
    if (st !== null && !st.isFile()) writeFileSync(path, data);
    else writeFileAtomicSync(path, data);
  } catch (e) {
    const folder = dirname(resolve(path));
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${where}: cannot write: ${isFolderSync(folder) ? `${folder} exists, but no file can be created in it (ENOENT)` : `the folder ${folder} does not exist`}`);
    throw new Error(`${where}: cannot write: ${fsErrorText(e)}`);
  }
}
