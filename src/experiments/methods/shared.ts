/**
 * What several method specs share: the settings (one object each, listed by every method spec
 * that takes it, so `--gamma` is one option for sg and bp-lambda alike; their defaults here are
 * fallbacks, each task's set-up in TaskDefaults.method gives the paper's values), and the
 * memory of a buffered sequence.
 */
import { REGIMES, type Regime } from '../../learners/online.ts';
import type { TraceComputation } from '../../learners/eligibility-trace.ts';
import { checkFinite, checkInt, checkOneOf, checkPositive, checkUnit, describe } from '../../validate.ts';
import type { MemorySizes, MethodSetting, RunConfigView, SettingKind } from '../spec.ts';

/** A method setting whose option value is its config value (a single number or string). */
function plain<V>(key: string, flag: string, kind: SettingKind, help: string, def: V, check: (v: unknown, name: string) => V, more: Partial<MethodSetting<V>> = {}): MethodSetting<V> {
  return { key, flag, kind, help, default: def, check, fromOption: check, read: (c: RunConfigView) => c.methodSettings[key], ...more };
}

/** λ: the list of values run one after another (the sweep's variants of bp-lambda and lambda-sg). */
export const LAMBDAS: MethodSetting<number[]> = {
  key: 'lambdas',
  flag: 'lambda',
  kind: 'list',
  help: 'λ values in [0, 1], run one after another',
  default: [1],
  check(v, name) {
    if (!Array.isArray(v) || v.length === 0) throw new Error(`${name}: expected a non-empty list of numbers in [0, 1], received ${describe(v)}`);
    for (const l of v) checkUnit(l, name);
    if (new Set(v).size !== v.length) throw new Error(`${name}: a value is listed twice, received ${v.join(',')}`);
    return v as number[];
  },
  fromOption(v, name) {
    return this.check(v, name);
  },
  read: (c) => c.methodSettings.lambdas,
  format: (v) => v.join(','),
};

export const TRUNCATION = plain('truncation', 'truncation', 'int', 'window length n (truncated BPTT, n-step SG)', 2, (v, name) => checkInt(v, name, 1));

export const GAMMA = plain('gamma', 'gamma', 'number', 'γ in [0, 1], the discount of future gradients', 1, checkUnit);

export const SG_SCALE = plain('sgScale', 'sg-scale', 'number', 'σ, scale of the synthetic gradient reaching the cell', 1, checkFinite);

/** ρ shown as a fraction 1/k where it is one (the paper's 1/B, 1/(B·O)). */
function formatScale(v: number): string {
  const k = Math.round(1 / v);
  return k > 1 && Math.abs(k * v - 1) < 1e-12 ? `1/${k}` : String(v);
}

export const TARGET_SCALE = plain(
  'targetScale',
  'target-scale',
  'number',
  "ρ > 0, the synthesiser's target scale: its raw output predicts ρ × the per-example target (the paper's units: 1/B; copy-repeat 1/(B·O), a mean over the O = 9 channels too)",
  1,
  checkPositive,
  { format: formatScale, trainingOnly: true },
);

export const REGIME = plain<Regime>('regime', 'regime', 'string', 'when the optimizer steps: per-sequence (once per batch, as the paper\'s code) | per-step (fully online, Algorithm 1)', 'per-sequence', (v, name) => checkOneOf(v, REGIMES, name), { trainingOnly: true });

export type Computation = TraceComputation | 'backward';
const COMPUTATIONS: readonly Computation[] = ['traces', 'blocked', 'backward'];

/** How BP(λ) or RTRL computes its update (the blocked one: docs/MATH.md §4.6–4.7). */
export const COMPUTATION: MethodSetting<Computation> = {
  key: 'computation',
  flag: 'computation',
  kind: 'string',
  help: 'how BP(λ) computes its update: blocked (a folded trace and a window, O(n³)/step at K ≈ n) | traces (the eligibility traces, O(n⁴)/step) | backward (the λ-target recursion, O(n²)/step; per-sequence only, no per-step clip; the same update)',
  default: 'blocked',
  check: (v, name) => checkOneOf(v, COMPUTATIONS, name),
  fromOption: (v, name) => checkOneOf(v, COMPUTATIONS, name),
  read: (c) => c.methodSettings.computation,
};

export const TRACE_WINDOW: MethodSetting<number | null> = {
  key: 'traceWindow',
  flag: 'trace-window',
  kind: 'int',
  help: 'K of --computation blocked, steps between folds (default: the state size n)',
  default: null,
  check: (v, name) => (v === null ? null : checkInt(v, name, 1)),
  fromOption: (v, name) => checkInt(v, name, 1),
  read: (c) => c.methodSettings.traceWindow ?? undefined,
};

/** The offline methods' stored trajectory: about 3n + 2·O values per example and step. */
export function trajectoryMemory(z: MemorySizes): [string, number] {
  return ['stored trajectories', z.T * z.B * (3 * z.n + 2 * z.O)];
}
