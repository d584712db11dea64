/** Real-time recurrent learning (docs/MATH.md §4.7): exact and online, O(n²·|Ψ|) per step. */
import { createLearner } from '../../learners/index.ts';
import type { Regime } from '../../learners/online.ts';
import type { MethodSpec } from '../spec.ts';
import { REGIME } from './shared.ts';

export const RTRL: MethodSpec = {
  name: 'rtrl',
  summary: 'real-time recurrent learning: the exact gradient, online, through the influence matrix',
  settings: [REGIME],
  synthesiser: false,
  label: () => 'rtrl',
  computation: (s) => `influence matrix (${s.regime})`,
  regime: (s) => s.regime as Regime,
  createLearner: (model, common, s) => createLearner('rtrl', model, { ...common, regime: s.regime as Regime }),
  // M_t and M_{t−1}, and the local ∂s_t/∂Ψ: three B·n·P arrays
  memory: (z) => [['influence matrices', 3 * z.B * z.n * z.cellParams]],
};
