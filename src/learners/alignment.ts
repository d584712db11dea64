import type { SeqBatch } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import { alloc } from '../tensor/dtype.ts';
import { bpttFromTrajectory } from './bptt.ts';
import { forwardTrajectory } from './trajectory.ts';

/**
 * Gradient alignment (MATH.md §5): cosine similarity between the synthetic gradient g(s_t) and
 * the true future gradient G_t = ∂L/∂s_t − ∂L_t/∂s_t (γ = 1, from BPTT at the same parameters),
 * per example, averaged over the batch, for t < T (0-based t = 0..T−2). The cosine of a pair
 * where either vector is zero is taken as 0.
 */
export interface Alignment {
  /** batch-mean cosine at each step t = 0..T−2 */
  perStep: number[];
  /** mean of perStep */
  mean: number;
  /** cosine of g and G flattened over t < T and units, per example, then averaged over the batch */
  whole: number;
}

export function gradientAlignment(model: Model, batch: SeqBatch): Alignment {
  const traj = forwardTrajectory(model, batch);
  const { stateGrads } = bpttFromTrajectory(model, traj);
  const B = batch.B;
  const n = model.stateSize;
  const g = alloc(model.dtype, B * n);
  const perStep: number[] = [];
  const dot = new Float64Array(B);
  const gg = new Float64Array(B);
  const GG = new Float64Array(B);
  for (let t = 0; t < batch.T - 1; t++) {
    model.synthesiser.forward(traj.caches[t].s, B, g);
    let sum = 0;
    for (let b = 0; b < B; b++) {
      let d = 0;
      let a2 = 0;
      let c2 = 0;
      for (let i = 0; i < n; i++) {
        const gi = g[b * n + i];
        const Gi = stateGrads[t][b * n + i] - traj.dLds[t][b * n + i];
        d += gi * Gi;
        a2 += gi * gi;
        c2 += Gi * Gi;
      }
      sum += cosine(d, a2, c2);
      dot[b] += d;
      gg[b] += a2;
      GG[b] += c2;
    }
    perStep.push(sum / B);
  }
  let whole = 0;
  for (let b = 0; b < B; b++) whole += cosine(dot[b], gg[b], GG[b]);
  const mean = perStep.length ? perStep.reduce((a, v) => a + v, 0) / perStep.length : 0;
  return { perStep, mean, whole: whole / B };
}

function cosine(dot: number, a2: number, b2: number): number {
  return a2 > 0 && b2 > 0 ? dot / Math.sqrt(a2 * b2) : 0;
}
