import { Adam, createLearner, createModel, Rng, type Learner, type Model, type SeqBatch } from '../../src/index.ts';
import type { LossKind } from '../../src/data/batch.ts';
import type { ParamGroup } from '../../src/tensor/params.ts';

export const I = 2;
export const H = 3;
export const O = 2;

/** Every parameter of the model, group by group, as plain numbers (compared bit for bit). */
export function params(model: Model): number[][] {
  return Object.values(model.groups()).flatMap((g: ParamGroup) => Object.values(g).map((t) => Array.from(t.data)));
}

/** A model and an online BP(λ) learner with Adam, per-step updates (the parameters move at every step). */
export function setup(seed = 1, loss: LossKind = 'mse'): { model: Model; learner: Learner } {
  const model = createModel({ cell: 'rnn', inputSize: I, hiddenSize: H, outputSize: O, seed });
  const learner = createLearner('bp-lambda', model, { loss, lambda: 0.9, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 0.05 }) });
  return { model, learner };
}

/** `count` random batches (B and T vary); targets of `loss`'s kind, none at some steps. */
export function batches(count: number, seed = 7, loss: LossKind = 'mse'): SeqBatch[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const B = 1 + rng.int(3);
    const T = 2 + rng.int(3);
    const x = Array.from({ length: T }, () => Float64Array.from({ length: B * I }, () => rng.normal()));
    const y = Array.from({ length: T }, (_, t) => {
      if (t !== T - 1 && rng.next() < 0.3) return null;
      const yt = new Float64Array(B * O);
      for (let b = 0; b < B; b++) {
        if (loss === 'softmax-ce') yt[b * O + rng.int(O)] = 1;
        else for (let o = 0; o < O; o++) yt[b * O + o] = loss === 'mse' ? rng.normal() : rng.int(2);
      }
      return yt;
    });
    return { T, B, inputSize: I, outputSize: O, loss, x, y };
  });
}
