import type { ModelGroups } from '../model/model.ts';
import { checkOptions, describe } from '../validate.ts';
import { checkClip, OptimizerDivergenceError, ParamBinding, prepareStep, resolveRates, type GroupRates, type Optimizer, type OptimizerOptions, type StepGrads } from './optimizer.ts';

/**
 * Plain gradient descent: θ ← θ − lr·c·g, with c the global-norm clip factor. Groups whose
 * gradient is null at a step are not moved. All or nothing: a non-finite gradient or a
 * parameter that would overflow throws an OptimizerDivergenceError before any change.
 */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  readonly rates: GroupRates;
  readonly clipNorm: number | undefined;
  private readonly binding = new ParamBinding();

  constructor(opts: OptimizerOptions) {
    checkOptions(opts, ['lr', 'clipNorm'], 'Sgd');
    this.rates = resolveRates(opts?.lr, 'Sgd');
    this.clipNorm = checkClip(opts.clipNorm, 'Sgd: clipNorm');
  }

  step(params: ModelGroups, grads: StepGrads): void {
    this.binding.check(params, 'Sgd');
    const { pairs, c } = prepareStep(params, grads, this.rates, this.clipNorm, 'Sgd');
    // pass 0 checks that every new value is finite, pass 1 writes them
    for (const commit of [false, true]) {
      for (const { group, name, p, g, lr } of pairs) {
        const a = lr * c;
        for (let i = 0; i < p.data.length; i++) {
          const next = p.data[i] - a * g.data[i];
          if (commit) p.data[i] = next;
          else if (!Number.isFinite(next)) throw new OptimizerDivergenceError('Sgd', `the updated parameter ${group}.${name} (index ${i})`);
        }
      }
    }
    this.binding.bind(params);
  }

  getState(): unknown {
    return {};
  }

  setState(state: unknown): void {
    if (state === null || typeof state !== 'object' || Array.isArray(state) || Object.keys(state).length) throw new Error(`Sgd.setState: expected {} (SGD keeps no state), received ${describe(state)}`);
    this.binding.unbind();
  }
}
