/**
 * An exclusive lock on a run folder: DIR/run.lock holds { pid, host, started, token } of the
 * process that owns the folder. It is created atomically (written to a temporary file, then
 * hard-linked to its name, which fails if the name exists; where a file system has no hard
 * links, an exclusive create), removed by `release()` and at process exit, and a lock whose
 * process no longer runs on this host is stale and taken over. A lock held by a live process,
 * this one included, is refused with a RunFolderLockedError naming the PID.
 *
 * Stale takeover renames the stale file aside and checks its token before deleting it, so two
 * processes taking over the same stale lock cannot both win.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, openSync, closeSync, writeSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, tempPathFor } from '../io/atomic.ts';

export const LOCK_FILE = 'run.lock';
/** A lock file that cannot be parsed is taken as stale once it is this old (ms). */
const UNREADABLE_STALE_MS = 60_000;

interface Holder {
  pid: number;
  host: string;
  started: string;
  token: string;
}

export class RunFolderLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number | null,
  ) {
    super(
      `run folder ${dir} is in use by ${pid === null ? 'another process' : pid === process.pid ? `this process (PID ${pid})` : `process ${pid}`} (lock file ${join(dir, LOCK_FILE)}); ` +
        'wait for that run to finish, or give another --out (delete the lock file only if no such run is active)',
    );
    this.name = 'RunFolderLockedError';
  }
}

export interface RunLock {
  readonly path: string;
  /** Removes the lock file (if it is still this lock's); idempotent. */
  release(): void;
}

/** fn(), or `value` when fn fails with the system error `code` (ENOENT, EEXIST). */
function unlessCode<T, U>(code: string, value: U, fn: () => T): T | U {
  try {
    return fn();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === code) return value;
    throw e;
  }
}

function readHolder(path: string): Holder | 'unreadable' | null {
  const text = unlessCode('ENOENT', null, () => readFileSync(path, 'utf8'));
  if (text === null) return null;
  try {
    const h = JSON.parse(text) as Holder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.token === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Creates `path` holding `text` only if it does not exist; false if it does. */
function createExclusive(path: string, text: string): boolean {
  const temp = tempPathFor(path);
  writeFileSync(temp, text, { flag: 'wx' });
  try {
    linkSync(temp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
  } finally {
    rmSync(temp, { force: true });
  }
  // no hard links here: an exclusive create (a reader may briefly see it empty: "unreadable", live)
  const fd = unlessCode('EEXIST', null, () => openSync(path, 'wx'));
  if (fd === null) return false;
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

function isStale(path: string, holder: Holder | 'unreadable'): boolean {
  if (holder === 'unreadable') {
    try {
      return Date.now() - statSync(path).mtimeMs > UNREADABLE_STALE_MS;
    } catch {
      return false;
    }
  }
  return holder.host === hostname() && holder.pid !== process.pid && !isProcessAlive(holder.pid);
}

/** Moves a stale lock aside and deletes it if it is the one judged stale; puts back a fresh one moved by mistake. */
function takeOver(path: string, stale: Holder | 'unreadable'): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  if (unlessCode('ENOENT', false, () => (renameSync(path, aside), true)) === false) return; // released meanwhile
  const moved = readHolder(aside);
  const same = stale === 'unreadable' ? moved === 'unreadable' : moved !== null && moved !== 'unreadable' && moved.token === stale.token;
  try {
    if (!same) linkSync(aside, path);
  } catch {
    // a third process took the folder meanwhile; the moved lock's owner will be refused later
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Takes the lock of run folder `dir` (which must exist) or throws RunFolderLockedError. */
export function acquireRunLock(dir: string): RunLock {
  const path = join(dir, LOCK_FILE);
  const holder: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), token: randomBytes(12).toString('hex') };
  const text = JSON.stringify(holder) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, text)) return heldLock(path, holder.token);
    const other = readHolder(path);
    if (other === null) continue; // released meanwhile
    if (!isStale(path, other)) throw new RunFolderLockedError(dir, other === 'unreadable' ? null : other.pid);
    takeOver(path, other);
  }
  throw new RunFolderLockedError(dir, null);
}

function heldLock(path: string, token: string): RunLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    const now = readHolder(path);
    if (now !== null && now !== 'unreadable' && now.token === token) rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, release };
}
