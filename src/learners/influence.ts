import type { Cell, CellCache } from '../cells/cell.ts';
import { copyCellCache } from '../cells/cell.ts';
import { BlockedScratch, identityRows, StepWindow, walkBack, type WindowView } from '../kernels/blocked-trace.ts';
import { maxAbsFinite } from '../kernels/trace.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import { allocBuffer, kernels } from '../tensor/ops.ts';
import type { ParamGroup } from '../tensor/params.ts';
import type { TraceComputation } from './eligibility-trace.ts';
import { copyRows, type StepRows } from '../data/step-rows.ts';
import { cacheJson, numbers, type StateReader } from './learner-state.ts';
import { readWindow, windowJson } from './eligibility-trace.ts';

/**
 * RTRL's influence matrix M_t = ∂s_t/∂Ψ for a batch (docs/MATH.md §4.7), n × P per example:
 *
 *   M_t = J_t·M_{t−1} + (∂s_t/∂Ψ)_loc,   M_{−1} = 0,
 *
 * of which the learner needs only the contraction (1/B)·Σ_b (∂L_t/∂s_t)_b·M_{t,b}. It plays the
 * part the eligibility trace plays for BP(λ), with the same transactional life cycle: `propose`
 * prepares M_t from the committed M_{t−1} (and the cell's cache of step t), `contract` reads
 * the proposed M_t, `commit` accepts it. Per example (StepRows), a step the example sits out
 * holds M (M_t = M_{t−1}) and the first step of a new episode restarts it (M_t = (∂s_t/∂Ψ)_loc).
 */
export interface InfluenceMatrix {
  readonly computation: TraceComputation;
  /** Allocates for batches of `batch` examples; returns the installer (a failed allocation changes nothing). */
  prepare(batch: number): () => void;
  /** A new sequence: M_{−1} = 0. */
  reset(): void;
  /** Prepares M_t from J_t and the step's cell cache, per example as `rows` says; false when it is not finite. */
  propose(J_t: Jacobian, cache_t: CellCache, rows?: StepRows | null): boolean;
  /** grads += scale·Σ_b v_b·M_{t,b} for the proposed M_t (v: batch×n). */
  contract(v: Arr, scale: number, grads: ParamGroup): void;
  commit(): void;
  /** The committed influence matrix as JSON-serialisable data (a learner's saved state). */
  getState(): unknown;
  /** Reads `getState()`'s value for a batch (checked); returns its installer (run once prepared for that batch). */
  readState(v: unknown, r: StateReader, batch: number, path: string): () => void;
}

/** Adds scale·flat (P values, the parameters flattened in `params` order) into grads. */
function addFlat(flat: Float64Array, scale: number, grads: ParamGroup): void {
  let off = 0;
  for (const t of Object.values(grads)) {
    const d = t.data;
    for (let q = 0; q < d.length; q++) d[q] += scale * flat[off++];
  }
}

function parameterCount(cell: Cell): number {
  let P = 0;
  for (const t of Object.values(cell.params)) P += t.size;
  return P;
}

/**
 * The plain recursion: M_t stored for every example (B·n·P values), one J_t·M_{t−1} product per
 * step and example (O(n²·P), the backend's trace kernel), and (∂s_t/∂Ψ)_loc from the cell's
 * per-row parameter products with identity rows (O(n·P)).
 */
export class FullInfluence implements InfluenceMatrix {
  readonly computation = 'traces';
  private readonly P: number;
  private batch = 0;
  private M: [Arr, Arr] | null = null;
  private eye: Arr | null = null;
  private local: Arr | null = null;
  private flat = new Float64Array(0);
  private cur = 0;
  private started = false;

  constructor(private readonly cell: Cell) {
    this.P = parameterCount(cell);
  }

