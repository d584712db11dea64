import type { ModelGroups } from '../model/model.ts';
import { powInt } from '../math/index.ts';
import { checkOptions, checkPositive, describe } from '../validate.ts';
import { checkClip, checkUnit, clipFactor, forEachPair, resolveRates, type GroupRates, type Optimizer, type OptimizerOptions } from './optimizer.ts';

export interface AdamOptions extends OptimizerOptions {
  /** default [0.9, 0.999]; the paper's code used [0.9, 0.98] */
  betas?: [number, number];
  /** default 1e-8; the paper's code used 1e-9 */
  eps?: number;
}

/**
 * Adam (Kingma & Ba): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr·m̂/(√v̂ + ε),
 * with bias corrections m̂ = m/(1−β₁ᵏ), v̂ = v/(1−β₂ᵏ); g is the clipped gradient.
 */
export class Adam implements Optimizer {
  readonly name = 'adam';
  readonly rates: GroupRates;
  readonly betas: [number, number];
  readonly eps: number;
  readonly clipNorm: number | undefined;
  private t = 0;
  private m = new Map<string, Float64Array>();
  private v = new Map<string, Float64Array>();

  constructor(opts: AdamOptions) {
    checkOptions(opts, ['lr', 'clipNorm', 'betas', 'eps'], 'Adam');
    this.rates = resolveRates(opts?.lr, 'Adam');
    const betas = opts.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`Adam: betas: expected [β1, β2] in [0, 1), received ${describe(betas)}`);
    for (const [i, b] of betas.entries()) {
      checkUnit(b, `Adam: betas[${i}]`);
      if (b >= 1) throw new Error(`Adam: betas[${i}]: expected a number in [0, 1), received ${b}`);
    }
    this.betas = [betas[0], betas[1]];
    this.eps = opts.eps === undefined ? 1e-8 : checkPositive(opts.eps, 'Adam: eps');
    this.clipNorm = checkClip(opts.clipNorm, 'Adam: clipNorm');
  }

  step(params: ModelGroups, grads: ModelGroups): void {
    const c = clipFactor(grads, this.rates, this.clipNorm);
    this.t++;
    const [b1, b2] = this.betas;
    const bc1 = 1 - powInt(b1, this.t);
    const bc2 = 1 - powInt(b2, this.t);
    forEachPair(params, grads, this.rates, (key, p, g, lr) => {
      let m = this.m.get(key);
      let v = this.v.get(key);
      if (!m || !v) {
        m = new Float64Array(p.size);
        v = new Float64Array(p.size);
        this.m.set(key, m);
        this.v.set(key, v);
      }
      for (let i = 0; i < p.data.length; i++) {
        const gi = c * g.data[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        p.data[i] -= (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + this.eps);
      }
    });
  }

  getState(): unknown {
    const enc = (map: Map<string, Float64Array>) => Object.fromEntries([...map].map(([k, a]) => [k, Array.from(a)]));
    return { t: this.t, m: enc(this.m), v: enc(this.v) };
  }

  setState(state: unknown): void {
    const s = state as { t?: unknown; m?: unknown; v?: unknown };
    if (!s || typeof s !== 'object' || !Number.isInteger(s.t) || (s.t as number) < 0 || typeof s.m !== 'object' || typeof s.v !== 'object' || !s.m || !s.v) {
      throw new Error(`Adam.setState: expected { t: integer ≥ 0, m: {...}, v: {...} }, received ${describe(state)}`);
    }
    const dec = (o: object, name: string) => {
      const map = new Map<string, Float64Array>();
      for (const [k, a] of Object.entries(o)) {
        if (!Array.isArray(a) || a.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw new Error(`Adam.setState: ${name}.${k}: expected an array of finite numbers`);
        map.set(k, Float64Array.from(a));
      }
      return map;
    };
    const m = dec(s.m, 'm');
    const v = dec(s.v, 'v');
    this.t = s.t as number;
    this.m = m;
    this.v = v;
  }
}
