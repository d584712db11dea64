import { checkDType, type Arr, type DType } from '../tensor/dtype.ts';
import { kernels } from '../tensor/ops.ts';
import { checkSizes, initParams } from './init.ts';
import type { ParamGroup } from '../tensor/params.ts';

/** Linear readout ŷ_t = W_out h_t + b_out (W: O×H, b: O), batched over rows of h. */
export class Readout {
  readonly params: ParamGroup;

  constructor(
    readonly hiddenSize: number,
    readonly outputSize: number,
    readonly dtype: DType = 'float64',
    params?: ParamGroup,
  ) {
    checkSizes('Readout', { hiddenSize, outputSize });
    checkDType(dtype, 'Readout: dtype');
    this.params = initParams('Readout', { W: [outputSize, hiddenSize], b: [outputSize] }, dtype, params);
  }

  /** yhat (B×O) = h·Wᵀ + b */
  forward(h: Arr, batch: number, yhat: Arr): void {
    const O = this.outputSize;
    kernels().gemm(false, true, batch, O, this.hiddenSize, 1, h, this.params.W.data, 0, yhat);
    const b = this.params.b.data;
    for (let r = 0; r < batch; r++) for (let o = 0; o < O; o++) yhat[r * O + o] += b[o];
  }

  /** dh (B×H) = dyhat·W (per example, no batch factor). */
  backwardHidden(dyhat: Arr, batch: number, dh: Arr): void {
    kernels().gemm(false, false, batch, this.hiddenSize, this.outputSize, 1, dyhat, this.params.W.data, 0, dh);
  }

  /** grads += scale·Σ_b dyhat_bᵀ h_b (W) and scale·Σ_b dyhat_b (b). */
  accumulateGrads(dyhat: Arr, h: Arr, batch: number, grads: ParamGroup, scale: number): void {
    const O = this.outputSize;
    kernels().gemm(true, false, O, this.hiddenSize, batch, scale, dyhat, h, 1, grads.W.data);
    const gb = grads.b.data;
    for (let r = 0; r < batch; r++) for (let o = 0; o < O; o++) gb[o] += scale * dyhat[r * O + o];
  }
}
