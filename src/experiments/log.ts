/**
 * The JSON-lines log of a run folder (DIR/log.jsonl): one JSON object per line, appended and
 * flushed as it is written. Its byte length is the "log offset" a checkpoint records; resuming
 * truncates the file back to that offset, so lines written after the checkpoint are replaced
 * by the identical lines of the resumed run.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';

export class JsonlLog {
  private fd: number;
  private bytes: number;

  /** Opens `path` for appending; with `offset`, truncates it to that many bytes first (resume). */
  constructor(
    readonly path: string,
    offset?: number,
  ) {
    this.fd = openSync(path, existsSync(path) ? 'r+' : 'w+');
    const size = statSync(path).size;
    if (offset === undefined) this.bytes = size;
    else {
      if (offset > size) {
        closeSync(this.fd);
        throw new Error(`log ${path}: the checkpoint expects at least ${offset} bytes, the file has ${size} (the log was truncated or replaced)`);
      }
      ftruncateSync(this.fd, offset);
      this.bytes = offset;
    }
  }

  get offset(): number {
    return this.bytes;
  }

  append(record: object): void {
    const buf = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
    for (let w = 0; w < buf.length; ) w += writeSync(this.fd, buf, w, buf.length - w, this.bytes + w);
    this.bytes += buf.length;
  }

  /** Flushes to disk (before a checkpoint records the offset). */
  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads a JSON-lines file (a missing file is empty); throws naming the line that does not parse. */
export function readJsonl(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const out: Record<string, unknown>[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        out.push(JSON.parse(line));
      } catch (e) {
        throw new Error(`${path}:${i + 1}: not JSON (${(e as Error).message})`);
      }
    });
  return out;
}
