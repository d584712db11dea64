import type { Arr } from '../tensor/dtype.ts';
import { checkOptions, describe } from '../validate.ts';

/**
 * The per-example options of one step, `learner.step(x_t, y_t, last, options)`:
 *
 * - `active[b]` false (or 0): example b sits the step out. Its state s and its trace (or
 *   influence matrix) are held, it has no loss, no learning signal and no TD error at this step,
 *   and its rows of x_t and y_t are not read (padding may hold anything). This is how a batch
 *   holds sequences of different lengths (a mask).
 * - `terminal[b]` true (or 1): the step ends example b's episode: g(s_{t,b}) := 0 for it (as
 *   `last` does for the whole batch), and at its next active step it starts a new episode from
 *   s = 0 with its trace cleared, while the rest of the batch carries on.
 *
 * Each is an array (or typed array) of B booleans or 0/1; absent means every example active and
 * none terminal.
 */
export interface StepOptions {
  active?: ArrayLike<boolean | number>;
  terminal?: ArrayLike<boolean | number>;
}

/**
 * What each example does at one step, as the learners see it (all 0/1 per example):
 *   held[b]      sits the step out (state and trace held, no loss, no signal)
 *   restart[b]   begins a new episode here (s_{t−1,b} := 0, trace restarts from ∂g(s_t)/∂θ)
 *   terminal[b]  ends its episode here (g(s_{t,b}) := 0)
 * A step where every example is active, none restarts and none ends is passed as `null`: the
 * unmasked path, with no per-example work at all.
 */
export interface StepRows {
  readonly batch: number;
  readonly held: Uint8Array;
  readonly restart: Uint8Array;
  readonly terminal: Uint8Array;
  /** how many examples are held (0 … B) */
  readonly heldCount: number;
  readonly restartCount: number;
}

/** A copy that owns its arrays (what a buffered step or a window entry keeps). */
export function copyStepRows(r: StepRows): StepRows {
  return { ...r, held: r.held.slice(), restart: r.restart.slice(), terminal: r.terminal.slice() };
}

/** Rows b·width … (b+1)·width − 1 of `a` set to 0 wherever flags[b] is 1. */
export function zeroRows(a: Arr, flags: Uint8Array, width: number): void {
  for (let b = 0; b < flags.length; b++) if (flags[b]) a.fill(0, b * width, (b + 1) * width);
}

/** Rows of `dst` copied from `src` (or zeroed, src null) wherever flags[b] is 1. */
export function copyRows(dst: Arr, src: ArrayLike<number> | null, flags: Uint8Array, width: number): void {
  for (let b = 0; b < flags.length; b++) {
    if (!flags[b]) continue;
    const o = b * width;
    if (src === null) dst.fill(0, o, o + width);
    else for (let i = o; i < o + width; i++) dst[i] = src[i];
  }
}

/** Reads a per-example flag array: B booleans or 0/1, into `out`. */
export function readFlags(v: unknown, B: number, name: string, out: Uint8Array): void {
  const a = v as ArrayLike<unknown> | null;
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') throw new Error(`${name}: expected an array of ${B} booleans (or 0/1), one per example, received ${describe(v)}`);
  if (a.length !== B) throw new Error(`${name}: expected length ${B} (the batch size), received length ${a.length}`);
  for (let b = 0; b < B; b++) {
    const x = a[b];
    if (x === true || x === 1) out[b] = 1;
    else if (x === false || x === 0) out[b] = 0;
    else throw new Error(`${name}[${b}]: expected a boolean or 0/1, received ${describe(x)}`);
  }
}

/**
 * The per-example bookkeeping of a learner's open sequence: which examples have ended an
 * episode (and restart at their next active step), and the flags of the step being checked.
 * `read` builds a step's flags without changing anything; `advance` records a committed step.
 */
export class EpisodeBook {
  /** 1 where the example's episode ended and it restarts at its next active step */
  private pending = new Uint8Array(0);
  private pendingCount = 0;
  private readonly rows = { held: new Uint8Array(0), restart: new Uint8Array(0), terminal: new Uint8Array(0) };

  reset(batch: number): void {
    if (this.pending.length !== batch) {
      this.pending = new Uint8Array(batch);
      this.rows.held = new Uint8Array(batch);
      this.rows.restart = new Uint8Array(batch);
      this.rows.terminal = new Uint8Array(batch);
    } else this.pending.fill(0);
    this.pendingCount = 0;
  }

  /** The examples waiting to restart (for saving a learner's state). */
  pendingRestarts(): Uint8Array {
    return this.pending;
  }

  /** Restores `pendingRestarts()` (same batch size, checked by the caller). */
  setPendingRestarts(p: ArrayLike<number>): void {
    this.pending.set(p);
    this.pendingCount = this.pending.reduce((a, v) => a + v, 0);
  }

  /**
   * The flags of a step with options `opts` (checked; errors name `name`), or null when the step
   * is an ordinary one for every example. Valid until the next call.
   */
  read(opts: unknown, name: string): StepRows | null {
    const B = this.pending.length;
    if (opts === undefined && this.pendingCount === 0) return null;
    if (opts !== undefined) {
      if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new Error(`${name}: expected { active?, terminal? } or undefined, received ${describe(opts)}`);
      checkOptions(opts, ['active', 'terminal'], name);
    }
    const o = (opts ?? {}) as StepOptions;
    const { held, restart, terminal } = this.rows;
    if (o.active === undefined) held.fill(0);
    else {
      readFlags(o.active, B, `${name}.active`, held);
      for (let b = 0; b < B; b++) held[b] ^= 1;
    }
    if (o.terminal === undefined) terminal.fill(0);
    else readFlags(o.terminal, B, `${name}.terminal`, terminal);
    let heldCount = 0;
    let restartCount = 0;
    let terminalCount = 0;
    for (let b = 0; b < B; b++) {
      if (held[b] && terminal[b]) throw new Error(`${name}.terminal[${b}]: example ${b} sits this step out (active[${b}] is false), so it cannot end its episode here`);
      restart[b] = this.pending[b] & (held[b] ^ 1);
      heldCount += held[b];
      restartCount += restart[b];
      terminalCount += terminal[b];
    }
    if (heldCount === 0 && restartCount === 0 && terminalCount === 0) return null;
    return { batch: B, held, restart, terminal, heldCount, restartCount };
  }

  /** Records a committed step: examples that ended an episode wait to restart, those that restarted no longer do. */
  advance(rows: StepRows | null): void {
    if (rows === null) return;
    for (let b = 0; b < rows.batch; b++) {
      const p = rows.terminal[b] ? 1 : rows.restart[b] ? 0 : this.pending[b];
      this.pendingCount += p - this.pending[b];
      this.pending[b] = p;
    }
  }
}