  prepare(batch: number): () => void {
    const { n, P } = { n: this.cell.stateSize, P: this.P };
    const d = this.cell.dtype;
    const M: [Arr, Arr] = [allocBuffer(d, batch * n * P), allocBuffer(d, batch * n * P)];
    const local = alloc(d, batch * n * P);
    const eye = alloc(d, batch * n * n);
    for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) eye[b * n * n + i * n + i] = 1;
    return () => {
      [this.M, this.local, this.eye, this.batch] = [M, local, eye, batch];
      this.flat = new Float64Array(P);
    };
  }

  reset(): void {
    this.cur = 0;
    this.started = false;
  }

  propose(J_t: Jacobian, cache_t: CellCache, rows: StepRows | null = null): boolean {
    const next = this.M![1 - this.cur];
    const local = this.local!;
    this.cell.vjpParamsRows(cache_t, this.eye!, this.cell.stateSize, local);
    if (this.started) kernels().jacobianMatmul(J_t, this.M![this.cur], next, this.P, 1, 0);
    else next.fill(0);
    if (rows !== null) copyRows(next, null, rows.restart, this.cell.stateSize * this.P);
    for (let i = 0; i < local.length; i++) next[i] += local[i];
    if (rows !== null) copyRows(next, this.started ? this.M![this.cur] : null, rows.held, this.cell.stateSize * this.P);
    return !Number.isNaN(maxAbsFinite(next, next.length));
  }

  contract(v: Arr, scale: number, grads: ParamGroup): void {
    const n = this.cell.stateSize;
    kernels().gemm(false, false, 1, this.P, this.batch * n, 1, v, this.M![1 - this.cur], 0, this.flat);
    addFlat(this.flat, scale, grads);
  }

  commit(): void {
    this.cur = 1 - this.cur;
    this.started = true;
  }

  getState(): unknown {
    return { started: this.started, M: numbers(this.M![this.cur]) };
  }

  readState(v: unknown, r: StateReader, batch: number, path: string): () => void {
    const o = r.object(v, path, ['started', 'M']);
    const started = r.bool(o.started, `${path}.started`);
    const M = r.array(o.M, `${path}.M`, batch * this.cell.stateSize * this.P);
    return () => {
      this.cur = 0;
      this.M![0].set(M);
      this.started = started;
    };
  }
}

/**
 * The blocked computation (docs/MATH.md §4.7): M_{t₀} at the last fold and a window of at most K
 * steps (J_τ and the cell's cache of step τ). Contraction with v_t = ∂L_t/∂s_t:
 *   v_{τ−1} = v_τ·J_τ,   Σ_b v_{t,b}·M_{t,b} = Σ_{τ=t₀+1..t} Σ_b v_{τ,b}·(∂s_τ/∂Ψ)_loc + Σ_b v_{t₀,b}·M_{t₀,b},
 * the window's share through the cell's batched parameter products (O(K·n²) + O(K·P) per
 * example); every K steps the fold
 *   M_t = Φ(t, t₀)·M_{t₀} + Σ_τ Φ(t, τ)·(∂s_τ/∂Ψ)_loc
 * (Φ row by row, O(K·n³); the local terms through the cell's per-row products, O(K·n·P); one
 * n×n by n×P product). Amortised O(n²·P/K + n·P + n³ + K·n²) per step and example instead of
 * O(n²·P). A sequence shorter than K never folds and holds no influence matrix at all.
 */
export class BlockedInfluence implements InfluenceMatrix {
  readonly computation = 'blocked';
  private readonly P: number;
  private batch = 0;
  private window: StepWindow<CellCache> | null = null;
  private folded: [Arr, Arr] | null = null;
  private cur = 0;
  private hasFold = false;
  private restart: 'fold' | null = null;
  private rows = new Float64Array(0);
  private flat = new Float64Array(0);
  private readonly scratch: BlockedScratch;

  constructor(
    private readonly cell: Cell,
    /** K: the window's length between folds (≥ 1) */
    readonly windowLength: number,
  ) {
    this.P = parameterCount(cell);
    this.scratch = new BlockedScratch(cell.dtype, windowLength);
  }

  prepare(batch: number): () => void {
    const window = new StepWindow<CellCache>(this.windowLength, batch, this.cell.stateSize, () => this.cell.createCache(batch));
    return () => {
      [this.window, this.batch, this.folded] = [window, batch, null];
      this.flat = new Float64Array(this.P);
    };
  }

