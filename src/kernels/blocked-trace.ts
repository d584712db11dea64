import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import { copyJacobian, type Jacobian } from '../tensor/jacobian.ts';
import { kernels } from '../tensor/ops.ts';
import { JacobianVjp } from './jacobian-vjp.ts';
import { traceContract, traceSize } from './trace.ts';
import { copyRows, copyStepRows, zeroRows, type StepRows } from '../data/step-rows.ts';

/**
 * The blocked computation of the synthesiser's eligibility trace (docs/MATH.md §4.6).
 *
 * For the linear synthesiser the trace does not depend on θ; per example
 *   e_t = Σ_{τ≤t} c^{t−τ}·Φ(t, τ)·G_τ,   c = γλ,  Φ(t, τ) = J_t ⋯ J_{τ+1},  G_τ = I ⊗ ã_τ,
 * with ã_τ = [s_τ; 1]. Instead of e_t, keep the trace E_{t₀} at the last fold time t₀ and a
 * window holding, for τ = t₀+1..t, the Jacobian J_τ (its scales and the weights in force at τ)
 * and ã_τ. Then
 *   contraction:  v_t = δ_t,  v_{τ−1} = v_τ·J_τ,
 *                 δ_t·e_t = Σ_{τ=t₀+1..t} c^{t−τ}·v_τ ⊗ ã_τ + c^{t−t₀}·v_{t₀}·E_{t₀}
 *   fold:         E_t = c^{t−t₀}·Φ(t, t₀)·E_{t₀} + Σ_{τ=t₀+1..t} c^{t−τ}·Φ(t, τ)·G_τ.
 * Both are exact: the same numbers as e_t = c·J_t·e_{t−1} + G_t up to rounding.
 *
 * Per-example flags (masks, episode ends) make the recursion per example
 *   e_τ = d_τ·J̃_τ·e_{τ−1} + ι_τ·G_τ,
 * with (d, J̃, ι) = (c, J_τ, 1) at an ordinary step, (1, I, 0) at a step the example sits out
 * (its trace held) and (0, ·, 1) at the first step of a new episode. A window holding such a
 * step walks per example: v_{τ−1} = d_τ·v_τ·J̃_τ with the decays folded into v (the scalar
 * weights c^{t−τ} are then 1), and the entries the example sat out contribute nothing (ι = 0).
 */

/** Read access to a window's entries, oldest first (a committed window, or a candidate one). */
export interface WindowView<L> {
  readonly batch: number;
  readonly n: number;
  readonly length: number;
  jacobian(k: number): Jacobian;
  local(k: number): L;
  /** the per-example flags of entry k (null: an ordinary step for every example) */
  rows(k: number): StepRows | null;
  /** whether any entry has per-example flags (then walks go example by example) */
  readonly flagged: boolean;
}

/**
 * The steps since the last fold, oldest first, in a ring of at most capacity + 1 slots: each
 * slot holds a copy of J_τ and the step's local derivative data L_τ (for the synthesiser's
 * trace ã_τ; for RTRL's influence matrix the cell's cache). A step is staged into the free slot
 * without disturbing the committed window, then committed (appended, or made the only entry
 * after a fold) or dropped.
 *
 * The slots are allocated as steps arrive (the ring grows by one slot whenever the staged step
 * finds none free), never for the whole capacity up front: memory follows the longest window
 * actually held, so a capacity beyond any sequence's length (K = 10⁹) just means "never folds
 * within a sequence". Slots are kept across sequences and reused.
 */
export class StepWindow<L> implements WindowView<L> {
  private J: (Jacobian | null)[] = [];
  private locals: L[] = [];
  private flags: (StepRows | null)[] = [];
  private start = 0;
  private len = 0;
  /** committed entries with per-example flags */
  private flaggedCount = 0;

  constructor(
    readonly capacity: number,
    readonly batch: number,
    readonly n: number,
    private readonly makeLocal: () => L,
  ) {}

  get length(): number {
    return this.len;
  }

  /** Slots allocated so far (at most capacity + 1). */
  get slots(): number {
    return this.locals.length;
  }

