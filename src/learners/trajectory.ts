import type { CellCache } from '../cells/cell.ts';
import type { LossKind, SeqBatch } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import { zerosLike, type ParamGroup } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { forwardStep } from './forward-step.ts';

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
  const rec = new TrajectoryRecorder(model, batch.B, batch.loss);
  for (let t = 0; t < batch.T; t++) rec.push(batch.x[t], batch.y[t]);
  return rec.trajectory();
}

/** Builds a Trajectory one step at a time (what the offline learners buffer). */
export class TrajectoryRecorder {
  private readonly caches: CellCache[] = [];
  private readonly yhat: Arr[] = [];
  private readonly dyhat: (Arr | null)[] = [];
  private readonly dLds: Arr[] = [];
  private readonly stepLoss: number[] = [];
  private readonly dh: Arr;
  private readonly s0: Arr;
  private total = 0;

  constructor(
    readonly model: Model,
    readonly batch: number,
    readonly loss: LossKind,
  ) {
    this.dh = alloc(model.dtype, batch * model.hiddenSize);
    this.s0 = alloc(model.dtype, batch * model.stateSize);
  }

  get length(): number {
    return this.caches.length;
  }

  /** Runs one step forward and keeps it; returns Σ_b ℓ_{t,b}. Nothing is kept if the step is not finite. */
  push(x: Arr, y: Arr | null): number {
    const { cell, dtype } = this.model;
    const B = this.batch;
    const c = cell.createCache(B);
    const sPrev = this.caches.length ? this.caches[this.caches.length - 1].s : this.s0;
    const out = { yhat: alloc(dtype, B * this.model.outputSize), dyhat: alloc(dtype, B * this.model.outputSize), dh: this.dh, dLds: alloc(dtype, B * cell.stateSize) };
    const l = forwardStep(this.model, this.loss, x, y, sPrev, c, out);
    if (!Number.isFinite(l)) return l;
    for (let i = 0; i < c.s.length; i++) if (!Number.isFinite(c.s[i])) return NaN;
    this.caches.push(c);
    this.yhat.push(out.yhat);
    this.dyhat.push(y === null ? null : out.dyhat);
    this.dLds.push(out.dLds);
    this.stepLoss.push(l);
    this.total += l;
    return l;
  }

  trajectory(): Trajectory {
    return {
      batch: this.batch,
      T: this.caches.length,
      caches: this.caches,
      yhat: this.yhat,
      dyhat: this.dyhat,
      dLds: this.dLds,
      stepLoss: this.stepLoss,
      loss: this.total / this.batch,
    };
  }
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
