import type { CellCache } from '../cells/cell.ts';
import { lossStep } from '../cells/losses.ts';
import type { LossKind } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { copyRows, zeroRows, type StepRows } from '../data/step-rows.ts';

/** Where one forward step writes its readout and loss derivatives (B×O, B×O, B×H, B×n). */
export interface StepOutputs {
  /** ŷ_t */
  readonly yhat: Arr;
  /** ∂ℓ_t/∂ŷ_t per example (left untouched without a target) */
  readonly dyhat: Arr;
  /** scratch: ∂ℓ_t/∂h_t per example */
  readonly dh: Arr;
  /** ∂ℓ_t/∂s_t per example (zero without a target) */
  readonly dLds: Arr;
}

/**
 * A step with per-example flags (StepRows): the committed step's h_{t−1} (null before the
 * first step: h = 0) and scratch for the masked inputs.
 */
export interface MaskedStep {
  readonly rows: StepRows;
  readonly h_prev: Arr | null;
  readonly scratch: MaskScratch;
}

/** x_t with the held examples' rows zeroed and s_{t−1} with the restarting examples' rows zeroed (allocated on first use). */
export class MaskScratch {
  private x: Arr | null = null;
  private s: Arr | null = null;

  constructor(private readonly model: Model) {}

  inputs(x_t: Arr, s_prev: Arr, rows: StepRows): { x: Arr; s: Arr } {
    const { dtype, inputSize: I, stateSize: n } = this.model;
    let x = x_t;
    let s = s_prev;
    if (rows.heldCount > 0) {
      x = this.x !== null && this.x.length === x_t.length ? this.x : (this.x = alloc(dtype, x_t.length));
      x.set(x_t);
      zeroRows(x, rows.held, I);
    }
    if (rows.restartCount > 0) {
      s = this.s !== null && this.s.length === s_prev.length ? this.s : (this.s = alloc(dtype, s_prev.length));
      s.set(s_prev);
      zeroRows(s, rows.restart, n);
    }
    return { x, s };
  }
}

/**
 * One forward step of the model over a batch (docs/MATH.md §1):
 *   s_t = F(x_t, s_{t−1}),  ŷ_t = W_out h_t + b_out,  ℓ_{t,b} = loss(ŷ_{t,b}, y_{t,b}),
 *   ∂ℓ_t/∂s_t = [∂ℓ_t/∂h_t; 0] with ∂ℓ_t/∂h_t = (∂ℓ_t/∂ŷ_t)·W_out   (per example, no 1/B).
 * The cache receives s_t and what the local derivatives need. Returns Σ_b ℓ_{t,b} (0 without
 * a target, y = null). Every forward pass of the library (online steps, buffered sequences)
 * goes through this function.
 *
 * With per-example flags (`masked`): an example that restarts runs from s_{t−1} = 0; an
 * example held out of the step keeps s_t = s_{t−1} and h_t = h_{t−1} (its cache rows are
 * otherwise those of a zero input: finite, and never used), with ℓ_{t,b} = 0 and ∂ℓ_t/∂s_t = 0.
 */
export function forwardStep(model: Model, loss: LossKind, x_t: Arr, y_t: Arr | null, s_prev: Arr, cache: CellCache, out: StepOutputs, masked: MaskedStep | null = null): number {
  const { cell, readout } = model;
  const B = cache.batch;
  const held = masked !== null && masked.rows.heldCount > 0 ? masked.rows.held : undefined;
  if (masked === null) cell.forward(x_t, s_prev, cache);
  else {
    const inputs = masked.scratch.inputs(x_t, s_prev, masked.rows);
    cell.forward(inputs.x, inputs.s, cache);
    if (held) {
      copyRows(cache.s, s_prev, held, model.stateSize);
      copyRows(cache.h, masked.h_prev, held, model.hiddenSize);
    }
  }
  readout.forward(cache.h, B, out.yhat);
  if (y_t === null) {
    out.dLds.fill(0);
    return 0;
  }
  const l = lossStep(loss, out.yhat, y_t, B, readout.outputSize, out.dyhat, undefined, held);
  readout.backwardHidden(out.dyhat, B, out.dh);
  cell.hiddenToState(out.dh, out.dLds, B);
  return l;
}
