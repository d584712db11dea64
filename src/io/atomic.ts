/**
 * Atomic file writes (Node only): the data goes to a temporary file in the target's folder,
 * is flushed to disk (fsync), then renamed over the target. A reader sees the old file or the
 * new one, never a partial one; a failure leaves the old file intact and removes the
 * temporary file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

type FileData = string | Uint8Array;

function checkPath(context: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new Error(`${context}: path: expected a non-empty string, received ${typeof path === 'string' ? '""' : String(path)}`);
  }
  return path;
}

function checkData(context: string, data: unknown): FileData {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new Error(`${context}: data: expected a string or a Uint8Array, received ${data === null ? 'null' : typeof data}`);
  }
  return data;
}

/** What a file system entry is, in words ("a folder", "a character device", …). */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * A target an atomic write may replace: a new name or a regular file. Renaming over a device or
 * a pipe (`/dev/null`) would replace it with a regular file, and over a folder cannot work.
 */
function checkTarget(context: string, path: string, st: Stats | null): void {
  if (st !== null && !st.isFile()) throw new Error(`${context}: path ${JSON.stringify(path)}: expected a regular file or a new name, received ${fileKind(st)} (an atomic write replaces the file)`);
}

/** The entry at `path`, or null where there is none (or it cannot be read). */
export function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

const FS_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EEXIST: 'it already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
  EPIPE: 'the reader closed the pipe',
};

/** A file system error in words, with its code: "permission denied (EACCES)"; other errors: their message. */
export function fsErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string') return `${FS_ERRORS[code] ?? (e as Error).message} (${code})`;
  return e instanceof Error ? e.message : String(e);
}

/** A fresh temporary path beside `path` (same folder, so the rename stays on one file system). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

const TEMP_NAME = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Whether a process with this PID runs on this machine (EPERM: it exists, owned by another
 * user). A process that has exited but is not yet reaped by its parent (a zombie, state Z in
 * Linux's /proc/PID/stat: a killed run's child processes, until init collects them) does not.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state …": the command may itself hold parentheses
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false; // no /proc (not Linux), or the process just went
  }
}

/**
 * Removes the temporary files that interrupted atomic writes left in `folder` (named by
 * `tempPathFor`; those of processes still running are kept). Returns the names removed.
 */
export function removeStaleTempFiles(folder: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(folder)) {
    const m = TEMP_NAME.exec(name);
    if (!m || Number(m[2]) === process.pid || isProcessAlive(Number(m[2]))) continue;
    rmSync(join(folder, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Serialises `value` as JSON (2-space indent, trailing newline); throws on what JSON cannot hold. */
export function toJsonText(value: unknown, context = 'writeJsonAtomic'): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, null, 2);
  } catch (error) {
    throw new Error(`${context}: value: expected a JSON-serialisable value, received one that fails: ${(error as Error).message}`);
  }
  if (text === undefined) {
    throw new Error(`${context}: value: expected a JSON-serialisable value, received ${typeof value}`);
  }
  return `${text}\n`;
}

/** Writes `data` to `path` atomically (temp file, fsync, rename). The folder must exist. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  checkPath('writeFileAtomic', path);
  checkData('writeFileAtomic', data);
  checkTarget('writeFileAtomic', path, await stat(path).catch(() => null));
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(dirname(path));
}

/** Synchronous `writeFileAtomic`, for exit handlers and other places that cannot await. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  checkPath('writeFileAtomicSync', path);
  checkData('writeFileAtomicSync', data);
  checkTarget('writeFileAtomicSync', path, statOrNull(path));
  const temp = tempPathFor(path);
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncFolderSync(dirname(path));
}

/** Writes `value` as JSON to `path` atomically; serialises first, so a bad value never touches the file. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  checkPath('writeJsonAtomic', path);
  await writeFileAtomic(path, toJsonText(value, 'writeJsonAtomic'));
}

/** Synchronous `writeJsonAtomic`. */
export function writeJsonAtomicSync(path: string, value: unknown): void {
  checkPath('writeJsonAtomicSync', path);
  writeFileAtomicSync(path, toJsonText(value, 'writeJsonAtomicSync'));
}

/**
 * Creates `path` and its missing parents; no error when it already exists as a folder. Each
 * level is tried once after its parent exists: a parent that exists but cannot hold the child
 * (`/proc/x`, a dangling link) ends with the child's error instead of retrying for ever, as
 * Node's own recursive mkdir does there. An existing path that is not a folder throws ENOTDIR.
 */
export async function mkdirp(path: string): Promise<void> {
  checkPath('mkdirp', path);
  await mkdirStep(resolve(path));
}

/** Synchronous `mkdirp`. */
export function mkdirpSync(path: string): void {
  checkPath('mkdirpSync', path);
  mkdirStepSync(resolve(path));
}

/** Whether `path` is an existing folder. */
export const isFolderSync = (path: string): boolean => statOrNull(path)?.isDirectory() ?? false;
const isFolder = async (path: string) => (await stat(path).catch(() => null))?.isDirectory() ?? false;

function mkdirStepSync(path: string): void {
  try {
    return void mkdirSync(path);
  } catch (e) {
    if (!retryAfterParent(e, path, isFolderSync(path))) return;
  }
  mkdirStepSync(dirname(path));
  try {
    mkdirSync(path);
  } catch (e) {
    if (!isFolderSync(path)) throw e; // made meanwhile by another process: fine
  }
}

async function mkdirStep(path: string): Promise<void> {
  try {
    return void (await mkdir(path));
  } catch (e) {
    if (!retryAfterParent(e, path, await isFolder(path))) return;
  }
  await mkdirStep(dirname(path));
  try {
    await mkdir(path);
  } catch (e) {
    if (!(await isFolder(path))) throw e;
  }
}

/**
 * After a failed mkdir of `path`: false when it exists as a folder (done), true when a missing
 * parent should be made first (ENOENT below the root); otherwise throws (an existing non-folder
 * as ENOTDIR, any other error as it is).
 */
function retryAfterParent(e: unknown, path: string, isFolder: boolean): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') {
    if (isFolder) return false;
    throw Object.assign(new Error(`ENOTDIR: exists and is not a folder, mkdir '${path}'`), { code: 'ENOTDIR', path, syscall: 'mkdir' });
  }
  if (code === 'ENOENT' && dirname(path) !== path) return true;
  throw e;
}

/** Flushes a folder's entry list so the rename survives a crash; skipped where folders cannot be opened (Windows). */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Opening or fsyncing a folder is not supported on every platform; the rename itself is done.
  }
}

function syncFolderSync(folder: string): void {
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // As in syncFolder: best effort only.
  }
}
