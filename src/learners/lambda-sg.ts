import type { Model } from '../model/model.ts';
import { zerosLike } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { lambdaTargetsByEpisode } from '../kernels/lambda-targets.ts';
import { endsEpisode, episodeLayout } from '../data/episodes.ts';
import { zeroRows } from '../data/step-rows.ts';
import { checkOptions, checkUnit } from '../validate.ts';
import { applySyntheticOptions, SYNTHETIC_KEYS, type CommonOptions, type SyntheticOptions } from './learner.ts';
import type { LearnerState } from './learner-state.ts';
import { COMMON_KEYS, OfflineLearner, type OfflineGradients } from './offline.ts';
import { readoutGrads, type Trajectory } from './trajectory.ts';

/**
 * Offline λ-SG (MATH.md §4.2), the forward-view oracle of BP(λ): with θ fixed over the sequence,
 *   G^λ_t = [∂L_{t+1}/∂s_{t+1} + γ((1−λ)·g(s_{t+1}) + λ·G^λ_{t+1})]·J_{t+1},   G^λ_T = 0,
 *   synthesiser gradient −(1/B)·Σ_b Σ_{t<T} (G^λ_t − g(s_t))·∂g(s_t)/∂θ,
 *   cell gradient (1/B)·Σ_b Σ_t (∂L_t/∂s_t + σ·g(s_t))·(∂s_t/∂Ψ)_loc   (g(s_T) := 0).
 * O(n²) per example and step, but it needs the whole sequence buffered. Per example over its
 * own episodes (data/episodes.ts): T is the end of the example's episode, terminal or a cut.
 */
export interface LambdaSgOptions extends CommonOptions, SyntheticOptions {
  lambda: number;
  gamma: number;
}

export class LambdaSgLearner extends OfflineLearner {
  readonly method = 'lambda-sg';
  protected readonly trainsSynthesiser = true;
  readonly lambda: number;
  readonly gamma: number;
  readonly sgScale: number;

  constructor(model: Model, opts: LambdaSgOptions) {
    checkOptions(opts, [...COMMON_KEYS, 'lambda', 'gamma', ...SYNTHETIC_KEYS], 'LambdaSgLearner');
    super(model, opts, 'lambda-sg');
    this.lambda = checkUnit(opts.lambda, 'LambdaSgLearner: lambda');
    this.gamma = checkUnit(opts.gamma, 'LambdaSgLearner: gamma');
    // last: ρ changes the model (keeping its function), only once every option is valid
    this.sgScale = applySyntheticOptions(model, opts, 'LambdaSgLearner');
  }

  protected methodConfig(): LearnerState['config'] {
    return { lambda: this.lambda, gamma: this.gamma, sgScale: this.sgScale, targetScale: this.model.synthesiser.targetScale };
  }

  protected compute(traj: Trajectory, terminal: boolean): OfflineGradients {
    const { model } = this;
    const { cell, synthesiser } = model;
    const { T, batch: B } = traj;
    const n = cell.stateSize;
    const len = B * n;
    const mk = () => alloc(model.dtype, len);
    const layout = episodeLayout(traj.rows, T, B, terminal);
    // g(s_t) under the fixed θ; g(s_t) := 0 where an episode ends terminally, and where the example sits out
    const g: Arr[] = traj.caches.map((c, t) => {
      const out = mk();
      synthesiser.forward(c.s, B, out);
      zeroRows(out, layout.terminal[t], n);
      const held = layout.held[t];
      if (held !== null) zeroRows(out, held, n);
      return out;
    });
    const G = lambdaTargetsByEpisode(layout, T, traj.dLds, g, (t) => g[t], this.gamma, this.lambda, (t, v, out) => cell.vjpState(traj.caches[t], v, out), mk);
    const synthGrads = zerosLike(synthesiser.params);
    const cellGrads = zerosLike(cell.params);
    const err = mk();
    const sig = mk();
    for (let t = 0; t < T; t++) {
      // the synthesiser learns at every active step but the last of its example's episode
      let rows = 0;
      for (let b = 0; b < B; b++) {
        const learns = layout.index[t][b] >= 0 && !endsEpisode(layout, t, b);
        for (let i = b * n; i < (b + 1) * n; i++) err[i] = learns ? g[t][i] - G[t][i] : 0;
        rows += learns ? 1 : 0;
      }
      if (rows > 0) synthesiser.accumulate(err, traj.caches[t].s, B, synthGrads, 1 / B);
      for (let i = 0; i < len; i++) sig[i] = traj.dLds[t][i] + this.sgScale * g[t][i];
      cell.vjpParams(traj.caches[t], sig, cellGrads, 1 / B);
    }
    return { grads: { cell: cellGrads, readout: readoutGrads(model, traj), synthesiser: synthGrads }, syntheticGrads: g };
  }
}
