import type { Arr } from '../tensor/dtype.ts';
import type { EpisodeLayout } from '../data/episodes.ts';
import { copyRows } from '../data/step-rows.ts';

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
  const last = G_last ?? alloc();
  return lambdaTargetsByEpisode(null, T, dLds, g, (t) => (t === T - 1 ? last : g[t]), gamma, lambda, vjp, alloc);
}

/**
 * The same recursion per example over its own episodes (`layout`; null: one episode of all T
 * steps for every example): at the last step of an episode G^λ_t = `atEnd(t)` (its row b), and
 * the recursion runs from each active step to the example's previous active step, skipping the
 * steps it sits out (their rows of G^λ are 0). Where a step is the episode's last,
 *   G^λ_t = g(s_t) at a cut (bootstrap), 0 at a terminal step (g(s_t) := 0 there).
 */
export function lambdaTargetsByEpisode(
  layout: EpisodeLayout | null,
  T: number,
  dLds: readonly Arr[],
  g: readonly Arr[],
  atEnd: (t: number) => Arr,
  gamma: number,
  lambda: number,
  vjp: (t: number, v: Arr, out: Arr) => void,
  alloc: () => Arr,
): Arr[] {
  const G: Arr[] = new Array(T);
  const v = alloc();
  const n = v.length / (layout?.batch ?? 1);
  let next = alloc(); // per example: [∂L + γ((1−λ)g + λG^λ)]·J at its next active step
  let spare = alloc();
  for (let t = T - 1; t >= 0; t--) {
    const Gt = (G[t] = alloc());
    if (layout === null) Gt.set(t === T - 1 ? atEnd(t) : next);
    else {
      const end = atEnd(t);
      for (let b = 0; b < layout.batch; b++) {
        const k = layout.index[t][b];
        if (k < 0) continue;
        const src = k === layout.length[t][b] - 1 ? end : next;
        for (let i = b * n; i < (b + 1) * n; i++) Gt[i] = src[i];
      }
    }
    if (t === 0) break;
    const dL = dLds[t];
    const gt = g[t];
    for (let i = 0; i < v.length; i++) v[i] = dL[i] + gamma * ((1 - lambda) * gt[i] + lambda * Gt[i]);
    vjp(t, v, spare);
    // an example that sits t out keeps the value from its next active step
    const held = layout?.held[t];
    if (held) copyRows(spare, next, held, n);
    [next, spare] = [spare, next];
  }
  return G;
}
