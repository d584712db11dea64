/**
 * Memory sizes in messages, and allocations that fail with a message giving the memory they
 * needed (a typed array beyond the engine's limit, or memory exhausted, throws a bare RangeError).
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : v.toPrecision(3)} ${units[u]}`;
}

/** Runs `allocate`; a RangeError from it becomes an error saying that `what` needs about `bytes`. */
export function allocating<T>(what: string, bytes: number, allocate: () => T): T {
  try {
    return allocate();
  } catch (e) {
    if (e instanceof RangeError) throw new Error(`${what}: needs about ${formatBytes(bytes)} of memory, which could not be allocated (${e.message})`);
    throw e;
  }
}
