import type { CellCache } from '../cells/cell.ts';
import type { LossKind, SeqBatch } from '../data/batch.ts';
import { checkModel, type Model } from '../model/model.ts';
import { zerosLike, type ParamGroup } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { forwardStep, MaskScratch } from './forward-step.ts';
import { copyStepRows, type StepRows } from '../data/step-rows.ts';
import { checkLengths, checkSeqBatch } from '../data/validate-batch.ts';

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
  /** per step, its per-example flags (null: an ordinary step for every example; see StepRows) */
  readonly rows: (StepRows | null)[];
}

/**
 * The forward pass over a whole batch. With `batch.lengths`, example b sits out its steps
 * t ≥ lengths[b] (held state, no loss) and its step lengths[b] − 1 ends its episode. The model
 * and the batch are checked first (the batch in full against the model: widths, finite values,
 * targets its loss accepts); an error names the argument.
 */
export function forwardTrajectory(model: Model, batch: SeqBatch): Trajectory {
  checkModel(model, 'forwardTrajectory: model');
  checkSeqBatch(batch, model, 'forwardTrajectory: batch');
  return recordTrajectory(model, batch);
}

/** forwardTrajectory without the checks, for callers that checked (or built) the model and batch once. */
export function recordTrajectory(model: Model, batch: SeqBatch): Trajectory {
  const rec = new TrajectoryRecorder(model, batch.B, batch.loss);
  const rows = lengthRows(batch);
  for (let t = 0; t < batch.T; t++) rec.push(batch.x[t], batch.y[t], rows[t]);
  return rec.trajectory();
}

/**
 * The per-step flags of a batch's `lengths` (null at every step without them): example b sits
 * out the steps t ≥ lengths[b] and its step lengths[b] − 1 is terminal.
 */
export function lengthRows(batch: SeqBatch): (StepRows | null)[] {
  const { T, B, lengths } = batch;
  if (lengths === undefined) return new Array<null>(T).fill(null);
  const held = checkLengths(lengths, T, B, 'batch.lengths');
  return held.map((h, t) => {
    const terminal = Uint8Array.from({ length: B }, (_, b) => (lengths[b] === t + 1 ? 1 : 0));
    const heldCount = h.reduce((a, v) => a + v, 0);
    return heldCount === 0 && terminal.every((v) => v === 0) ? null : { batch: B, held: h, restart: new Uint8Array(B), terminal, heldCount, restartCount: 0 };
  });
}

/** Builds a Trajectory one step at a time (what the offline learners buffer). */
export class TrajectoryRecorder {
  private readonly caches: CellCache[] = [];
  private readonly yhat: Arr[] = [];
  private readonly dyhat: (Arr | null)[] = [];
  private readonly dLds: Arr[] = [];
  private readonly stepLoss: number[] = [];
  private readonly rows: (StepRows | null)[] = [];
  private readonly dh: Arr;
  private readonly s0: Arr;
  private readonly scratch: MaskScratch;
  private total = 0;

  constructor(
    readonly model: Model,
    readonly batch: number,
    readonly loss: LossKind,
  ) {
    this.dh = alloc(model.dtype, batch * model.hiddenSize);
    this.s0 = alloc(model.dtype, batch * model.stateSize);
    this.scratch = new MaskScratch(model);
  }

  get length(): number {
    return this.caches.length;
  }

  /**
   * Runs one step forward, with its per-example flags, and keeps it (and a copy of the flags);
   * returns Σ_b ℓ_{t,b}. Nothing is kept if the step is not finite.
   */
  push(x: Arr, y: Arr | null, rows: StepRows | null = null): number {
    const { cell, dtype } = this.model;
    const B = this.batch;
    const c = cell.createCache(B);
    const prev = this.caches.length ? this.caches[this.caches.length - 1] : null;
    const out = { yhat: alloc(dtype, B * this.model.outputSize), dyhat: alloc(dtype, B * this.model.outputSize), dh: this.dh, dLds: alloc(dtype, B * cell.stateSize) };
    const masked = rows === null ? null : { rows, h_prev: prev ? prev.h : null, scratch: this.scratch };
    const l = forwardStep(this.model, this.loss, x, y, prev ? prev.s : this.s0, c, out, masked);
    if (!Number.isFinite(l)) return l;
    for (let i = 0; i < c.s.length; i++) if (!Number.isFinite(c.s[i])) return NaN;
    this.keep({ cache: c, yhat: out.yhat, dyhat: y === null ? null : out.dyhat, dLds: out.dLds, loss: l, rows: rows === null ? null : copyStepRows(rows) });
    return l;
  }

  /** Appends a computed step (push, or a restored learner state). */
  keep(step: RecordedStep): void {
    this.caches.push(step.cache);
    this.yhat.push(step.yhat);
    this.dyhat.push(step.dyhat);
    this.dLds.push(step.dLds);
    this.stepLoss.push(step.loss);
    this.rows.push(step.rows);
    this.total += step.loss;
  }

  /** The kept steps, oldest first. */
  steps(): RecordedStep[] {
    return this.caches.map((cache, t) => ({ cache, yhat: this.yhat[t], dyhat: this.dyhat[t], dLds: this.dLds[t], loss: this.stepLoss[t], rows: this.rows[t] }));
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
      rows: this.rows,
    };
  }
}

/** One buffered step of a trajectory. */
export interface RecordedStep {
  cache: CellCache;
  yhat: Arr;
  dyhat: Arr | null;
  dLds: Arr;
  /** Σ_b ℓ_{t,b} */
  loss: number;
  rows: StepRows | null;
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
