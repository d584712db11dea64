import type { SeqBatch } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import { zerosLike, type ParamGroup } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { forwardTrajectory, isWindowStart, readoutGrads, type Trajectory } from './trajectory.ts';

/**
 * Backpropagation through time, by hand (MATH.md §3):
 *   ∂L/∂s_t = ∂L_t/∂s_t + (∂L/∂s_{t+1})·J_{t+1},   ∂L/∂Ψ = Σ_t (∂L/∂s_t)(∂s_t/∂Ψ)_loc.
 * Truncated BPTT(n) cuts the sequence into windows of n steps (the first holds T mod n when
 * that is not zero) and stops the backward pass at window starts. Full BPTT is n = T.
 */
export interface BpttResult {
  loss: number;
  cell: ParamGroup;
  readout: ParamGroup;
  /** per step, per example ∂(Σ_τ ℓ_τ)/∂s_t (within the window for truncated BPTT), B×n each */
  stateGrads: Arr[];
}

export function bptt(model: Model, batch: SeqBatch, truncation?: number): BpttResult {
  return bpttFromTrajectory(model, forwardTrajectory(model, batch), truncation);
}

export function bpttFromTrajectory(model: Model, traj: Trajectory, truncation = traj.T): BpttResult {
  const { cell } = model;
  const { T, batch: B } = traj;
  const n = cell.stateSize;
  const grads = zerosLike(cell.params);
  const stateGrads: Arr[] = new Array(T);
  let carry = alloc(model.dtype, B * n); // (∂L/∂s_{t+1})·J_{t+1}
  for (let t = T - 1; t >= 0; t--) {
    const dLds = traj.dLds[t];
    const total = alloc(model.dtype, B * n);
    for (let i = 0; i < total.length; i++) total[i] = dLds[i] + carry[i];
    stateGrads[t] = total;
    cell.vjpParams(traj.caches[t], total, grads, 1 / B);
    if (isWindowStart(t, T, truncation)) carry.fill(0);
    else cell.vjpState(traj.caches[t], total, carry);
  }
  return { loss: traj.loss, cell: grads, readout: readoutGrads(model, traj), stateGrads };
}
