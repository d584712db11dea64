import type { Optimizer } from '../optim/optimizer.ts';
import type { LossKind } from '../data/batch.ts';
import type { Model, ModelGroups } from '../model/model.ts';
import type { Arr } from '../tensor/dtype.ts';
import { applyOptimizer, COMMON_KEYS, checkCommon, checkFiniteGroups, commonConfig, DivergenceError, restoreState, saveState, StepGuard, type CommonOptions, type Learner, type SequenceResult, type StateOwner, type StepResult } from './learner.ts';
import { TrajectoryRecorder, type RecordedStep, type Trajectory } from './trajectory.ts';
import { cacheJson, numbers, rowsJson, type LearnerState } from './learner-state.ts';
import { allocating } from '../memory.ts';
import type { StepOptions } from '../data/step-rows.ts';

/** What an offline method computes from a whole buffered sequence. */
export interface OfflineGradients {
  grads: ModelGroups;
  /** per step, per example B×n: ∂L/∂s_t (BPTT family) */
  stateGrads?: Arr[];
  /** per step, per example B×n: g(s_t) as used (zero at a terminal last step) */
  syntheticGrads?: Arr[];
}

/**
 * Shared life-cycle of the offline methods (BPTT, truncated BPTT, n-step SG, λ-SG): `step`
 * runs the forward pass and buffers it (with its per-example flags); `end` computes the
 * gradients from the whole sequence (memory grows with T), per example over its own episodes
 * (data/episodes.ts), and applies the optimizer, if any, once.
 */
export abstract class OfflineLearner implements Learner {
  abstract readonly method: string;
  get loss(): LossKind {
    return this.common.loss;
  }
  get optimizer(): Optimizer | undefined {
    return this.common.optimizer;
  }
  /** whether the method trains the synthesiser (BPTT does not: its synthesiser gradient is null) */
  protected abstract readonly trainsSynthesiser: boolean;
  protected readonly guard: StepGuard;
  private rec: TrajectoryRecorder | null = null;

  constructor(
    readonly model: Model,
    protected readonly common: CommonOptions,
    name: string,
  ) {
    checkCommon(model, common, name);
    this.guard = new StepGuard(name, model, common.loss);
  }

  protected abstract compute(traj: Trajectory, terminal: boolean): OfflineGradients;
  /** The method's options that a saved state must match (besides loss and recordOutputs). */
  protected abstract methodConfig(): LearnerState['config'];

  /** What saving and restoring needs (learner.ts: saveState, restoreState). */
  private owner(): StateOwner {
    return { method: this.method, model: this.model, guard: this.guard, optimizer: this.common.optimizer, config: { ...commonConfig(this.common), ...this.methodConfig() }, reset: (B) => this.reset(B) };
  }

  /** The learner with its buffered steps (see Learner.getState and learner-state.ts). */
  getState(): LearnerState {
    return saveState(this.owner(), () => ({
      steps: this.rec!.steps().map((s) => ({ cache: cacheJson(s.cache), yhat: numbers(s.yhat), dyhat: s.dyhat === null ? null : numbers(s.dyhat), dLds: numbers(s.dLds), loss: s.loss, rows: rowsJson(s.rows) })),
    }));
  }

  /** Restores `getState()`'s value (checked in full first; a refused state changes nothing). */
  setState(state: unknown): void {
    const { model } = this;
    restoreState(this.owner(), state, ['steps'], (seq, head, r) => {
      const B = head.batch;
      const w = { O: B * model.outputSize, n: B * model.stateSize };
      const steps: RecordedStep[] = r.list(seq.steps, 'state.sequence.steps', head.t).map((v, t) => {
        const p = `state.sequence.steps[${t}]`;
        const s = r.object(v, p, ['cache', 'yhat', 'dyhat', 'dLds', 'loss', 'rows']);
        return {
          cache: r.cache(s.cache, `${p}.cache`, model.cell, B),
          yhat: r.array(s.yhat, `${p}.yhat`, w.O),
          dyhat: s.dyhat === null ? null : r.array(s.dyhat, `${p}.dyhat`, w.O),
          dLds: r.array(s.dLds, `${p}.dLds`, w.n),
          loss: r.number(s.loss, `${p}.loss`),
          rows: r.rows(s.rows, `${p}.rows`, B),
        };
      });
      return () => {
        for (const s of steps) this.rec!.keep(s);
      };
    });
  }

  reset(batchSize: number): void {
    const B = this.guard.checkBatchSize(batchSize);
    const bytes = (this.model.dtype === 'float64' ? 8 : 4) * B * (this.model.hiddenSize + this.model.stateSize);
    // a batch size that cannot be allocated leaves the learner as it was
    const rec = allocating(`${this.method}.reset: batchSize ${B}`, bytes, () => new TrajectoryRecorder(this.model, B, this.common.loss));
    this.rec = rec;
    this.guard.reset(B);
  }

  step(x: Arr, y: Arr | null, last = false, options?: StepOptions): StepResult {
    const rows = this.guard.checkStep(x, y, last, options);
    const l = this.rec!.push(x, y, rows);
    if (!Number.isFinite(l)) throw new DivergenceError(this.method, this.guard.t, 'the loss or the state');
    this.guard.advance(last, rows);
    return { loss: l / this.guard.batch };
  }

  end(): SequenceResult {
    this.guard.checkEnd();
    const traj = this.rec!.trajectory();
    const out = this.compute(traj, this.guard.terminal);
    checkFiniteGroups(out.grads, this.method, traj.T - 1);
    if (this.common.optimizer) {
      const received = { cell: true, readout: traj.dyhat.some((g) => g !== null), synthesiser: this.trainsSynthesiser };
      applyOptimizer(this.common.optimizer, this.model, out.grads, received, this.method, traj.T - 1);
    }
    this.guard.close();
    this.rec = null;
    return { loss: traj.loss, steps: traj.T, grads: out.grads, ...(out.stateGrads ? { stateGrads: out.stateGrads } : {}), ...(out.syntheticGrads ? { syntheticGrads: out.syntheticGrads } : {}) };
  }
}

export { COMMON_KEYS };
