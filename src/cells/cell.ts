import type { Arr, DType } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import type { ParamGroup } from '../model/params.ts';
import type { Activation } from './activations.ts';

/**
 * What one forward step leaves behind for its local derivatives. Buffers are owned by the
 * cache and reused when the cache is reused; x and s_prev are copies, so the caller may
 * overwrite its own arrays after `forward`.
 */
export interface CellCache {
  readonly batch: number;
  /** x_t, B×I */
  readonly x: Arr;
  /** s_{t-1}, B×n */
  readonly sPrev: Arr;
  /** s_t, B×n */
  readonly s: Arr;
  /** h_t, B×H: the part of the state the readout sees */
  readonly h: Arr;
}

/**
 * A recurrent cell s_t = F(x_t, s_{t-1}; Ψ) over a batch, with its hand-written local
 * derivatives (MATH.md §2). All state quantities are per example (no 1/B).
 */
export interface Cell<C extends CellCache = CellCache> {
  readonly type: 'rnn' | 'lstm';
  readonly activation: Activation | null;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** n: H for the vanilla RNN, 2H for the LSTM (s = [h; c]) */
  readonly stateSize: number;
  readonly dtype: DType;
  /** Ψ in PyTorch layout: W_ih, W_hh, b */
  readonly params: ParamGroup;

  createCache(batch: number): C;
  /** s_t = F(x_t, s_{t-1}); fills cache.s and cache.h. */
  forward(x: Arr, sPrev: Arr, cache: C): void;
  /** J_t = ∂s_t/∂s_{t-1} for every example, in the cell's structured form (views into the cache). */
  jacobian(cache: C): Jacobian;
  /** out_b = v_b·J_t (row vector times Jacobian), per example: the BPTT step. */
  vjpState(cache: C, v: Arr, out: Arr): void;
  /** grads += scale·Σ_b v_b·(∂s_t/∂Ψ)_loc (s_{t-1} held fixed). */
  vjpParams(cache: C, v: Arr, grads: ParamGroup, scale: number): void;
  /** Embed a gradient on h (B×H) as a gradient on s (B×n): [dh; 0] for the LSTM. */
  hiddenToState(dh: Arr, out: Arr, batch: number): void;
}
