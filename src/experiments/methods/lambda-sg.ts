/** Offline λ-SG (docs/MATH.md §4.2): the forward view of BP(λ), from the buffered sequence. */
import { createLearner } from '../../learners/index.ts';
import type { MethodSpec } from '../spec.ts';
import { GAMMA, LAMBDAS, SG_SCALE, TARGET_SCALE, trajectoryMemory } from './shared.ts';

export const LAMBDA_SG: MethodSpec = {
  name: 'lambda-sg',
  summary: 'offline λ-SG, the λ-target recursion over the buffered sequence (one λ per --lambda value)',
  settings: [LAMBDAS, GAMMA, SG_SCALE, TARGET_SCALE],
  synthesiser: true,
  variants: (s) => (s.lambdas as number[]).map((lambda) => ({ lambda })),
  label: (_s, v) => `lambda-sg λ=${v.lambda}`,
  computation: () => 'λ-targets, offline (per-sequence)',
  regime: () => 'per-sequence',
  logged: (s) => ({ gamma: s.gamma }),
  createLearner: (model, common, s, v) =>
    createLearner('lambda-sg', model, { ...common, lambda: v.lambda, gamma: s.gamma as number, sgScale: s.sgScale as number, targetScale: s.targetScale as number }),
  memory: (z) => [trajectoryMemory(z)],
};
