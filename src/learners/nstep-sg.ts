import type { Model } from '../model/model.ts';
import { zerosLike } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { checkInt, checkOptions, checkUnit } from '../validate.ts';
import { applySyntheticOptions, SYNTHETIC_KEYS, type CommonOptions, type SyntheticOptions } from './learner.ts';
import { COMMON_KEYS, OfflineLearner, type OfflineGradients } from './offline.ts';
import { isWindowStart, readoutGrads, type Trajectory } from './trajectory.ts';

/**
 * n-step synthetic gradients (Jaderberg et al.; MATH.md §4.1) on top of truncated BPTT(n).
 * Cell: BPTT within each window, with σ·g(s_end) injected at the end of every window but the
 * last. Synthesiser: at each window boundary state s_t (t ≥ 1) regress g(s_t) onto
 *   G^(n)_t = Σ_{k=1..n} γ^{k−1}(∂L_{t+k}/∂s_{t+k})·M_{t+k,t} + γ^n·g(s_{t+n})·M_{t+n,t}
 * (the last window has no bootstrap term), loss ½‖g(s_t) − G^(n)_t‖², target held constant.
 */
export interface NStepSgOptions extends CommonOptions, SyntheticOptions {
  truncation: number;
  gamma: number;
}

export class NStepSgLearner extends OfflineLearner {
  readonly method = 'sg';
  protected readonly trainsSynthesiser = true;
  readonly truncation: number;
  readonly gamma: number;
  readonly sgScale: number;

  constructor(model: Model, opts: NStepSgOptions) {
    checkOptions(opts, [...COMMON_KEYS, 'truncation', 'gamma', ...SYNTHETIC_KEYS], 'NStepSgLearner');
    super(model, opts, 'sg');
    this.truncation = checkInt(opts.truncation, 'NStepSgLearner: truncation', 1);
    this.gamma = checkUnit(opts.gamma, 'NStepSgLearner: gamma');
    // last: ρ changes the model (keeping its function), only once every option is valid
    this.sgScale = applySyntheticOptions(model, opts, 'NStepSgLearner');
  }

  protected compute(traj: Trajectory, terminal: boolean): OfflineGradients {
    const { model, truncation: n, gamma } = this;
    const { cell, synthesiser } = model;
    const { T, batch: B } = traj;
    const len = B * cell.stateSize;
    const mk = () => alloc(model.dtype, len);
    const isEnd = (t: number) => t === T - 1 || isWindowStart(t + 1, T, n);
    // g(s_t) at window ends (zero at a terminal last step, bootstrap otherwise)
    const g: Arr[] = traj.caches.map((c, t) => {
      const out = mk();
      if (isEnd(t) && (t < T - 1 || !terminal)) synthesiser.forward(c.s, B, out);
      return out;
    });

    // cell: truncated BPTT with σ·g(s_end) arriving from the future at each window end
    const cellGrads = zerosLike(cell.params);
    const carry = mk();
    const total = mk();
    for (let t = T - 1; t >= 0; t--) {
      const inject = isEnd(t) ? this.sgScale : 0;
      for (let i = 0; i < len; i++) total[i] = traj.dLds[t][i] + carry[i] + inject * g[t][i];
      cell.vjpParams(traj.caches[t], total, cellGrads, 1 / B);
      if (isWindowStart(t, T, n)) carry.fill(0);
      else cell.vjpState(traj.caches[t], total, carry);
    }

    // synthesiser: discounted backward over each window gives the target at the state before it
    const synthGrads = zerosLike(synthesiser.params);
    const u = mk();
    const target = mk();
    for (let end = T - 1; end >= 0; ) {
      let start = end;
      while (!isWindowStart(start, T, n)) start--;
      // u_t = ∂L_t/∂s_t + γ·(bootstrap at the end | G'_t inside), G'_{t−1} = u_t·J_t
      for (let i = 0; i < len; i++) u[i] = traj.dLds[end][i] + gamma * g[end][i];
      for (let t = end; t > start; t--) {
        cell.vjpState(traj.caches[t], u, target);
        for (let i = 0; i < len; i++) u[i] = traj.dLds[t - 1][i] + gamma * target[i];
      }
      if (start >= 1) {
        cell.vjpState(traj.caches[start], u, target);
        const sPrev = traj.caches[start - 1].s;
        const err = u;
        synthesiser.forward(sPrev, B, err);
        for (let i = 0; i < len; i++) err[i] -= target[i];
        synthesiser.accumulate(err, sPrev, B, synthGrads, 1 / B);
      }
      end = start - 1;
    }
    return { grads: { cell: cellGrads, readout: readoutGrads(model, traj), synthesiser: synthGrads }, syntheticGrads: g };
  }
}
