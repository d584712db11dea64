import type { SeqBatch } from '../data/batch.ts';
import { checkModel, type Model } from '../model/model.ts';
import { checkSeqBatch } from '../data/validate-batch.ts';
import { checkInt } from '../validate.ts';
import { zerosLike, type ParamGroup } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { isWindowStart, recordTrajectory, readoutGrads, type Trajectory } from './trajectory.ts';
import { episodeLayout, type EpisodeLayout } from '../data/episodes.ts';
import { copyRows, zeroRows } from '../data/step-rows.ts';

/**
 * Backpropagation through time, by hand (MATH.md §3):
 *   ∂L/∂s_t = ∂L_t/∂s_t + (∂L/∂s_{t+1})·J_{t+1},   ∂L/∂Ψ = Σ_t (∂L/∂s_t)(∂s_t/∂Ψ)_loc.
 * Truncated BPTT(n) cuts the sequence into windows of n steps (the first holds T mod n when
 * that is not zero) and stops the backward pass at window starts. Full BPTT is n = T.
 * Per example, over its own episodes (data/episodes.ts): the backward pass stops at an
 * episode's first step, the windows are those of the episode's length, and a step the example
 * sits out passes its gradient through unchanged (∂L/∂s_t of that step is reported as 0).
 */
export interface BpttResult {
  loss: number;
  cell: ParamGroup;
  readout: ParamGroup;
  /** per step, per example ∂(Σ_τ ℓ_τ)/∂s_t (within the window for truncated BPTT), B×n each */
  stateGrads: Arr[];
}

/**
 * BPTT's gradients of a batch: full, or truncated to windows of `truncation` steps. The
 * arguments are checked first (the batch in full against the model, truncation an integer ≥ 1
 * when given); an error names the argument.
 */
export function bptt(model: Model, batch: SeqBatch, truncation?: number): BpttResult {
  checkModel(model, 'bptt: model');
  checkSeqBatch(batch, model, 'bptt: batch');
  if (truncation !== undefined) checkInt(truncation, 'bptt: truncation', 1);
  return bpttFromTrajectory(model, recordTrajectory(model, batch), truncation);
}

/** `truncation` n: windows of n steps per episode (default: none, full BPTT). */
export function bpttFromTrajectory(model: Model, traj: Trajectory, truncation?: number, layout: EpisodeLayout = episodeLayout(traj.rows, traj.T, traj.batch, false)): BpttResult {
  const { cell } = model;
  const { T, batch: B } = traj;
  const n = cell.stateSize;
  const grads = zerosLike(cell.params);
  const stateGrads: Arr[] = new Array(T);
  let carry = alloc(model.dtype, B * n); // (∂L/∂s_{t+1})·J_{t+1}, per example from its next active step
  let spare = alloc(model.dtype, B * n);
  const cut = new Uint8Array(B); // examples whose backward pass stops at t
  for (let t = T - 1; t >= 0; t--) {
    const dLds = traj.dLds[t];
    const held = layout.held[t];
    const total = alloc(model.dtype, B * n);
    for (let i = 0; i < total.length; i++) total[i] = dLds[i] + carry[i];
    if (held !== null) zeroRows(total, held, n);
    stateGrads[t] = total;
    cell.vjpParams(traj.caches[t], total, grads, 1 / B);
    let cuts = 0;
    for (let b = 0; b < B; b++) {
      const k = layout.index[t][b];
      cut[b] = k >= 0 && isWindowStart(k, layout.length[t][b], truncation ?? layout.length[t][b]) ? 1 : 0;
      cuts += cut[b];
    }
    if (cuts === B) {
      carry.fill(0);
      continue;
    }
    cell.vjpState(traj.caches[t], total, spare);
    if (cuts > 0) zeroRows(spare, cut, n);
    if (held !== null) copyRows(spare, carry, held, n);
    [carry, spare] = [spare, carry];
  }
  return { loss: traj.loss, cell: grads, readout: readoutGrads(model, traj), stateGrads };
}