  /** J_τ of entry k (0 = the oldest, t₀+1). */
  jacobian(k: number): Jacobian {
    return this.J[this.slot(k)]!;
  }

  /** L_τ of entry k. */
  local(k: number): L {
    return this.locals[this.slot(k)];
  }

  rows(k: number): StepRows | null {
    return this.flags[this.slot(k)];
  }

  get flagged(): boolean {
    return this.flaggedCount > 0;
  }

  /**
   * Copies J_t and the step's per-example flags into the free slot and lets `fill` write L_t
   * there (the committed window is untouched; a slot that cannot be allocated changes nothing).
   */
  stage(J_t: Jacobian, fill: (local: L) => void, rows: StepRows | null = null): void {
    if (this.len === this.locals.length) this.grow();
    const slot = this.slot(this.len);
    this.J[slot] = copyJacobian(J_t, this.J[slot]);
    this.flags[slot] = rows === null ? null : copyStepRows(rows);
    fill(this.locals[slot]);
  }

  /**
   * The window as it will be once the staged step is committed: the committed entries and the
   * staged one, or (after a fold) the staged one alone.
   */
  candidate(afterFold: boolean): WindowView<L> {
    const first = afterFold ? this.len : 0;
    const staged = this.flags[this.slot(this.len)] !== null;
    return {
      batch: this.batch,
      n: this.n,
      flagged: staged || (!afterFold && this.flaggedCount > 0),
      length: afterFold ? 1 : this.len + 1,
      jacobian: (k) => this.J[this.slot(first + k)]!,
      local: (k) => this.locals[this.slot(first + k)],
      rows: (k) => this.flags[this.slot(first + k)],
    };
  }

  /** The staged step joins the window. */
  commitAppend(): void {
    if (this.flags[this.slot(this.len)] !== null) this.flaggedCount++;
    this.len++;
  }

  /** After a fold: the staged step is the whole window. */
  commitAfterFold(): void {
    this.start = this.slot(this.len);
    this.len = 1;
    this.flaggedCount = this.flags[this.start] !== null ? 1 : 0;
  }

  clear(): void {
    this.start = 0;
    this.len = 0;
    this.flaggedCount = 0;
  }

  /**
   * One more slot, after the committed entries: the ring is first laid out oldest first from
   * slot 0 (only needed when it wrapped, which a full ring of capacity + 1 slots never grows).
   */
  private grow(): void {
    const local = windowAllocation(this.capacity, `the slot of step ${this.len + 1} of the window`, this.makeLocal);
    if (this.start !== 0) {
      const order = Array.from({ length: this.len }, (_, k) => this.slot(k));
      this.J = order.map((i) => this.J[i]);
      this.locals = order.map((i) => this.locals[i]);
      this.flags = order.map((i) => this.flags[i]);
      this.start = 0;
    }
    this.J.push(null);
    this.locals.push(local);
    this.flags.push(null);
  }

  private slot(k: number): number {
    const size = this.locals.length;
    return size === 0 ? 0 : (this.start + k) % size;
  }
}

/** The window of the synthesiser's trace: L_τ = ã_τ = [s_τ; 1], batch×(n+1). */
export type TraceWindow = StepWindow<Arr>;

export function createTraceWindow(capacity: number, batch: number, n: number, dtype: DType): TraceWindow {
  return new StepWindow(capacity, batch, n, () => alloc(dtype, batch * (n + 1)));
}

/** Stages J_t and ã_t = [s_t; 1] (s_t: batch×n), with the step's per-example flags. */
export function stageTraceStep(window: TraceWindow, J_t: Jacobian, s_t: Arr, rows: StepRows | null = null): void {
  const { batch: B, n } = window;
  window.stage(
    J_t,
    (a) => {
      for (let b = 0; b < B; b++) {
        for (let l = 0; l < n; l++) a[b * (n + 1) + l] = s_t[b * n + l];
        a[b * (n + 1) + n] = 1;
      }
    },
    rows,
  );
}

