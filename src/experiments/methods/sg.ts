/** n-step synthetic gradients (Jaderberg et al.; docs/MATH.md §4.1) on truncated BPTT(n). */
import { createLearner } from '../../learners/index.ts';
import type { MethodSpec } from '../spec.ts';
import { GAMMA, SG_SCALE, TARGET_SCALE, trajectoryMemory, TRUNCATION } from './shared.ts';

export const SG: MethodSpec = {
  name: 'sg',
  summary: 'n-step synthetic gradients on truncated BPTT(n)',
  settings: [TRUNCATION, GAMMA, SG_SCALE, TARGET_SCALE],
  synthesiser: true,
  label: (s) => `sg n=${s.truncation}`,
  computation: (s) => `backprop in windows of ${s.truncation} + synthetic gradient at window ends`,
  regime: () => 'per-sequence',
  logged: (s) => ({ truncation: s.truncation, gamma: s.gamma }),
  createLearner: (model, common, s) =>
    createLearner('sg', model, { ...common, truncation: s.truncation as number, gamma: s.gamma as number, sgScale: s.sgScale as number, targetScale: s.targetScale as number }),
  memory: (z) => [trajectoryMemory(z)],
};
