/** Full backpropagation through time (docs/MATH.md §3): the exact gradient, offline. */
import { createLearner } from '../../learners/index.ts';
import type { MethodSpec } from '../spec.ts';
import { trajectoryMemory } from './shared.ts';

export const BPTT: MethodSpec = {
  name: 'bptt',
  summary: 'backprop through the whole sequence',
  settings: [],
  synthesiser: false,
  label: () => 'bptt',
  computation: () => 'backprop through the whole sequence',
  regime: () => 'per-sequence',
  createLearner: (model, common) => createLearner('bptt', model, common),
  memory: (z) => [trajectoryMemory(z)],
};
