import { checkDType, type Arr, type DType } from '../tensor/dtype.ts';
import { checkSizes, initParams } from '../cells/init.ts';
import { kernels } from '../tensor/ops.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { describe } from '../validate.ts';

/**
 * Linear synthesiser (docs/MATH.md §4): raw output r(s; θ) = W s + b (W: n×n, b: n),
 * zero-initialised, and synthetic gradient g(s) = r(s)/ρ with the target scale ρ > 0
 * (default 1). g predicts the per-example discounted future gradient
 * G_t = Σ_{k≥1} γ^{k−1} (∂L_{t+k}/∂s_{t+k}) Φ(t+k, t); the raw output therefore predicts ρ·G_t.
 * With ρ = 1/B (1/(B·O) for a loss averaged over O channels too) the raw output is in the units
 * of the paper's code, whose state gradients come from the batch-mean loss, so its learning
 * rates, Adam's ε and its clip threshold apply verbatim (README "Loss convention and units").
 * Everything outside the synthesiser (learning signals, TD errors, alignment, the gradients
 * JSON's syntheticGrads) sees g, per example, whatever ρ is.
 */
export class Synthesiser {
  readonly params: ParamGroup;
  private rho = 1;

  constructor(
    readonly stateSize: number,
    readonly dtype: DType = 'float64',
    params?: ParamGroup,
    targetScale = 1,
  ) {
    checkSizes('Synthesiser', { stateSize });
    checkDType(dtype, 'Synthesiser: dtype');
    this.rho = checkTargetScale(targetScale, 'Synthesiser: targetScale');
    this.params = initParams('Synthesiser', { W: [stateSize, stateSize], b: [stateSize] }, dtype, params);
  }

  /** ρ: the raw output is trained to predict ρ × the per-example target. */
  get targetScale(): number {
    return this.rho;
  }

  /**
   * Changes ρ keeping the function g: the raw parameters are multiplied by ρ_new/ρ_old.
   * Throws, changing nothing, unless ρ_new is a finite number > 0.
   */
  setTargetScale(rho: number): void {
    const next = checkTargetScale(rho, 'Synthesiser.setTargetScale: targetScale');
    if (next === this.rho) return;
    const f = next / this.rho;
    for (const t of Object.values(this.params)) for (let i = 0; i < t.data.length; i++) t.data[i] *= f;
    this.rho = next;
  }

  /** g (B×n) = (s·Wᵀ + b)/ρ */
  forward(s: Arr, batch: number, g: Arr): void {
    const n = this.stateSize;
    const rho = this.rho;
    kernels().gemm(false, true, batch, n, n, 1, s, this.params.W.data, 0, g);
    const b = this.params.b.data;
    for (let r = 0; r < batch; r++) for (let i = 0; i < n; i++) g[r * n + i] = (g[r * n + i] + b[i]) / rho;
  }

  /**
   * grads += scale·ρ·Σ_b err_bᵀ·[s_b; 1] with err_b = g(s_b) − target_b (B×n, units of g): the
   * gradient, with respect to the raw parameters, of scale·Σ_b ½‖r(s_b) − ρ·target_b‖²
   * (docs/MATH.md §4.8).
   */
  accumulate(err: Arr, s: Arr, batch: number, grads: ParamGroup, scale: number): void {
    const n = this.stateSize;
    const k = scale * this.rho;
    kernels().gemm(true, false, n, n, batch, k, err, s, 1, grads.W.data);
    const gb = grads.b.data;
    for (let r = 0; r < batch; r++) for (let i = 0; i < n; i++) gb[i] += k * err[r * n + i];
  }
}

function checkTargetScale(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${name}: expected a finite number > 0, received ${describe(v)}`);
  return v;
}
