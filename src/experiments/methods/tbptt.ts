/** Truncated BPTT (docs/MATH.md §3): backprop within windows of n steps. */
import { createLearner } from '../../learners/index.ts';
import type { MethodSpec } from '../spec.ts';
import { trajectoryMemory, TRUNCATION } from './shared.ts';

export const TBPTT: MethodSpec = {
  name: 'tbptt',
  summary: 'truncated BPTT, windows of --truncation n',
  settings: [TRUNCATION],
  synthesiser: false,
  label: (s) => `tbptt n=${s.truncation}`,
  computation: (s) => `backprop in windows of ${s.truncation}`,
  regime: () => 'per-sequence',
  logged: (s) => ({ truncation: s.truncation }),
  createLearner: (model, common, s) => createLearner('tbptt', model, { ...common, truncation: s.truncation as number }),
  memory: (z) => [trajectoryMemory(z)],
};
