import type * as Lib from '../../src/index.ts';

/**
 * A few deterministic BP(λ) training sequences (per-step Adam), for every registered cell, with
 * the library passed in: the same code runs against the TypeScript sources (main thread,
 * worker_threads) and against the browser bundle (a process started with
 * --disallow-code-generation-from-strings). It has no imports of its own at run time.
 */
export interface FixtureRun {
  cell: string;
  losses: number[];
  /** every parameter after training, by group and name, as plain arrays */
  params: Record<string, number[]>;
  alignment: number;
}

export function trainFixture(lib: typeof Lib, sequences = 4): FixtureRun[] {
  const { Adam, CELL_TYPES, Rng, createLearner, createModel, gradientAlignment, trainSequence } = lib;
  const rng = new Rng(11);
  const T = 7;
  const B = 3;
  const I = 4;
  const O = 2;
  const batch = {
    T,
    B,
    inputSize: I,
    outputSize: O,
    loss: 'mse' as const,
    x: Array.from({ length: T }, () => Float64Array.from({ length: B * I }, () => rng.uniform(-1, 1))),
    y: Array.from({ length: T }, (_, t) => (t === T - 1 || t === 3 ? Float64Array.from({ length: B * O }, () => rng.uniform(-1, 1)) : null)),
  };
  const runs: FixtureRun[] = [];
  for (const cell of CELL_TYPES) {
    const model = createModel({ cell, inputSize: I, hiddenSize: 5, outputSize: O, seed: 3 });
    const learner = createLearner('bp-lambda', model, { loss: 'mse', lambda: 0.7, gamma: 0.9, sgScale: 0.5, regime: 'per-step', optimizer: new Adam({ lr: { cell: 0.01, readout: 0.01, synthesiser: 0.003 } }) });
    const losses: number[] = [];
    for (let i = 0; i < sequences; i++) losses.push(trainSequence(learner, batch).loss);
    const params: Record<string, number[]> = {};
    for (const [group, tensors] of Object.entries(model.groups())) {
      for (const [name, t] of Object.entries(tensors as Lib.ParamGroup)) params[`${group}.${name}`] = Array.from(t.data);
    }
    runs.push({ cell, losses, params, alignment: gradientAlignment(model, batch).mean });
  }
  return runs;
}
