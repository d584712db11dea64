import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import { copyJacobian, type Jacobian } from '../tensor/jacobian.ts';
import { kernels } from '../tensor/ops.ts';
import { JacobianVjp } from './jacobian-vjp.ts';
import { traceContract, traceSize } from './trace.ts';

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
 */

/**
 * The steps since the last fold, oldest first, in a ring of capacity + 1 slots: a step can be
 * staged into the free slot without disturbing the committed window, then committed (appended,
 * or made the only entry after a fold) or dropped.
 */
export class TraceWindow {
  private readonly J: (Jacobian | null)[];
  private readonly a: Arr[];
  private start = 0;
  private len = 0;

  constructor(
    readonly capacity: number,
    readonly batch: number,
    readonly n: number,
    dtype: DType,
  ) {
    this.J = new Array<Jacobian | null>(capacity + 1).fill(null);
    this.a = Array.from({ length: capacity + 1 }, () => alloc(dtype, batch * (n + 1)));
  }

  get length(): number {
    return this.len;
  }

  /** J_τ of entry k (0 = the oldest, t₀+1). */
  jacobian(k: number): Jacobian {
    return this.J[this.slot(k)]!;
  }

  /** ã_τ = [s_τ; 1] of entry k, batch×(n+1). */
  augmented(k: number): Arr {
    return this.a[this.slot(k)];
  }

  /** Copies J_t and ã_t = [s_t; 1] into the free slot (the committed window is untouched). */
  stage(J_t: Jacobian, s_t: Arr): void {
    const slot = this.slot(this.len);
    this.J[slot] = copyJacobian(J_t, this.J[slot]);
    const { batch: B, n } = this;
    const a = this.a[slot];
    for (let b = 0; b < B; b++) {
      for (let l = 0; l < n; l++) a[b * (n + 1) + l] = s_t[b * n + l];
      a[b * (n + 1) + n] = 1;
    }
  }

  /** The staged step joins the window. */
  commitAppend(): void {
    this.len++;
  }

  /** After a fold: the staged step is the whole window. */
  commitAfterFold(): void {
    this.start = this.slot(this.len);
    this.len = 1;
  }

  clear(): void {
    this.start = 0;
    this.len = 0;
  }

  private slot(k: number): number {
    return (this.start + k) % (this.capacity + 1);
  }
}

/** Scratch space of the blocked computation (grown on demand, reused across steps). */
export class BlockedScratch {
  readonly vjp = new JacobianVjp();
  private readonly bufs = new Map<string, Arr>();

  constructor(readonly dtype: DType) {}

  get(name: 'v' | 'v2' | 'V' | 'A' | 'phi' | 'phi2' | 'stack' | 'aStack', length: number): Arr {
    let buf = this.bufs.get(name);
    if (buf === undefined || buf.length < length) {
      buf = alloc(this.dtype, length);
      this.bufs.set(name, buf);
    }
    return buf;
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
  if (len === 0) {
    if (E_fold !== null) traceContract(delta_t, E_fold, B, n, scale, out);
    return;
  }
  let v = ws.get('v', B * n);
  let v2 = ws.get('v2', B * n);
  v.set(delta_t.subarray(0, B * n));
  const V = ws.get('V', len * B * n);
  const A = ws.get('A', len * B * m);
  let w = 1; // c^{t−τ}
  let used = 0; // entries, newest first, that contribute (c^{t−τ} ≠ 0)
  for (let k = len - 1; k >= 0 && w !== 0; k--) {
    const row = used * B;
    for (let i = 0; i < B * n; i++) V[row * n + i] = w * v[i];
    A.set(window.augmented(k).subarray(0, B * m), row * m);
    used++;
    if (k > 0 || E_fold !== null) {
      ws.vjp.apply(window.jacobian(k), v, 1, v2);
      [v, v2] = [v2, v];
    }
    w *= c;
  }
  kernels().gemm(true, false, n, m, used * B, scale, V, A, 1, out);
  if (E_fold !== null && used === len && w !== 0) traceContract(v, E_fold, B, n, scale * w, out);
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
  let phi = ws.get('phi', B * nn);
  let phi2 = ws.get('phi2', B * nn);
  const stack = ws.get('stack', B * len * nn);
  const aStack = ws.get('aStack', B * len * m);
  phi.fill(0, 0, B * nn);
  for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) phi[b * nn + i * n + i] = 1;
  let w = 1;
  for (let k = len - 1; k >= 0; k--) {
    // slot q = len−1−k of each example's stack holds c^{t−τ}·Φ(t, τ) and ã_τ
    const q = len - 1 - k;
    const a = window.augmented(k);
    for (let b = 0; b < B; b++) {
      const dst = (b * len + q) * nn;
      for (let i = 0; i < nn; i++) stack[dst + i] = w * phi[b * nn + i];
      aStack.set(a.subarray(b * m, (b + 1) * m), (b * len + q) * m);
    }
    if (k > 0 || E_fold !== null) {
      ws.vjp.apply(window.jacobian(k), phi, n, phi2);
      [phi, phi2] = [phi2, phi];
    }
    w *= c;
  }
  const per = traceSize(n);
  const kr = kernels();
  for (let b = 0; b < B; b++) {
    const S = stack.subarray(b * len * nn, (b + 1) * len * nn);
    kr.gemm(true, false, nn, m, len, 1, S, aStack.subarray(b * len * m, (b + 1) * len * m), 0, E_next.subarray(b * per, (b + 1) * per));
  }
  if (E_fold !== null && w !== 0) kr.jacobianMatmul({ kind: 'dense', batch: B, n, data: phi.subarray(0, B * nn) }, E_fold, E_next, n * m, w, 1);
}
