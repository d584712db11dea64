/**
 * Builds the learner of one sweep entry, passing each algorithm only the options it takes.
 * Method 'bp-lambda' runs as accumulate BP(λ) with eligibility traces ('traces' or 'blocked',
 * either regime) or, in the per-sequence regime only, as offline λ-SG ('backward'): the same
 * update (MATH.md §4.3, the identity tested in test/learners) at O(n²) per step.
 */
import type { LossKind } from '../data/batch.ts';
import { createLearner } from '../learners/index.ts';
import type { Learner } from '../learners/learner.ts';
import type { Model } from '../model/model.ts';
import { Adam } from '../optim/adam.ts';
import type { RunConfig, SweepEntry } from './config.ts';

export function makeOptimizer(config: RunConfig): Adam {
  return new Adam({ lr: { ...config.lr }, betas: [config.betas[0], config.betas[1]], eps: config.eps });
}

export function makeLearner(config: RunConfig, entry: SweepEntry, model: Model, loss: LossKind, optimizer: Adam): Learner {
  const { gamma, sgScale, truncation } = config;
  switch (entry.learner) {
    case 'bptt':
      return createLearner('bptt', model, { loss, optimizer });
    case 'tbptt':
      return createLearner('tbptt', model, { loss, optimizer, truncation });
    case 'sg':
      return createLearner('sg', model, { loss, optimizer, truncation, gamma, sgScale });
    case 'bp-lambda':
      return createLearner('bp-lambda', model, {
        loss,
        optimizer,
        lambda: entry.lambda!,
        gamma,
        sgScale,
        regime: config.regime,
        computation: config.computation === 'blocked' ? 'blocked' : 'traces',
        ...(config.traceWindow !== null ? { traceWindow: config.traceWindow } : {}),
      });
    case 'lambda-sg':
      return createLearner('lambda-sg', model, { loss, optimizer, lambda: entry.lambda!, gamma, sgScale });
  }
}

/** How an entry's update was computed, for the log and the summary. */
export function computationOf(config: RunConfig, entry: SweepEntry): string {
  if (entry.method === 'bptt') return 'backprop through the whole sequence';
  if (entry.method === 'tbptt') return `backprop in windows of ${config.truncation}`;
  if (entry.method === 'sg') return `backprop in windows of ${config.truncation} + synthetic gradient at window ends`;
  if (entry.learner === 'lambda-sg') return 'backward (λ-targets, per-sequence)';
  return config.computation === 'blocked' ? `blocked traces, K = ${config.traceWindow ?? 'n'} (${config.regime})` : `traces (${config.regime})`;
}
