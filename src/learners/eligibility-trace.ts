import { BlockedScratch, contractWindow, createTraceWindow, foldWindow, stageTraceStep, type StepWindow, type TraceWindow } from '../kernels/blocked-trace.ts';
import { addTraceInjection, maxAbsFinite, TRACE_SAFE_BOUND, traceContract, traceMagnitudeBound, traceSize, traceUpdate } from '../kernels/trace.ts';
import { copyRows, type StepRows } from '../data/step-rows.ts';
import type { Cell } from '../cells/cell.ts';
import { jacobianJson, numbers, rowsJson, type StateReader } from './learner-state.ts';
import type { Arr, DType } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import { allocBuffer } from '../tensor/ops.ts';

/** How the trace is computed: the n×n(n+1) trace per example, or a folded trace plus a window of steps. */
export type TraceComputation = 'traces' | 'blocked';
export const TRACE_COMPUTATIONS: readonly TraceComputation[] = ['traces', 'blocked'];

/**
 * The eligibility trace of the linear synthesiser g(s) = W s + b for a batch (docs/MATH.md §4.3):
 *
 *   e_t = c·J_t·e_{t−1} + ∂g(s_t)/∂θ,   c = γλ,   e_{−1} = 0,
 *
 * per example, of which a learner only ever needs the contraction with the TD error,
 * Σ_b δ_{t,b}·e_{t,b} (an n×(n+1) matrix in the layout of W̃ = [W | b]). The trace owns its
 * buffers and its finiteness check. Its life cycle is transactional: `propose` prepares e_t
 * from the committed e_{t−1} without changing it, `commit` accepts it; a step that fails
 * between the two leaves the trace as it was. Per example (StepRows), a step the example sits
 * out holds its trace (e_t = e_{t−1}) and the first step of a new episode restarts it
 * (e_t = ∂g(s_t)/∂θ).
 */
export interface EligibilityTrace {
  readonly computation: TraceComputation;
  /**
   * Allocates the buffers for batches of `batch` examples and returns the function that
   * installs them (an allocation that fails changes nothing).
   */
  prepare(batch: number): () => void;
  /** A new sequence (of the prepared batch size): e_{−1} = 0. */
  reset(): void;
  /** out += scale·Σ_b δ_b·e_b for the committed trace (δ: batch×n, out: n×(n+1)). */
  contract(delta: Arr, scale: number, out: Arr): void;
  /** Prepares e_t from J_t (batch Jacobians) and s_t (batch×n), per example as `rows` says; false when e_t is not finite. */
  propose(J_t: Jacobian, s_t: Arr, rows?: StepRows | null): boolean;
  /** The proposed e_t becomes the trace. */
  commit(): void;
  /** The committed trace as JSON-serialisable data (a learner's saved state). */
  getState(): unknown;
  /** Reads `getState()`'s value for a batch (checked against `cell`'s sizes and forms); returns its installer (run once prepared for that batch). */
  readState(v: unknown, r: StateReader, batch: number, cell: Cell, path: string): () => void;
}

/**
 * The trace computation: e_t stored for every example (B·n·n·(n+1) values) and propagated by
 * the backend's trace kernel, one J_t·e_{t−1} product per step and example (O(n⁴)). Its
 * finiteness follows from a magnitude bound carried through J_t (O(B·n²)), with a full scan
 * only when the bound cannot prove it.
 */
export class FullTrace implements EligibilityTrace {
  readonly computation = 'traces';
  private batch = 0;
  private traces: [Arr, Arr] | null = null;
  private cur = 0;
  private started = false;
  /** an upper bound on max|e| of traces[cur] (finite, below TRACE_SAFE_BOUND) */
  private bound = 0;
  private candidateBound = 0;

  constructor(
    readonly n: number,
    readonly dtype: DType,
    readonly decay: number,
  ) {}

  prepare(batch: number): () => void {
    const len = batch * traceSize(this.n);
    // one allocation for both (a backend with its own memory can then place them together)
    const both = allocBuffer(this.dtype, 2 * len);
    return () => {
      this.traces = [both.subarray(0, len), both.subarray(len, 2 * len)];
      this.batch = batch;
    };
  }

  reset(): void {
    this.cur = 0;
    this.started = false;
    this.bound = 0;
  }

  contract(delta: Arr, scale: number, out: Arr): void {
    if (this.started) traceContract(delta, this.traces![this.cur], this.batch, this.n, scale, out);
  }

