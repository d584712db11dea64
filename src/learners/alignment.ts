import type { SeqBatch } from '../data/batch.ts';
import { checkModel, type Model } from '../model/model.ts';
import { alloc } from '../tensor/dtype.ts';
import { bpttFromTrajectory } from './bptt.ts';
import { recordTrajectory } from './trajectory.ts';
import { cosine, l2Norm } from '../norms.ts';
import { checkSeqBatch } from '../data/validate-batch.ts';
import { endsEpisode, episodeLayout } from '../data/episodes.ts';

/**
 * Gradient alignment (MATH.md §5): cosine similarity between the synthetic gradient g(s_t) and
 * the true future gradient G_t = ∂L/∂s_t − ∂L_t/∂s_t (γ = 1, from BPTT at the same parameters),
 * per example, averaged over the batch, for t < T (0-based t = 0..T−2). The cosine of a pair
 * where either vector is zero is taken as 0. The batch is checked in full against the model
 * (widths, finite values, targets its loss accepts, B ≥ 1); an error names what is wrong.
 * With `batch.lengths`, example b counts at its steps t < lengths[b] − 1 only (its future ends
 * with its sequence): perStep[t] averages the examples that count at t (0 where none does),
 * `mean` the steps where one does, `whole` the examples with at least one such step.
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
  const traj = recordTrajectory(model, batch);
  const layout = episodeLayout(traj.rows, traj.T, batch.B, false);
  const { stateGrads } = bpttFromTrajectory(model, traj, undefined, layout);
  const B = batch.B;
  const n = model.stateSize;
  const g = alloc(model.dtype, B * n);
  const G = alloc(model.dtype, B * n);
  const perStep: number[] = [];
  // per example and step: ‖g‖, ‖G‖ and their cosine (scaled norms: no Σx² over- or underflows);
  // the whole-sequence cosine is then Σ_t (‖g_t‖/‖g‖)(‖G_t‖/‖G‖)·cos_t (zeros where b does not count)
  const steps = batch.T - 1;
  const ng = new Float64Array(B * steps);
  const nG = new Float64Array(B * steps);
  const cos = new Float64Array(B * steps);
  const counted = new Uint8Array(B);
  let countedSteps = 0;
  let sumSteps = 0;
  for (let t = 0; t < steps; t++) {
    model.synthesiser.forward(traj.caches[t].s, B, g);
    for (let i = 0; i < B * n; i++) G[i] = stateGrads[t][i] - traj.dLds[t][i];
    let sum = 0;
    let count = 0;
    for (let b = 0; b < B; b++) {
      if (layout.index[t][b] < 0 || endsEpisode(layout, t, b)) continue;
      const k = b * steps + t;
      ng[k] = l2Norm(g.subarray(b * n, (b + 1) * n));
      nG[k] = l2Norm(G.subarray(b * n, (b + 1) * n));
      cos[k] = cosine(g, G, b * n, n);
      sum += cos[k];
      count++;
      counted[b] = 1;
    }
    perStep.push(count > 0 ? sum / count : 0);
    if (count > 0) {
      sumSteps += sum / count;
      countedSteps++;
    }
  }
  let whole = 0;
  let examples = 0;
  for (let b = 0; b < B; b++) {
    if (!counted[b]) continue;
    examples++;
    const gb = ng.subarray(b * steps, (b + 1) * steps);
    const Gb = nG.subarray(b * steps, (b + 1) * steps);
    const cb = cos.subarray(b * steps, (b + 1) * steps);
    const Ng = l2Norm(gb);
    const NG = l2Norm(Gb);
    if (Ng > 0 && NG > 0) for (let t = 0; t < steps; t++) whole += (gb[t] / Ng) * (Gb[t] / NG) * cb[t];
  }
  const mean = countedSteps > 0 ? sumSteps / countedSteps : 0;
  return { perStep, mean, whole: examples > 0 ? whole / examples : 0 };
}