/**
 * The backward walk every blocked contraction and fold makes: with v = v_t (batch·R × n, R rows
 * per example), for the window's entries from the newest (τ = t) to the oldest (τ = t₀+1),
 * `visit(k, v_τ, c^{t−τ})`, then v_{τ−1} = v_τ·J_τ. The last product (to v_{t₀}) is made only
 * when `tail` asks for it. Stops early once c^{t−τ} is 0 (nothing older contributes). Returns
 * v_{t₀} with c^{t−t₀}, or null when the walk stopped before it. `v` is overwritten.
 * A window with per-example flags is walked example by example (walkBackPerExample).
 */
export function walkBack(window: WindowView<unknown>, v: Arr, R: number, c: number, tail: boolean, ws: BlockedScratch, visit: (k: number, v_tau: Arr, w: number) => void): { v: Arr; w: number } | null {
  if (window.flagged) return walkBackPerExample(window, v, R, c, tail, ws, visit);
  let cur = v;
  let spare = ws.get('v2', v.length);
  let w = 1;
  for (let k = window.length - 1; k >= 0; k--) {
    visit(k, cur, w);
    const next = w * c;
    if (next === 0) return null;
    if (k > 0 || tail) {
      ws.vjp.apply(window.jacobian(k), cur, R, spare);
      [cur, spare] = [spare, cur];
    }
    w = next;
  }
  return tail ? { v: cur, w } : null;
}

/**
 * The walk of a window with per-example flags: v_{τ−1,b} = d_{τ,b}·v_{τ,b}·J̃_{τ,b} with d = c
 * at an ordinary step, 1 and J̃ = I at a step the example sat out, 0 at its episode's first
 * step; `visit` sees v_τ with the rows of the examples that sat τ out zeroed (ι = 0) and
 * weight 1 (the decays are in v). Never stops early: a held example may carry an old step.
 */
function walkBackPerExample(window: WindowView<unknown>, v: Arr, R: number, c: number, tail: boolean, ws: BlockedScratch, visit: (k: number, v_tau: Arr, w: number) => void): { v: Arr; w: number } | null {
  const per = R * window.n;
  const len = window.batch * per;
  let cur = v;
  let spare = ws.get('v2', v.length);
  const shown = ws.get('vm', len);
  for (let k = window.length - 1; k >= 0; k--) {
    const rows = window.rows(k);
    if (rows !== null && rows.heldCount > 0) {
      shown.set(cur.subarray(0, len));
      zeroRows(shown, rows.held, per);
      visit(k, shown, 1);
    } else visit(k, cur, 1);
    if (k > 0 || tail) {
      ws.vjp.apply(window.jacobian(k), cur, R, spare);
      if (c !== 1) for (let i = 0; i < len; i++) spare[i] *= c;
      if (rows !== null) {
        copyRows(spare, cur, rows.held, per);
        zeroRows(spare, rows.restart, per);
      }
      [cur, spare] = [spare, cur];
    }
  }
  return tail ? { v: cur, w: 1 } : null;
}

/**
 * Scratch space of the blocked computation (grown on demand, reused across steps). Its size
 * follows the steps held in the window (at most K = `windowLength`): an allocation that fails
 * says so, naming traceWindow, instead of a bare RangeError.
 */
export class BlockedScratch {
  readonly vjp = new JacobianVjp();
  private readonly bufs = new Map<string, Arr>();

  constructor(
    readonly dtype: DType,
    readonly windowLength: number,
  ) {}

  get(name: 'v' | 'v2' | 'vm' | 'V' | 'A' | 'phi' | 'stack' | 'aStack' | 'rows', length: number): Arr {
    let buf = this.bufs.get(name);
    if (buf === undefined || buf.length < length) {
      buf = windowAllocation(this.windowLength, `its scratch "${name}" of ${length} values`, () => alloc(this.dtype, length));
      this.bufs.set(name, buf);
    }
    return buf;
  }
}

/**
 * Runs an allocation whose size grows with the steps the window holds; a RangeError (beyond the
 * engine's typed-array limit, or memory exhausted) becomes an error naming traceWindow.
 */
export function windowAllocation<T>(K: number, what: string, allocate: () => T): T {
  try {
    return allocate();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new Error(`traceWindow ${K}: the blocked computation holds up to K steps between folds, and ${what} could not be allocated (${e.message}): use a smaller traceWindow (--trace-window), so that the window folds sooner`);
    }
    throw e;
  }
}

