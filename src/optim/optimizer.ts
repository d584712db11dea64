import type { ModelGroups } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { checkNonNegative, checkOptions, checkPositive, checkUnit } from '../validate.ts';

export type GroupName = keyof ModelGroups;
export const GROUP_NAMES: readonly GroupName[] = ['cell', 'readout', 'synthesiser'];

/** Learning rates per parameter group; a group with rate 0 is left unchanged. */
export type GroupRates = Record<GroupName, number>;

/**
 * An optimizer moves parameters against gradients: params ← params − update(grads).
 * `grads` has the shape of the parameters and the sign of a gradient (descent direction −grads).
 */
export interface Optimizer {
  readonly name: string;
  step(params: ModelGroups, grads: ModelGroups): void;
  /** JSON-serialisable state (moments, step counters) for checkpoints. */
  getState(): unknown;
  setState(state: unknown): void;
}

export interface OptimizerOptions {
  /** one rate for all groups, or a rate per group */
  lr: number | Partial<GroupRates>;
  /** rescale the gradients of the stepped groups so that their global L2 norm is at most this */
  clipNorm?: number;
}

export function resolveRates(lr: number | Partial<GroupRates>, name: string): GroupRates {
  if (typeof lr === 'number') {
    checkNonNegative(lr, `${name}: lr`);
    return { cell: lr, readout: lr, synthesiser: lr };
  }
  checkOptions(lr, GROUP_NAMES, `${name}: lr`);
  const out = { cell: 0, readout: 0, synthesiser: 0 };
  for (const g of GROUP_NAMES) if (lr[g] !== undefined) out[g] = checkNonNegative(lr[g], `${name}: lr.${g}`);
  return out;
}

/** Global-norm factor min(1, clip/‖g‖) over the groups with a non-zero rate. */
export function clipFactor(grads: ModelGroups, rates: GroupRates, clipNorm: number | undefined): number {
  if (clipNorm === undefined) return 1;
  let ss = 0;
  for (const g of GROUP_NAMES) {
    if (rates[g] === 0) continue;
    for (const t of Object.values(grads[g])) for (let i = 0; i < t.data.length; i++) ss += t.data[i] * t.data[i];
  }
  const norm = Math.sqrt(ss);
  return norm > clipNorm ? clipNorm / norm : 1;
}

export function checkClip(v: unknown, name: string): number | undefined {
  return v === undefined ? undefined : checkPositive(v, name);
}

export { checkUnit };

/** Visits every (parameter, gradient) tensor pair of the groups with a non-zero rate. */
export function forEachPair(params: ModelGroups, grads: ModelGroups, rates: GroupRates, fn: (key: string, p: ParamGroup[string], g: ParamGroup[string], lr: number) => void): void {
  for (const group of GROUP_NAMES) {
    const lr = rates[group];
    if (lr === 0) continue;
    for (const [name, p] of Object.entries(params[group])) {
      const g = grads[group][name];
      if (!g || g.size !== p.size) throw new Error(`optimizer: gradient ${group}.${name}: expected ${p.size} values, received ${g ? g.size : 'none'}`);
      fn(`${group}.${name}`, p, g, lr);
    }
  }
}