  reset(): void {
    this.window!.clear();
    this.cur = 0;
    this.hasFold = false;
    this.restart = null;
  }

  propose(J_t: Jacobian, cache_t: CellCache, rows: StepRows | null = null): boolean {
    const window = this.window!;
    this.restart = window.length === this.windowLength ? 'fold' : null;
    if (this.restart === 'fold') {
      const next = this.foldBuffers()[1 - this.cur];
      this.fold(window, this.hasFold ? this.folded![this.cur] : null, next);
      if (Number.isNaN(maxAbsFinite(next, next.length))) return false;
    }
    window.stage(J_t, (c) => copyCellCache(cache_t, c), rows);
    return true;
  }

  contract(v: Arr, scale: number, grads: ParamGroup): void {
    const folding = this.restart === 'fold';
    const M = folding ? this.folded![1 - this.cur] : this.hasFold ? this.folded![this.cur] : null;
    const view = this.window!.candidate(folding);
    const { batch: B, n } = this;
    const v0 = this.scratch.get('v', B * n);
    v0.set(v.subarray(0, B * n));
    const last = walkBack(view, v0, 1, 1, M !== null, this.scratch, (k, v_tau) => this.cell.vjpParams(view.local(k), v_tau, grads, scale));
    if (M !== null && last !== null) {
      kernels().gemm(false, false, 1, this.P, B * n, 1, last.v, M, 0, this.flat);
      addFlat(this.flat, scale, grads);
    }
  }

  commit(): void {
    if (this.restart === 'fold') {
      this.cur = 1 - this.cur;
      this.hasFold = true;
      this.window!.commitAfterFold();
    } else {
      this.window!.commitAppend();
    }
    this.restart = null;
  }

  getState(): unknown {
    return { hasFold: this.hasFold, folded: this.hasFold ? numbers(this.folded![this.cur]) : null, window: windowJson(this.window!, cacheJson) };
  }

  readState(v: unknown, r: StateReader, batch: number, path: string): () => void {
    const o = r.object(v, path, ['hasFold', 'folded', 'window']);
    const hasFold = r.bool(o.hasFold, `${path}.hasFold`);
    const folded = hasFold ? r.array(o.folded, `${path}.folded`, batch * this.n * this.P) : o.folded === null ? null : r.fail(`${path}.folded`, 'null (no fold yet)', o.folded);
    const entries = readWindow(o.window, r, batch, this.cell, this.windowLength, `${path}.window`, (c, p) => r.cache(c, p, this.cell, batch));
    return () => {
      this.reset();
      for (const e of entries) {
        this.window!.stage(e.J, (c) => copyCellCache(e.local, c), e.rows);
        this.window!.commitAppend();
      }
      if (folded !== null) this.foldBuffers()[0].set(folded);
      this.hasFold = hasFold;
    };
  }

  private get n(): number {
    return this.cell.stateSize;
  }

  /** M_next = Φ(t, t₀)·M_fold + Σ_τ Φ(t, τ)·(∂s_τ/∂Ψ)_loc over the committed window. */
  private fold(window: WindowView<CellCache>, M_fold: Arr | null, M_next: Arr): void {
    const { batch: B, n, P } = this;
    if (this.rows.length < B * n * P) this.rows = new Float64Array(B * n * P);
    const rows = this.rows;
    M_next.fill(0, 0, B * n * P);
    const last = walkBack(window, identityRows(this.scratch, B, n), n, 1, M_fold !== null, this.scratch, (k, phi) => {
      this.cell.vjpParamsRows(window.local(k), phi, n, rows);
      for (let i = 0; i < B * n * P; i++) M_next[i] += rows[i];
    });
    if (M_fold !== null && last !== null) kernels().jacobianMatmul({ kind: 'dense', batch: B, n, data: last.v.subarray(0, B * n * n) }, M_fold, M_next, P, 1, 1);
  }

  private foldBuffers(): [Arr, Arr] {
    if (this.folded === null) {
      const len = this.batch * this.n * this.P;
      const both = allocBuffer(this.cell.dtype, 2 * len);
      this.folded = [both.subarray(0, len), both.subarray(len, 2 * len)];
    }
    return this.folded;
  }
}
