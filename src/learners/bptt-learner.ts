import type { Model } from '../model/model.ts';
import { zerosLike } from '../tensor/params.ts';
import { checkInt, checkOptions } from '../validate.ts';
import { bpttFromTrajectory } from './bptt.ts';
import type { CommonOptions } from './learner.ts';
import { COMMON_KEYS, OfflineLearner, type OfflineGradients } from './offline.ts';
import type { Trajectory } from './trajectory.ts';
import type { LearnerState } from './learner-state.ts';

/**
 * BPTT as a learner (MATH.md §3): ∂L/∂s_t = ∂L_t/∂s_t + (∂L/∂s_{t+1})·J_{t+1}, backward stops at
 * window starts when `truncation` n is given (windows of n steps, the first holding T mod n).
 */
export interface BpttOptions extends CommonOptions {
  truncation?: number;
}

export class BpttLearner extends OfflineLearner {
  readonly method: string;
  protected readonly trainsSynthesiser = false;
  readonly truncation: number | undefined;

  constructor(model: Model, opts: BpttOptions) {
    checkOptions(opts, [...COMMON_KEYS, 'truncation'], 'BpttLearner');
    super(model, opts, opts?.truncation === undefined ? 'bptt' : 'tbptt');
    this.method = opts.truncation === undefined ? 'bptt' : 'tbptt';
    this.truncation = opts.truncation === undefined ? undefined : checkInt(opts.truncation, 'BpttLearner: truncation', 1);
  }

  protected methodConfig(): LearnerState['config'] {
    return { truncation: this.truncation ?? null };
  }

  protected compute(traj: Trajectory): OfflineGradients {
    const r = bpttFromTrajectory(this.model, traj, this.truncation);
    return { grads: { cell: r.cell, readout: r.readout, synthesiser: zerosLike(this.model.synthesiser.params) }, stateGrads: r.stateGrads };
  }
}
