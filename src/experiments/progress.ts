/**
 * A one-line progress display for long runs. On a TTY it redraws a single line with `\r`:
 * label, count/total, percent, rate per second, ETA, and an optional extra note. When the
 * stream is not a TTY (CI logs, pipes) it draws nothing; `status()` gives the same figures as
 * text for lines the caller prints itself (the run command prints one per evaluation, TTY or
 * not), and `clear()` erases the live line before such a line. The stream and the clock can be
 * injected (tests); the defaults are process.stderr and performance.now().
 */
import { checkInt, fail } from '../validate.ts';

/** The part of a writable stream the progress line uses. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Number of units of work (≥ 1). */
  total: number;
  /** Units already done before this display started (a resumed run; default 0): counted, but not in the rate. */
  initial?: number;
  /** Text in front of the count. */
  label: string;
  /** Where to draw (default process.stderr). */
  stream?: ProgressStream;
  /** Milliseconds clock (default performance.now). */
  now?: () => number;
  /** Least time between two redraws, in ms (default 100); the last tick and done() always draw. */
  minIntervalMs?: number;
}

export interface Progress {
  /** Counts n more units done (default 1), with an optional note shown at the end of the line. */
  tick(n?: number, extra?: string): void;
  /** Draws the final line and ends it with a newline (on a TTY). Idempotent. */
  done(): void;
  /** Erases the live line (on a TTY), so that a line can be printed; the next tick redraws it. */
  clear(): void;
  /**
   * `count/total percent rate ETA`, e.g. `120/500 24% 3.1/s ETA 2m03s` (whether a TTY or not);
   * `etaSeconds`, when given and finite, replaces the ETA from the average rate.
   */
  status(etaSeconds?: number): string;
}

const CONTEXT = 'progress';

/** Formats seconds as `45s`, `3m07s` or `2h05m`; `?` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The text of one progress line (without `\r`); the rate counts the units after the first
 * `initial`; the ETA is `etaSeconds` when finite, else (total − count) / rate.
 */
export function progressLine(label: string, count: number, total: number, elapsedMs: number, extra = '', initial = 0, etaSeconds = NaN): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 && count > initial ? (count - initial) / seconds : NaN;
  const eta = count >= total ? 0 : Number.isFinite(etaSeconds) ? etaSeconds : rate > 0 ? (total - count) / rate : NaN;
  const percent = Math.floor((100 * count) / total);
  const rateText = Number.isFinite(rate) ? `${rate >= 100 ? rate.toFixed(0) : rate.toFixed(1)}/s` : '–/s';
  const parts = [label, `${count}/${total}`, `${percent}%`, rateText, `ETA ${formatDuration(eta)}`];
  if (extra) parts.push(extra);
  return parts.filter((p) => p.length > 0).join(' ');
}

function defaultStream(): ProgressStream | undefined {
  const processLike = (globalThis as { process?: { stderr?: ProgressStream } }).process;
  return processLike?.stderr;
}

/** Creates a progress display; a no-op unless the stream is a TTY. */
export function createProgress(options: ProgressOptions): Progress {
  if (typeof options !== 'object' || options === null) fail(`${CONTEXT}: options`, 'an object', options);
  const { total, initial = 0, label, stream = defaultStream(), now = () => performance.now(), minIntervalMs = 100 } = options;
  checkInt(total, `${CONTEXT}: total`, 1);
  checkInt(initial, `${CONTEXT}: initial`, 0);
  if (initial > total) fail(`${CONTEXT}: initial`, `an integer ≤ total (${total})`, initial);
  if (typeof label !== 'string') fail(`${CONTEXT}: label`, 'a string', label);
  if (stream !== undefined && (typeof stream !== 'object' || stream === null || typeof stream.write !== 'function')) {
    fail(`${CONTEXT}: stream`, 'a writable stream (an object with write)', stream);
  }
  if (typeof now !== 'function') fail(`${CONTEXT}: now`, 'a function returning milliseconds', now);
  if (typeof minIntervalMs !== 'number' || !(minIntervalMs >= 0)) fail(`${CONTEXT}: minIntervalMs`, 'a number ≥ 0', minIntervalMs);

  const active = stream !== undefined && stream.isTTY === true;
  const start = now();
  let count = initial;
  let lastDraw = -Infinity;
  let drawn = false;
  let lastExtra = '';
  let finished = false;

  const draw = (): void => {
    if (!active) return;
    let line = progressLine(label, count, total, now() - start, lastExtra, initial);
    const columns = stream!.columns;
    if (typeof columns === 'number' && columns > 1 && line.length > columns - 1) line = line.slice(0, columns - 1);
    stream!.write(`\r${line}\x1b[K`);
    lastDraw = now();
    drawn = true;
  };

  return {
    tick(n = 1, extra?: string) {
      if (finished) throw new Error(`${CONTEXT}: tick: expected a call before done(), received one after it`);
      checkInt(n, `${CONTEXT}: n`, 0);
      if (extra !== undefined && typeof extra !== 'string') fail(`${CONTEXT}: extra`, 'a string', extra);
      count += n;
      if (extra !== undefined) lastExtra = extra;
      if (count >= total || now() - lastDraw >= minIntervalMs) draw();
    },
    done() {
      if (finished) return;
      finished = true;
      draw();
      if (active) stream!.write('\n');
    },
    clear() {
      if (!active || !drawn || finished) return;
      stream!.write('\r\x1b[K');
      drawn = false;
      lastDraw = -Infinity;
    },
    status(etaSeconds?: number) {
      return progressLine('', count, total, now() - start, '', initial, etaSeconds);
    },
  };
}
