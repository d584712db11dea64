import type { Arr } from '../tensor/dtype.ts';
import { jacobianRowBounds, type Jacobian } from '../tensor/jacobian.ts';
import { kernels } from '../tensor/ops.ts';

/**
 * Eligibility traces of the linear synthesiser g(s) = W s + b (MATH.md §4.3).
 *
 * W and b are traced together as W̃ = [W | b] (n × m, m = n + 1) acting on s̃ = [s; 1]. Per
 * example the trace is an n × (n·m) matrix, E[i][j·m + l] = trace of output i with respect to
 * W̃[j, l], and the batch is stored contiguously (B·n·n·m values):
 *
 *   e_t = γλ·J_t·e_{t−1} + ∂g(s_t)/∂θ,      (∂g(s_t)/∂θ)[i][j·m + l] = 1[i=j]·s̃_t[l]
 *
 * Cost: n·(n·m)·n multiply-adds per example and step (the J·E product, on the backend).
 */

/** Number of values one example's trace holds: n·n·(n+1). */
export function traceSize(n: number): number {
  return n * n * (n + 1);
}

/** E ← ∂g(s_t)/∂θ added in place: E_b[i][i·m + l] += s̃_{t,b}[l]. */
export function addTraceInjection(E: Arr, s_t: Arr, batch: number, n: number): void {
  const m = n + 1;
  const per = n * n * m;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      const row = b * per + i * n * m + i * m;
      for (let l = 0; l < n; l++) E[row + l] += s_t[b * n + l];
      E[row + n] += 1;
    }
  }
}

/**
 * e_t = decay·J_t·e_{t−1} + ∂g(s_t)/∂θ with decay = γλ, out of place (E_prev and E_next
 * must not overlap). With decay = 0 (λ = 0 or γ = 0) the trace is the injection alone.
 */
export function traceUpdate(J_t: Jacobian, E_prev: Arr, E_next: Arr, s_t: Arr, decay: number): void {
  const { batch, n } = J_t;
  const len = batch * traceSize(n);
  if (decay === 0) E_next.fill(0, 0, len);
  else kernels().jacobianMatmul(J_t, E_prev, E_next, n * (n + 1), decay, 0);
  addTraceInjection(E_next, s_t, batch, n);
}

/**
 * out (n × m, W̃'s layout) += scale·Σ_b Σ_i δ_b[i]·E_b[i][·]: the contraction of the TD errors
 * with the traces. One product: δ viewed as 1 × (B·n) times E viewed as (B·n) × (n·m).
 */
export function traceContract(delta: Arr, E: Arr, batch: number, n: number, scale: number, out: Arr): void {
  kernels().gemm(false, false, 1, n * (n + 1), batch * n, scale, delta, E, 1, out);
}

/** Splits W̃ = [W | b] (n × (n+1)) into W (n×n) and b (n), adding into both. */
export function addAugmented(aug: Arr, n: number, W: Arr, b: Arr): void {
  const m = n + 1;
  for (let j = 0; j < n; j++) {
    for (let l = 0; l < n; l++) W[j * n + l] += aug[j * m + l];
    b[j] += aug[j * m + n];
  }
}

/**
 * TD error of the synthetic gradient, per example:
 *   δ_t = (∂L_{t+1}/∂s_{t+1} + γ·g(s_{t+1}))·J_{t+1} − g(s_t),
 * given vJ = (∂L_{t+1}/∂s_{t+1} + γ·g(s_{t+1}))·J_{t+1} (the cell's VJP) and g_t = g(s_t).
 */
export function tdError(vJ: Arr, g_t: Arr, out: Arr): void {
  for (let i = 0; i < out.length; i++) out[i] = vJ[i] - g_t[i];
}

/**
 * Largest magnitude a trace may reach without a full finiteness scan. Far below the float64
 * overflow threshold (1.8e308), so rounding in the kernels' sums cannot carry a value that
 * the bound below admits past it.
 */
export const TRACE_SAFE_BOUND = 1e300;

/**
 * An upper bound on max|e_t| given a bound `prevMax` on max|e_{t−1}| (both over the whole
 * batch), for e_t = decay·J_t·e_{t−1} + ∂g(s_t)/∂θ, or NaN/Infinity when no cheap guarantee
 * holds (then the caller scans the trace). It bounds the kernels' accumulators before the
 * per-row scale too (jacobianRowBounds), so a finite result below
 * TRACE_SAFE_BOUND proves every value of e_t finite. Cost O(B·n²), against the O(B·n⁴) update.
 */
export function traceMagnitudeBound(J_t: Jacobian, s_t: Arr, decay: number, prevMax: number): number {
  const { batch, n } = J_t;
  let inj = 1;
  for (let i = 0; i < batch * n; i++) {
    const v = Math.abs(s_t[i]);
    if (!(v <= inj)) inj = v > inj ? v : NaN;
  }
  if (decay === 0 || prevMax === 0) return inj;
  const { pre, post: rowSum } = jacobianRowBounds(J_t);
  const post = decay * rowSum;
  if (!(pre * prevMax < TRACE_SAFE_BOUND)) return NaN;
  return post * prevMax + inj;
}

/** max|E[i]| over the first `len` values, or NaN if one of them is not finite. */
export function maxAbsFinite(E: Arr, len: number): number {
  let m = 0;
  let z = 0;
  for (let i = 0; i < len; i++) {
    const v = E[i];
    z += v * 0; // NaN as soon as one value is NaN or ±Infinity
    const a = v < 0 ? -v : v;
    if (a > m) m = a;
  }
  return z === 0 ? m : NaN;
}
