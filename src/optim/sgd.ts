import type { ModelGroups } from '../model/model.ts';
import { checkOptions } from '../validate.ts';
import { checkClip, clipFactor, forEachPair, resolveRates, type GroupRates, type Optimizer, type OptimizerOptions } from './optimizer.ts';

/** Plain gradient descent: θ ← θ − lr·c·g, with c the global-norm clip factor. */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  readonly rates: GroupRates;
  readonly clipNorm: number | undefined;

  constructor(opts: OptimizerOptions) {
    checkOptions(opts, ['lr', 'clipNorm'], 'Sgd');
    this.rates = resolveRates(opts?.lr, 'Sgd');
    this.clipNorm = checkClip(opts.clipNorm, 'Sgd: clipNorm');
  }

  step(params: ModelGroups, grads: ModelGroups): void {
    const c = clipFactor(grads, this.rates, this.clipNorm);
    forEachPair(params, grads, this.rates, (_k, p, g, lr) => {
      const a = lr * c;
      for (let i = 0; i < p.data.length; i++) p.data[i] -= a * g.data[i];
    });
  }

  getState(): unknown {
    return {};
  }
  setState(): void {}
}
