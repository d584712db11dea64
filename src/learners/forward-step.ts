import type { CellCache } from '../cells/cell.ts';
import { lossStep } from '../cells/losses.ts';
import type { LossKind } from '../data/batch.ts';
import type { Model } from '../model/model.ts';
import type { Arr } from '../tensor/dtype.ts';

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
 * One forward step of the model over a batch (docs/MATH.md §1):
 *   s_t = F(x_t, s_{t−1}),  ŷ_t = W_out h_t + b_out,  ℓ_{t,b} = loss(ŷ_{t,b}, y_{t,b}),
 *   ∂ℓ_t/∂s_t = [∂ℓ_t/∂h_t; 0] with ∂ℓ_t/∂h_t = (∂ℓ_t/∂ŷ_t)·W_out   (per example, no 1/B).
 * The cache receives s_t and what the local derivatives need. Returns Σ_b ℓ_{t,b} (0 without
 * a target, y = null). Every forward pass of the library (online steps, buffered sequences)
 * goes through this function.
 */
export function forwardStep(model: Model, loss: LossKind, x_t: Arr, y_t: Arr | null, s_prev: Arr, cache: CellCache, out: StepOutputs): number {
  const { cell, readout } = model;
  const B = cache.batch;
  cell.forward(x_t, s_prev, cache);
  readout.forward(cache.h, B, out.yhat);
  if (y_t === null) {
    out.dLds.fill(0);
    return 0;
  }
  const l = lossStep(loss, out.yhat, y_t, B, readout.outputSize, out.dyhat);
  readout.backwardHidden(out.dyhat, B, out.dh);
  cell.hiddenToState(out.dh, out.dLds, B);
  return l;
}
