import type { SeqBatch } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import { alloc } from '../tensor/dtype.ts';
import { bpttFromTrajectory } from './bptt.ts';
import { forwardTrajectory } from './trajectory.ts';
import { cosine, l2Norm } from '../norms.ts';
import { checkSeqBatch } from '../data/validate-batch.ts';
import { checkModel } from './learner.ts';

/**
 * Gradient alignment (MATH.md §5): cosine similarity between the synthetic gradient g(s_t) and
 * the true future gradient G_t = ∂L/∂s_t − ∂L_t/∂s_t (γ = 1, from BPTT at the same parameters),
 * per example, averaged over the batch, for t < T (0-based t = 0..T−2). The cosine of a pair
 * where either vector is zero is taken as 0. The batch is checked in full against the model
 * (widths, finite values, targets its loss accepts, B ≥ 1); an error names what is wrong.
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
  checkModel(model, 'gradientAlignment: model');
  checkSeqBatch(batch, model, 'gradientAlignment: batch');
  const traj = forwardTrajectory(model, batch);
  const { stateGrads } = bpttFromTrajectory(model, traj);
  const B = batch.B;
  const n = model.stateSize;
  const g = alloc(model.dtype, B * n);
  const G = alloc(model.dtype, B * n);
  const perStep: number[] = [];
  // per example and step: ‖g‖, ‖G‖ and their cosine (scaled norms: no Σx² over- or underflows);
  // the whole-sequence cosine is then Σ_t (‖g_t‖/‖g‖)(‖G_t‖/‖G‖)·cos_t
  const steps = batch.T - 1;
  const ng = new Float64Array(B * steps);
  const nG = new Float64Array(B * steps);
  const cos = new Float64Array(B * steps);
  for (let t = 0; t < steps; t++) {
    model.synthesiser.forward(traj.caches[t].s, B, g);
    for (let i = 0; i < B * n; i++) G[i] = stateGrads[t][i] - traj.dLds[t][i];
    let sum = 0;
    for (let b = 0; b < B; b++) {
      const k = b * steps + t;
      ng[k] = l2Norm(g.subarray(b * n, (b + 1) * n));
      nG[k] = l2Norm(G.subarray(b * n, (b + 1) * n));
      cos[k] = cosine(g, G, b * n, n);
      sum += cos[k];
    }
    perStep.push(sum / B);
  }
  let whole = 0;
  for (let b = 0; b < B; b++) {
    const gb = ng.subarray(b * steps, (b + 1) * steps);
    const Gb = nG.subarray(b * steps, (b + 1) * steps);
    const cb = cos.subarray(b * steps, (b + 1) * steps);
    const Ng = l2Norm(gb);
    const NG = l2Norm(Gb);
    if (Ng > 0 && NG > 0) for (let t = 0; t < steps; t++) whole += (gb[t] / Ng) * (Gb[t] / NG) * cb[t];
  }
  const mean = perStep.length ? perStep.reduce((a, v) => a + v, 0) / perStep.length : 0;
  return { perStep, mean, whole: whole / B };
}