/**
 * out (n×(n+1), W̃ = [W | b] layout) += scale·Σ_b δ_{t,b}·e_{t,b}, from the window and the
 * folded trace E_{t₀} (null: none yet, E = 0):
 *   Σ_τ c^{t−τ}·Σ_b v_{τ,b} ⊗ ã_{τ,b} as one product (window·B rows), plus c^{t−t₀}·Σ_b v_{t₀,b}·E_{t₀,b}.
 * Cost per example: window VJPs through J_τ (O(n²) each) and the product, plus O(n³) when E_{t₀}
 * exists.
 */
export function contractWindow(window: TraceWindow, delta_t: Arr, c: number, E_fold: Arr | null, scale: number, out: Arr, ws: BlockedScratch): void {
  const { batch: B, n } = window;
  const m = n + 1;
  const len = window.length;
  const v = ws.get('v', B * n);
  v.set(delta_t.subarray(0, B * n));
  const V = ws.get('V', len * B * n);
  const A = ws.get('A', len * B * m);
  let used = 0; // entries, newest first, that contribute (c^{t−τ} ≠ 0)
  const last = walkBack(window, v, 1, c, E_fold !== null, ws, (k, v_tau, w) => {
    const row = used * B;
    for (let i = 0; i < B * n; i++) V[row * n + i] = w * v_tau[i];
    A.set(window.local(k).subarray(0, B * m), row * m);
    used++;
  });
  if (used > 0) kernels().gemm(true, false, n, m, used * B, scale, V, A, 1, out);
  if (E_fold !== null && last !== null) traceContract(last.v, E_fold, B, n, scale * last.w, out);
}

/**
 * E_next = c^{t−t₀}·Φ(t, t₀)·E_fold + Σ_τ c^{t−τ}·Φ(t, τ)·G_τ over the window (E_fold null: 0).
 * Φ(t, τ) is built row by row from the newest step (Φ(t, t) = I, Φ(t, τ−1) = Φ(t, τ)·J_τ, O(n³)
 * per example and step); the G_τ sum is one (n² × window)·(window × (n+1)) product per example,
 * and the E_fold term one dense n×n by n×n(n+1) product per example (the backend's trace kernel).
 */
export function foldWindow(window: TraceWindow, c: number, E_fold: Arr | null, E_next: Arr, ws: BlockedScratch): void {
  const { batch: B, n } = window;
  const m = n + 1;
  const len = window.length;
  const nn = n * n;
  const stack = ws.get('stack', B * len * nn);
  const aStack = ws.get('aStack', B * len * m);
  let q = 0; // slot of each example's stack: c^{t−τ}·Φ(t, τ) and ã_τ, newest first
  const last = walkBack(window, identityRows(ws, B, n), n, c, E_fold !== null, ws, (k, phi, w) => {
    const a = window.local(k);
    for (let b = 0; b < B; b++) {
      const dst = (b * len + q) * nn;
      for (let i = 0; i < nn; i++) stack[dst + i] = w * phi[b * nn + i];
      aStack.set(a.subarray(b * m, (b + 1) * m), (b * len + q) * m);
    }
    q++;
  });
  const per = traceSize(n);
  const kr = kernels();
  for (let b = 0; b < B; b++) {
    kr.gemm(true, false, nn, m, q, 1, stack.subarray(b * len * nn, (b * len + q) * nn), aStack.subarray(b * len * m, (b * len + q) * m), 0, E_next.subarray(b * per, (b + 1) * per));
  }
  if (E_fold !== null && last !== null) kr.jacobianMatmul({ kind: 'dense', batch: B, n, data: last.v.subarray(0, B * nn) }, E_fold, E_next, n * m, last.w, 1);
}

/** Φ = I for every example (batch·n rows of n), in the scratch slot 'phi'. */
export function identityRows(ws: BlockedScratch, B: number, n: number): Arr {
  const phi = ws.get('phi', B * n * n);
  phi.fill(0, 0, B * n * n);
  for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) phi[b * n * n + i * n + i] = 1;
  return phi;
}
