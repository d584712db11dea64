import type { Arr } from '../tensor/dtype.ts';

/**
 * The λ-weighted synthetic-gradient targets (forward view, MATH.md §4.2), by the backward recursion
 *   G^λ_t = [∂L_{t+1}/∂s_{t+1} + γ((1−λ)·g(s_{t+1}) + λ·G^λ_{t+1})]·J_{t+1},   G^λ_T = 0.
 * `vjp(t, v, out)` must write v·J_t (the cell's state VJP at step t); dLds[t] and g[t] are
 * per-example B×n arrays. The recursion starts from G^λ_{T−1} = `G_last` (0-based): zero when
 * the last step is terminal, g(s_{T−1}) when the sequence is a cut of a longer stream (bootstrap).
 * Returns G^λ_t for t = 0..T−1.
 */
export function lambdaTargets(
  T: number,
  dLds: readonly Arr[],
  g: readonly Arr[],
  gamma: number,
  lambda: number,
  vjp: (t: number, v: Arr, out: Arr) => void,
  alloc: () => Arr,
  G_last?: Arr,
): Arr[] {
  const G: Arr[] = new Array(T);
  G[T - 1] = alloc();
  if (G_last) G[T - 1].set(G_last);
  const v = alloc();
  for (let t = T - 2; t >= 0; t--) {
    const next = t + 1;
    const dL = dLds[next];
    const gn = g[next];
    const Gn = G[next];
    for (let i = 0; i < v.length; i++) v[i] = dL[i] + gamma * ((1 - lambda) * gn[i] + lambda * Gn[i]);
    G[t] = alloc();
    vjp(next, v, G[t]);
  }
  return G;
}
