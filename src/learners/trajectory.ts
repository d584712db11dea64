import type { CellCache } from '../cells/cell.ts';
import { lossStep } from '../cells/losses.ts';
import type { SeqBatch } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import { zerosLike, type ParamGroup } from '../model/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';

/**
 * A whole forward pass over a batch, kept for the offline methods (BPTT, λ-SG, n-step SG,
 * alignment). Per step t (0-based): the cell cache, the readout's ∂ℓ_t/∂ŷ_t and the immediate
 * state gradient ∂ℓ_{t,b}/∂s_{t,b} (per example, zero at steps without a target).
 */
export interface Trajectory {
  readonly batch: number;
  readonly T: number;
  readonly caches: CellCache[];
  readonly yhat: Arr[];
  readonly dyhat: (Arr | null)[];
  readonly dLds: Arr[];
  /** per step Σ_b ℓ_{t,b} */
  readonly stepLoss: number[];
  /** batch loss L = (1/B) Σ_b Σ_t ℓ_{t,b} */
  readonly loss: number;
}

export function forwardTrajectory(model: Model, batch: SeqBatch): Trajectory {
  const { cell, readout } = model;
  const B = batch.B;
  const n = cell.stateSize;
  const H = cell.hiddenSize;
  const O = readout.outputSize;
  const caches: CellCache[] = [];
  const yhat: Arr[] = [];
  const dyhat: (Arr | null)[] = [];
  const dLds: Arr[] = [];
  const stepLoss: number[] = [];
  let sPrev = alloc(model.dtype, B * n);
  const dh = alloc(model.dtype, B * H);
  let total = 0;
  for (let t = 0; t < batch.T; t++) {
    const c = cell.createCache(B);
    cell.forward(batch.x[t], sPrev, c);
    sPrev = c.s;
    caches.push(c);
    const yh = alloc(model.dtype, B * O);
    readout.forward(c.h, B, yh);
    yhat.push(yh);
    const y = batch.y[t];
    const ds = alloc(model.dtype, B * n);
    if (y) {
      const g = alloc(model.dtype, B * O);
      const l = lossStep(batch.loss, yh, y, B, O, g);
      stepLoss.push(l);
      total += l;
      dyhat.push(g);
      readout.backwardHidden(g, B, dh);
      cell.hiddenToState(dh, ds, B);
    } else {
      stepLoss.push(0);
      dyhat.push(null);
    }
    dLds.push(ds);
  }
  return { batch: B, T: batch.T, caches, yhat, dyhat, dLds, stepLoss, loss: total / B };
}

/** Readout gradient of L (the same for every method): (1/B) Σ_t Σ_b ∂ℓ/∂ŷ ⊗ h. */
export function readoutGrads(model: Model, traj: Trajectory): ParamGroup {
  const grads = zerosLike(model.readout.params);
  for (let t = 0; t < traj.T; t++) {
    const g = traj.dyhat[t];
    if (g) model.readout.accumulateGrads(g, traj.caches[t].h, traj.batch, grads, 1 / traj.batch);
  }
  return grads;
}

/** Window starts of truncated BPTT(n) over T steps: the first window holds T mod n steps when that is not zero. */
export function isWindowStart(t: number, T: number, n: number): boolean {
  const r = T % n;
  return t === 0 || (t >= r && (t - r) % n === 0);
}
