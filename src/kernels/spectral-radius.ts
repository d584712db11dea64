import { log, exp } from '../math/index.ts';
import { l2Norm } from '../norms.ts';

/**
 * The spectral radius ρ(W) = max |eigenvalue| of a square matrix W (n×n, row-major), by
 * Gelfand's formula ρ(W) = lim_k ‖W^k‖^{1/k}: W is squared `squarings` times (k = 2^squarings),
 * renormalised after each product so nothing overflows, and ρ ≈ exp(log‖W^k‖ / k). The
 * relative error is about log(n·κ)/k, where κ is the condition number of W's eigenvectors, so
 * 40 squarings reach machine precision for any matrix this library meets; complex and repeated
 * eigenvalues need no special care (unlike power iteration). Cost 40·n³. Used to report the
 * recurrent gain of the toy task (W_hh), where ρ decides how far back gradients reach.
 */
export function spectralRadius(W: ArrayLike<number>, n: number, squarings = 40): number {
  if (!Number.isInteger(n) || n < 1 || W.length < n * n) throw new Error(`spectralRadius: W must hold n×n = ${n}×${n} values, received ${W.length}`);
  let A = Float64Array.from({ length: n * n }, (_, i) => W[i]);
  let next = new Float64Array(n * n);
  let norm0 = l2Norm(A);
  if (norm0 === 0) return 0;
  if (!Number.isFinite(norm0)) return NaN;
  for (let i = 0; i < A.length; i++) A[i] /= norm0;
  // W^(2^j) = A_j·exp(L_j): L_0 = log‖W‖, L_{j+1} = 2·L_j + log‖A_j²‖
  let L = log(norm0);
  for (let j = 1; j <= squarings; j++) {
    next.fill(0);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < n; k++) {
        const a = A[r * n + k];
        if (a === 0) continue;
        for (let c = 0; c < n; c++) next[r * n + c] += a * A[k * n + c];
      }
    }
    const s = l2Norm(next);
    if (s === 0) return 0; // nilpotent
    for (let i = 0; i < next.length; i++) next[i] /= s;
    L = 2 * L + log(s);
    [A, next] = [next, A];
    norm0 = s;
  }
  return exp(L / 2 ** squarings);
}
