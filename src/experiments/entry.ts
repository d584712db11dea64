/**
 * One sweep entry's parts, built from its task's and method's specs exactly as every part of
 * the runner needs them (training, the duration estimate's probes, checkpoint validation): the
 * model, Adam, the learner, the training source and the held-out evaluation.
 */
import { createModel, type Model } from '../model/model.ts';
import type { Learner } from '../learners/learner.ts';
import { modelFromJson, type ModelJson } from '../io/model-json.ts';
import { Adam } from '../optim/adam.ts';
import type { RunConfig, SweepEntry } from './config.ts';
import { methodSpec } from './methods/index.ts';
import type { MethodSpec, TaskContext, TaskEvaluation, TaskSource } from './spec.ts';
import { taskSpec, type AnyTaskSpec } from './tasks/index.ts';

/** The run's model for `seed`: its cell (and activation, where the cell has one) at the task's sizes. */
export function buildModel(config: RunConfig, seed: number): Model {
  const { inputSize, outputSize } = taskSpec(config.task).sizes(config.taskOptions);
  const options = config.activation === null ? {} : { activation: config.activation };
  return createModel({ cell: config.cell, ...options, inputSize, hiddenSize: config.hidden, outputSize, seed, gain: config.gain });
}

/** Adam with the run's rates, β and ε. */
export function makeOptimizer(config: RunConfig): Adam {
  return new Adam({ lr: { ...config.lr }, betas: [config.betas[0], config.betas[1]], eps: config.eps });
}

/** The task's view of one entry. */
export function taskContext(config: RunConfig, seed: number, data: unknown): TaskContext {
  return { config, options: config.taskOptions, seed, data };
}

/** A mid-entry state to continue from (a checkpoint's). */
export interface EntryState {
  model: ModelJson;
  optimizer: unknown;
  source: unknown;
}

export interface EntryParts {
  task: AnyTaskSpec;
  method: MethodSpec;
  model: Model;
  optimizer: Adam;
  learner: Learner;
  source: TaskSource;
  evaluation: TaskEvaluation;
}

/** Builds (or, from `state`, restores) everything entry `entry` trains with. */
export function entryParts(config: RunConfig, entry: SweepEntry, data: unknown, state: EntryState | null = null): EntryParts {
  const task = taskSpec(config.task);
  const method = methodSpec(entry.method);
  const ctx = taskContext(config, entry.seed, data);
  const model = state ? modelFromJson(state.model, 'float64', 'checkpoint model') : buildModel(config, entry.seed);
  const optimizer = makeOptimizer(config);
  if (state) optimizer.setState(state.optimizer, model.groups());
  const learner = method.createLearner(model, { loss: task.loss, optimizer }, config.methodSettings, entry.variant);
  return { task, method, model, optimizer, learner, source: task.source(ctx, state ? state.source : null), evaluation: task.evaluation(ctx) };
}

/** The fields every log record of an entry carries: who it is, the settings that name it, how it computes. */
export function entryRecord(config: RunConfig, entry: SweepEntry): Record<string, unknown> {
  const m = methodSpec(entry.method);
  const s = config.methodSettings;
  return { series: entry.series, group: entry.group, method: entry.method, ...entry.variant, ...m.logged?.(s), regime: m.regime(s), computation: m.computation(s), seed: entry.seed };
}
