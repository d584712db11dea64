import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';

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