  propose(J_t: Jacobian, s_t: Arr, rows: StepRows | null = null): boolean {
    const [prev, next] = this.cur === 0 ? this.traces! : [this.traces![1], this.traces![0]];
    const decay = this.started ? this.decay : 0;
    traceUpdate(J_t, prev, next, s_t, decay);
    // Finiteness of e_t: from the bound when it proves it, else by a scan (which also tightens it).
    let bound = traceMagnitudeBound(J_t, s_t, decay, this.bound);
    if (rows !== null) bound = this.perExample(next, prev, s_t, rows, bound);
    if (!(bound < TRACE_SAFE_BOUND)) bound = maxAbsFinite(next, next.length);
    this.candidateBound = bound;
    return !Number.isNaN(bound);
  }

  commit(): void {
    this.cur = 1 - this.cur;
    this.bound = this.candidateBound;
    this.started = true;
  }

  getState(): unknown {
    return { started: this.started, bound: this.bound, e: numbers(this.traces![this.cur]) };
  }

  readState(v: unknown, r: StateReader, batch: number, _cell: Cell, path: string): () => void {
    const o = r.object(v, path, ['started', 'bound', 'e']);
    const started = r.bool(o.started, `${path}.started`);
    const bound = r.number(o.bound, `${path}.bound`);
    const e = r.array(o.e, `${path}.e`, batch * traceSize(this.n));
    return () => {
      this.cur = 0;
      this.traces![0].set(e);
      this.started = started;
      this.bound = bound;
    };
  }

  /**
   * The examples' own cases: held ones keep e_{t−1} (0 before the first step), restarting ones
   * get the injection alone. Returns the bound on max|e_t| with the held traces counted.
   */
  private perExample(next: Arr, prev: Arr, s_t: Arr, rows: StepRows, bound: number): number {
    const per = traceSize(this.n);
    copyRows(next, this.started ? prev : null, rows.held, per);
    for (let b = 0; b < rows.batch; b++) {
      if (!rows.restart[b]) continue;
      const e = next.subarray(b * per, (b + 1) * per);
      e.fill(0);
      addTraceInjection(e, s_t.subarray(b * this.n, (b + 1) * this.n), 1, this.n);
    }
    // a held trace is bounded by the previous bound (NaN, no guarantee, stays NaN)
    return rows.heldCount > 0 && bound < this.bound ? this.bound : bound;
  }
}

/**
 * The blocked computation (kernels/blocked-trace.ts): the trace E_{t₀} at the last fold and a
 * window of at most K steps; every step contracts δ_t through the window (O(K·n²) per example)
 * and every K steps the window is folded into the trace (O(K·n³) + one n⁴ product per
 * example). Amortised O(n⁴/K + n³ + K·n²) per step and example instead of O(n⁴); a sequence
 * shorter than K never folds and holds no trace at all. Finiteness is checked on each fold
 * (a scan of the new trace); the contractions are checked by the learner.
 */
export class BlockedTrace implements EligibilityTrace {
  readonly computation = 'blocked';
  private batch = 0;
  private window: TraceWindow | null = null;
  private folded: [Arr, Arr] | null = null;
  private cur = 0;
  private hasFold = false;
  private restart: 'fold' | 'drop' | null = null;
  private readonly scratch: BlockedScratch;

  constructor(
    readonly n: number,
    readonly dtype: DType,
    readonly decay: number,
    /** K: the window's length between folds (≥ 1) */
    readonly windowLength: number,
  ) {
    this.scratch = new BlockedScratch(dtype, windowLength);
  }

  prepare(batch: number): () => void {
    const window = createTraceWindow(this.windowLength, batch, this.n, this.dtype);
    return () => {
      this.window = window;
      this.folded = null;
      this.batch = batch;
    };
  }

  reset(): void {
    this.window!.clear();
    this.cur = 0;
    this.hasFold = false;
    this.restart = null;
  }

  contract(delta: Arr, scale: number, out: Arr): void {
    contractWindow(this.window!, delta, this.decay, this.hasFold ? this.folded![this.cur] : null, scale, out, this.scratch);
  }

  propose(J_t: Jacobian, s_t: Arr, rows: StepRows | null = null): boolean {
    const window = this.window!;
    // A full window is folded into the trace (or, with c = 0, where nothing before t is ever
    // needed again, dropped; not when an example sat a step out: its trace may be older);
    // the fold goes to the spare buffer until commit.
    const drop = this.decay === 0 && rows === null && !window.flagged;
    this.restart = window.length < this.windowLength ? null : drop ? 'drop' : 'fold';
    if (this.restart === 'fold') {
      const next = this.foldBuffers()[1 - this.cur];
      foldWindow(window, this.decay, this.hasFold ? this.folded![this.cur] : null, next, this.scratch);
      if (Number.isNaN(maxAbsFinite(next, next.length))) return false;
    }
    stageTraceStep(window, J_t, s_t, rows);
    return true;
  }

