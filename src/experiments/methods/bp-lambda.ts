/**
 * Accumulate BP(λ) (docs/MATH.md §4.3), the paper's method, one sweep variant per λ. It knows
 * three computations of the same update: `traces` (the eligibility trace itself, O(n⁴) per
 * step), `blocked` (a folded trace and a window of steps, §4.6, the same numbers at about
 * 4n³ per step) and, in the per-sequence regime only, `backward` (offline λ-SG, the λ-target
 * recursion, O(n²) per step: the identity of §4.3). The paper's per-step clip of the
 * synthesiser's update needs each step's contribution, so it needs traces or blocked.
 */
import type { TraceComputation } from '../../learners/eligibility-trace.ts';
import { traceMemory } from '../../learners/eligibility-trace.ts';
import { createLearner } from '../../learners/index.ts';
import type { Regime } from '../../learners/online.ts';
import { checkNonNegative, checkPositive } from '../../validate.ts';
import type { MethodSetting, MethodSpec } from '../spec.ts';
import { COMPUTATION, GAMMA, LAMBDAS, REGIME, SG_SCALE, TARGET_SCALE, TRACE_WINDOW, trajectoryMemory } from './shared.ts';

const SYNTH_CLIP: MethodSetting<number | null> = {
  key: 'synthClip',
  flag: 'synth-clip',
  kind: 'number',
  help: "clip each synthesiser tensor's update at every step to this Frobenius norm, in the units of ρ (the paper's code: 1); 0: no clip",
  default: 1,
  check: (v, name) => (v === null ? null : checkPositive(v, name)),
  fromOption: (v, name) => (checkNonNegative(v, name) === 0 ? null : (v as number)),
  read: (c) => c.methodSettings.synthClip ?? 0,
  format: (v) => String(v ?? 0),
};

export const BP_LAMBDA: MethodSpec = {
  name: 'bp-lambda',
  summary: 'accumulate BP(λ), online, forward only (one λ per --lambda value)',
  settings: [LAMBDAS, GAMMA, SG_SCALE, TARGET_SCALE, REGIME, COMPUTATION, TRACE_WINDOW, SYNTH_CLIP],
  synthesiser: true,
  check(s, name) {
    if (s.computation === 'backward' && s.regime !== 'per-sequence') {
      throw new Error(`${name}: --computation backward computes the per-sequence update only: add --regime per-sequence (the fully online per-step regime needs --computation blocked or traces)`);
    }
    if (s.traceWindow !== null && s.computation !== 'blocked') throw new Error(`${name}: --trace-window applies to --computation blocked only, received --computation ${s.computation}`);
    if (s.synthClip !== null && s.computation === 'backward') {
      throw new Error(`${name}: --synth-clip ${s.synthClip}: the per-step clip needs each step's contribution, which --computation backward does not compute: use --computation blocked or traces, or --synth-clip 0 (no clip)`);
    }
  },
  variants: (s) => (s.lambdas as number[]).map((lambda) => ({ lambda })),
  label: (_s, v) => `bp-lambda λ=${v.lambda}`,
  computation(s) {
    if (s.computation === 'backward') return 'backward (λ-targets, per-sequence)';
    const how = s.computation === 'blocked' ? `blocked traces, K = ${s.traceWindow ?? 'n'}` : 'traces';
    return `${how} (${s.regime}${s.synthClip === null ? '' : `, clip ${s.synthClip}`})`;
  },
  regime: (s) => s.regime as Regime,
  logged: (s) => ({ gamma: s.gamma }),
  createLearner(model, common, s, v) {
    const synthetic = { lambda: v.lambda, gamma: s.gamma as number, sgScale: s.sgScale as number, targetScale: s.targetScale as number };
    if (s.computation === 'backward') return createLearner('lambda-sg', model, { ...common, ...synthetic });
    return createLearner('bp-lambda', model, {
      ...common,
      ...synthetic,
      regime: s.regime as Regime,
      computation: s.computation as TraceComputation,
      ...(s.traceWindow !== null ? { traceWindow: s.traceWindow as number } : {}),
      ...(s.synthClip !== null ? { synthClip: s.synthClip as number } : {}),
    });
  },
  memory(z, s) {
    if (s.computation === 'backward') return [trajectoryMemory(z)];
    const what = s.computation === 'traces' ? 'eligibility traces' : "the blocked trace's window, fold and trace";
    return [[what, traceMemory(s.computation as TraceComputation, z.B, z.n, 1, (s.traceWindow as number | null) ?? undefined, z.T)]];
  },
};
