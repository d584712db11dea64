import { copyCellCache, type CellCache } from '../cells/cell.ts';
import type { LossKind } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { forwardStep, MaskScratch } from './forward-step.ts';
import type { StepRows } from '../data/step-rows.ts';

/**
 * The forward half of one online step, double-buffered so that a failed step can be dropped:
 * `forward` writes the candidate step (cache, ŷ_t, ∂ℓ_t/∂ŷ_t, ∂ℓ_t/∂s_t) without touching the
 * committed one; `commit` makes it current.
 */
export class StepBuffers {
  readonly caches: [CellCache, CellCache];
  private current = 0;
  private started = false;
  readonly zeros: Arr;
  readonly yhat: Arr;
  readonly dyhat: Arr;
  readonly dh: Arr;
  /** ∂ℓ_{t,b}/∂s_{t,b} of the candidate step (zero without a target) */
  readonly dLds: Arr;
  /** whether the candidate step has a target for at least one active example */
  hasTarget = false;
  private readonly scratch: MaskScratch;

  constructor(
    readonly model: Model,
    readonly batch: number,
    readonly loss: LossKind,
  ) {
    const { cell } = model;
    const d = model.dtype;
    this.caches = [cell.createCache(batch), cell.createCache(batch)];
    this.zeros = alloc(d, batch * cell.stateSize);
    this.yhat = alloc(d, batch * model.outputSize);
    this.dyhat = alloc(d, batch * model.outputSize);
    this.dh = alloc(d, batch * cell.hiddenSize);
    this.dLds = alloc(d, batch * cell.stateSize);
    this.scratch = new MaskScratch(model);
  }

  /** The committed step's cache (s_{t−1}), or null before the first step. */
  get prev(): CellCache | null {
    return this.started ? this.caches[this.current] : null;
  }

  /** The candidate step's cache. */
  get next(): CellCache {
    return this.caches[this.started ? 1 - this.current : this.current];
  }

  /** Runs the cell, readout and loss for x_t, y_t (forwardStep), with the step's per-example flags; returns Σ_b ℓ_{t,b}. */
  forward(x: Arr, y: Arr | null, rows: StepRows | null = null): number {
    const prev = this.prev;
    this.hasTarget = y !== null && (rows === null || rows.heldCount < rows.batch);
    if (y === null) this.dyhat.fill(0);
    const masked = rows === null ? null : { rows, h_prev: prev ? prev.h : null, scratch: this.scratch };
    return forwardStep(this.model, this.loss, x, y, prev ? prev.s : this.zeros, this.next, this, masked);
  }

  /** The committed step's cache, to save a learner's state (null before the first step). */
  committed(): CellCache | null {
    return this.prev;
  }

  /** Makes `cache` (of this batch size) the committed step, as after a commit (restoring a saved state). */
  restore(cache: CellCache | null): void {
    this.restart();
    if (cache === null) return;
    copyCellCache(cache, this.caches[0]);
    this.started = true;
  }

  /** Forgets the committed step: the next `forward` starts from s_0 = 0. */
  restart(): void {
    this.started = false;
    this.current = 0;
  }

  commit(): void {
    if (this.started) this.current = 1 - this.current;
    this.started = true;
  }
}
