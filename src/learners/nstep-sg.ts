import type { Model } from '../model/model.ts';
import { zerosLike } from '../tensor/params.ts';
import { alloc, type Arr } from '../tensor/dtype.ts';
import { checkInt, checkOptions, checkUnit } from '../validate.ts';
import { applySyntheticOptions, SYNTHETIC_KEYS, type CommonOptions, type SyntheticOptions } from './learner.ts';
import type { LearnerState } from './learner-state.ts';
import { COMMON_KEYS, OfflineLearner, type OfflineGradients } from './offline.ts';
import { isWindowStart, readoutGrads, type Trajectory } from './trajectory.ts';
import { episodeLayout, type EpisodeLayout } from '../data/episodes.ts';
import { copyRows, zeroRows } from '../data/step-rows.ts';

/**
 * n-step synthetic gradients (Jaderberg et al.; MATH.md §4.1) on top of truncated BPTT(n).
 * Cell: BPTT within each window, with σ·g(s_end) injected at the end of every window but the
 * last. Synthesiser: at each window boundary state s_t (t ≥ 1) regress g(s_t) onto
 *   G^(n)_t = Σ_{k=1..n} γ^{k−1}(∂L_{t+k}/∂s_{t+k})·M_{t+k,t} + γ^n·g(s_{t+n})·M_{t+n,t}
 * (the last window has no bootstrap term), loss ½‖g(s_t) − G^(n)_t‖², target held constant.
 * Per example over its own episodes (data/episodes.ts): windows of the episode's length.
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

  protected methodConfig(): LearnerState['config'] {
    return { truncation: this.truncation, gamma: this.gamma, sgScale: this.sgScale, targetScale: this.model.synthesiser.targetScale };
  }

  protected compute(traj: Trajectory, terminal: boolean): OfflineGradients {
    const { model, truncation: n, gamma } = this;
    const { cell, synthesiser } = model;
    const { T, batch: B } = traj;
    const N = cell.stateSize;
    const len = B * N;
    const mk = () => alloc(model.dtype, len);
    const layout = episodeLayout(traj.rows, T, B, terminal);
    const win = windowFlags(layout, n);
    // g(s_t) at window ends (zero at a terminal episode end, bootstrap at a cut)
    const g: Arr[] = traj.caches.map((c, t) => {
      const out = mk();
      synthesiser.forward(c.s, B, out);
      for (let b = 0; b < B; b++) if (!win.end[t][b] || layout.terminal[t][b]) out.fill(0, b * N, (b + 1) * N);
      return out;
    });

    // cell: truncated BPTT with σ·g(s_end) arriving from the future at each window end
    const cellGrads = zerosLike(cell.params);
    let carry = mk();
    let spare = mk();
    const total = mk();
    for (let t = T - 1; t >= 0; t--) {
      const held = layout.held[t];
      for (let i = 0; i < len; i++) total[i] = traj.dLds[t][i] + carry[i] + this.sgScale * g[t][i];
      if (held !== null) zeroRows(total, held, N);
      cell.vjpParams(traj.caches[t], total, cellGrads, 1 / B);
      if (win.startCount[t] === B) {
        carry.fill(0);
        continue;
      }
      cell.vjpState(traj.caches[t], total, spare);
      zeroRows(spare, win.start[t], N);
      if (held !== null) copyRows(spare, carry, held, N);
      [carry, spare] = [spare, carry];
    }

    // synthesiser: per example, a discounted backward pass over each window gives the target at
    // the state before it: u_t = ∂L_t/∂s_t + γ·(g(s_t) at the window's end | u_{t+1}·J_{t+1} inside)
    const synthGrads = zerosLike(synthesiser.params);
    const u = mk();
    const uJ = mk(); // u_t·J_t
    let next = mk(); // per example, u·J at its next active step in the window
    const err = mk();
    for (let t = T - 1; t >= 0; t--) {
      let needed = false;
      for (let b = 0; b < B; b++) {
        const k = layout.index[t][b];
        if (k < 0) continue;
        const from = win.end[t][b] ? g[t] : next;
        for (let i = b * N; i < (b + 1) * N; i++) u[i] = traj.dLds[t][i] + gamma * from[i];
        needed ||= k > 0;
      }
      if (!needed) continue;
      cell.vjpState(traj.caches[t], u, uJ);
      // at a window start (not the episode's first step) the target of g(s_{t−1}) is u_t·J_t
      let targets = 0;
      for (let b = 0; b < B; b++) {
        const k = layout.index[t][b];
        const target = k > 0 && win.start[t][b] === 1;
        if (k >= 0 && !target) for (let i = b * N; i < (b + 1) * N; i++) next[i] = uJ[i];
        targets += target ? 1 : 0;
      }
      if (targets === 0) continue;
      // s_{t−1} of an example that sat t − 1 out is the state of its previous active step (held)
      const sPrev = traj.caches[t - 1].s;
      synthesiser.forward(sPrev, B, err);
      for (let b = 0; b < B; b++) {
        const target = layout.index[t][b] > 0 && win.start[t][b] === 1;
        for (let i = b * N; i < (b + 1) * N; i++) err[i] = target ? err[i] - uJ[i] : 0;
      }
      synthesiser.accumulate(err, sPrev, B, synthGrads, 1 / B);
    }
    return { grads: { cell: cellGrads, readout: readoutGrads(model, traj), synthesiser: synthGrads }, syntheticGrads: g };
  }
}

/** Per step and example, whether the step starts or ends one of its episode's windows of n steps. */
function windowFlags(layout: EpisodeLayout, n: number): { start: Uint8Array[]; end: Uint8Array[]; startCount: number[] } {
  const start: Uint8Array[] = [];
  const end: Uint8Array[] = [];
  const startCount: number[] = [];
  for (let t = 0; t < layout.T; t++) {
    const s = new Uint8Array(layout.batch);
    const e = new Uint8Array(layout.batch);
    let count = 0;
    for (let b = 0; b < layout.batch; b++) {
      const k = layout.index[t][b];
      if (k < 0) continue;
      const L = layout.length[t][b];
      s[b] = isWindowStart(k, L, n) ? 1 : 0;
      e[b] = k === L - 1 || isWindowStart(k + 1, L, n) ? 1 : 0;
      count += s[b];
    }
    start.push(s);
    end.push(e);
    startCount.push(count);
  }
  return { start, end, startCount };
}