  commit(): void {
    if (this.restart === null) {
      this.window!.commitAppend();
      return;
    }
    if (this.restart === 'fold') this.cur = 1 - this.cur;
    this.hasFold = this.restart === 'fold';
    this.window!.commitAfterFold();
    this.restart = null;
  }

  getState(): unknown {
    return { hasFold: this.hasFold, folded: this.hasFold ? numbers(this.folded![this.cur]) : null, window: windowJson(this.window!, (a) => numbers(a)) };
  }

  readState(v: unknown, r: StateReader, batch: number, cell: Cell, path: string): () => void {
    const o = r.object(v, path, ['hasFold', 'folded', 'window']);
    const hasFold = r.bool(o.hasFold, `${path}.hasFold`);
    const folded = hasFold ? r.array(o.folded, `${path}.folded`, batch * traceSize(this.n)) : (o.folded === null ? null : r.fail(`${path}.folded`, 'null (no fold yet)', o.folded));
    const entries = readWindow(o.window, r, batch, cell, this.windowLength, `${path}.window`, (a, p) => r.array(a, p, batch * (this.n + 1)));
    return () => {
      this.reset();
      for (const e of entries) {
        this.window!.stage(e.J, (a) => a.set(e.local), e.rows);
        this.window!.commitAppend();
      }
      if (folded !== null) this.foldBuffers()[0].set(folded);
      this.hasFold = hasFold;
    };
  }

  private foldBuffers(): [Arr, Arr] {
    if (this.folded === null) {
      const len = this.batch * traceSize(this.n);
      const both = allocBuffer(this.dtype, 2 * len);
      this.folded = [both.subarray(0, len), both.subarray(len, 2 * len)];
    }
    return this.folded;
  }
}

/**
 * Bytes a trace computation holds for a batch (the traces, or the window and, once a sequence
 * folds, the trace). The window holds at most min(K, steps) steps (`steps`: the longest
 * sequence, when known): its slots are allocated as steps arrive.
 */
export function traceMemory(computation: TraceComputation, batch: number, n: number, bytesPerValue: number, window?: number, steps = Infinity): number {
  const trace = 2 * batch * traceSize(n);
  if (computation === 'traces') return bytesPerValue * trace;
  const K = window ?? defaultTraceWindow(n);
  const held = Math.min(K, steps);
  // the window (a state and a Jacobian of a few n-vectors per step), the fold's scratch (K products
  // of n×n per example), and the trace once a sequence is longer than K
  return bytesPerValue * ((held + 1) * batch * 12 * n + batch * held * n * n + (steps > K ? trace : 0));
}

/**
 * The computation a learner uses when none is asked for: the blocked one, which measured faster
 * than the trace recursion at every float64 size (bench/RESULTS-blocked.md: 2× at n = 30, 18×
 * at n = 60, 54× at n = 128, 84× at n = 200), except small float32 states (n < 48), where the
 * recursion's float32 SIMD kernel wins (0.7× at n = 30).
 */
export function defaultTraceComputation(n: number, dtype: DType): TraceComputation {
  return dtype === 'float32' && n < 48 ? 'traces' : 'blocked';
}

/** The default window length K for state size n: about n, where the n⁴/K fold and the K·n² contraction balance. */
export function defaultTraceWindow(n: number): number {
  return Math.max(1, n);
}

export function createEligibilityTrace(computation: TraceComputation, n: number, dtype: DType, decay: number, window?: number): EligibilityTrace {
  return computation === 'traces' ? new FullTrace(n, dtype, decay) : new BlockedTrace(n, dtype, decay, window ?? defaultTraceWindow(n));
}

/** A window's committed entries, oldest first: J_τ, the local data L_τ and the step's flags. */
export function windowJson<L>(window: StepWindow<L>, local: (l: L) => unknown): unknown[] {
  return Array.from({ length: window.length }, (_, k) => ({ jacobian: jacobianJson(window.jacobian(k)), local: local(window.local(k)), rows: rowsJson(window.rows(k)) }));
}

/** Reads `windowJson`'s value (at most `capacity` entries, each checked). */
export function readWindow<L>(v: unknown, r: StateReader, batch: number, cell: Cell, capacity: number, path: string, local: (v: unknown, path: string) => L): { J: Jacobian; local: L; rows: StepRows | null }[] {
  return r.list(v, path, undefined, capacity).map((entry, k) => {
    const p = `${path}[${k}]`;
    const e = r.object(entry, p, ['jacobian', 'local', 'rows']);
    return { J: r.jacobian(e.jacobian, `${p}.jacobian`, cell, batch), local: local(e.local, `${p}.local`), rows: r.rows(e.rows, `${p}.rows`, batch) };
  });
}
