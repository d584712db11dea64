import type { Arr, DType } from '../tensor/dtype.ts';
import { kernels } from '../tensor/ops.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { ParamGroup } from '../tensor/params.ts';

/**
 * Linear synthesiser g(s; θ) = W s + b (W: n×n, b: n), zero-initialised (MATH.md §4).
 * It predicts the discounted future gradient G_t = Σ_{k≥1} γ^{k−1} (∂L_{t+k}/∂s_{t+k}) M_{t+k,t}.
 */
export class Synthesiser {
  readonly params: ParamGroup;

  constructor(
    readonly stateSize: number,
    readonly dtype: DType = 'float64',
    params?: ParamGroup,
  ) {
    this.params = params ?? { W: Tensor.zeros([stateSize, stateSize], dtype), b: Tensor.zeros([stateSize], dtype) };
  }

  /** g (B×n) = s·Wᵀ + b */
  forward(s: Arr, batch: number, g: Arr): void {
    const n = this.stateSize;
    kernels().gemm(false, true, batch, n, n, 1, s, this.params.W.data, 0, g);
    const b = this.params.b.data;
    for (let r = 0; r < batch; r++) for (let i = 0; i < n; i++) g[r * n + i] += b[i];
  }

  /** grads += scale·Σ_b err_bᵀ·[s_b; 1]: the gradient of scale·Σ_b err_b·g(s_b) with respect to θ. */
  accumulate(err: Arr, s: Arr, batch: number, grads: ParamGroup, scale: number): void {
    const n = this.stateSize;
    kernels().gemm(true, false, n, n, batch, scale, err, s, 1, grads.W.data);
    const gb = grads.b.data;
    for (let r = 0; r < batch; r++) for (let i = 0; i < n; i++) gb[i] += scale * err[r * n + i];
  }
}
