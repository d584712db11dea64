/**
 * Real-time recurrent learning (docs/MATH.md §4.7): exact and online, O(n²·|Ψ|) per step with
 * the influence matrix itself (`traces`), or the same numbers from a folded matrix and a window
 * of steps (`blocked`).
 */
import { createLearner } from '../../learners/index.ts';
import type { Regime } from '../../learners/online.ts';
import type { TraceComputation } from '../../learners/eligibility-trace.ts';
import type { MethodSpec } from '../spec.ts';
import { COMPUTATION, REGIME, TRACE_WINDOW } from './shared.ts';

export const RTRL: MethodSpec = {
  name: 'rtrl',
  summary: 'real-time recurrent learning: the exact gradient, online, through the influence matrix',
  settings: [REGIME, COMPUTATION, TRACE_WINDOW],
  check(s, name) {
    if (s.computation === 'backward') throw new Error(`${name}: --computation backward is BP(λ)'s per-sequence computation; RTRL takes traces or blocked`);
    if (s.traceWindow !== null && s.computation !== 'blocked') throw new Error(`${name}: --trace-window applies to --computation blocked only, received --computation ${s.computation}`);
  },
  synthesiser: false,
  label: () => 'rtrl',
  computation: (s) => `${s.computation === 'blocked' ? `blocked influence matrix, K = ${s.traceWindow ?? 'n'}` : 'influence matrix'} (${s.regime})`,
  regime: (s) => s.regime as Regime,
  createLearner: (model, common, s) =>
    createLearner('rtrl', model, { ...common, regime: s.regime as Regime, computation: s.computation as TraceComputation, ...(s.traceWindow !== null ? { traceWindow: s.traceWindow as number } : {}) }),
  // M_t and M_{t−1}, and the local ∂s_t/∂Ψ: three B·n·P arrays
  memory: (z) => [['influence matrices', 3 * z.B * z.n * z.cellParams]],
};
