import type { ModelGroups } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { NormAccumulator } from '../norms.ts';
import { checkNonNegative, checkOptions, checkPositive, checkUnit, describe } from '../validate.ts';

export type GroupName = keyof ModelGroups;
export const GROUP_NAMES: readonly GroupName[] = ['cell', 'readout', 'synthesiser'];

/** Learning rates per parameter group; a group with rate 0 is left unchanged. */
export type GroupRates = Record<GroupName, number>;

/**
 * The gradients of one optimizer step, per group. `null` means the group received no gradient
 * at this step (the readout at a step without a target, the synthesiser before its first TD
 * error): it does not move and its step count does not advance, like a PyTorch parameter whose
 * `.grad` is None. A ModelGroups (every group present) is a StepGrads.
 */
export type StepGrads = Record<GroupName, ParamGroup | null>;

/**
 * An optimizer moves parameters against gradients: params ← params − update(grads).
 * `grads` has the shape of the parameters and the sign of a gradient (descent direction −grads).
 * A step is all or nothing: a non-finite gradient, or an update that would make a parameter or
 * the optimizer's state non-finite, throws an OptimizerDivergenceError and changes nothing.
 */
export interface Optimizer {
  readonly name: string;
  step(params: ModelGroups, grads: StepGrads): void;
  /** JSON-serialisable state (moments, per-group step counts) for checkpoints; always finite. */
  getState(): unknown;
  /** Restores `getState()`'s value; with `params`, checks it against their names and sizes. Throws and changes nothing on a bad state. */
  setState(state: unknown, params?: ModelGroups): void;
}

/** A step refused because a gradient, a parameter or the optimizer's state would not be finite. */
export class OptimizerDivergenceError extends Error {
  constructor(
    readonly optimizer: string,
    readonly quantity: string,
  ) {
    super(`${optimizer}.step: ${quantity} is not finite (NaN or Infinity); nothing was changed`);
    this.name = 'OptimizerDivergenceError';
  }
}

export interface OptimizerOptions {
  /** one rate for all groups, or a rate for each of cell, readout and synthesiser (0 freezes a group) */
  lr: number | GroupRates;
  /** rescale the gradients of the stepped groups so that their global L2 norm is at most this */
  clipNorm?: number;
}

/**
 * The rates of `lr`: one number for every group, or an object that names every group. A group
 * left out is an error (not a silent 0): freezing a group takes an explicit `0`.
 */
export function resolveRates(lr: unknown, name: string): GroupRates {
  if (typeof lr === 'number') {
    checkNonNegative(lr, `${name}: lr`);
    return { cell: lr, readout: lr, synthesiser: lr };
  }
  if (lr === null || typeof lr !== 'object' || Array.isArray(lr)) {
    throw new Error(`${name}: lr: expected a number ≥ 0 or { cell, readout, synthesiser } (numbers ≥ 0), received ${describe(lr)}`);
  }
  checkOptions(lr, GROUP_NAMES, `${name}: lr`);
  const rates = lr as Partial<GroupRates>;
  const out = { cell: 0, readout: 0, synthesiser: 0 };
  for (const g of GROUP_NAMES) {
    if (rates[g] === undefined) throw new Error(`${name}: lr.${g}: missing: give every group a rate (cell, readout, synthesiser; 0 freezes a group) or one number for all`);
    out[g] = checkNonNegative(rates[g], `${name}: lr.${g}`);
  }
  return out;
}

export function checkClip(v: unknown, name: string): number | undefined {
  return v === undefined ? undefined : checkPositive(v, name);
}

export { checkUnit };

/**
 * The parameters an optimizer steps. It binds to those of its first step (per tensor, the
 * array that holds the values); a later step with other arrays (another model's, a clone's)
 * is refused before anything changes: the optimizer's state (moments, step counts) belongs to
 * the first model's parameters, and sharing it would mix two models' histories silently.
 * `setState` unbinds (a restored state binds at its next step).
 */
export class ParamBinding {
  private bound: Map<string, ArrayLike<number>> | null = null;

  /** Throws, naming the optimizer and the first tensor that differs, when `params` are not the bound ones. */
  check(params: ModelGroups, name: string): void {
    if (params === null || typeof params !== 'object') throw new Error(`${name}.step: params: expected { cell, readout, synthesiser } (model.groups()), received ${describe(params)}`);
    if (this.bound === null) return;
    for (const group of GROUP_NAMES) {
      for (const [pname, p] of Object.entries(params[group] ?? {})) {
        const key = `${group}.${pname}`;
        if (this.bound.get(key) !== p.data) {
          throw new Error(
            `${name}.step: params: expected the parameters this optimizer first stepped (it keeps their state: moments, step counts), received another model's (${key} is another array); ` +
              'give each model its own optimizer',
          );
        }
      }
    }
  }

  /** Binds to `params` at the first step (after it succeeded). */
  bind(params: ModelGroups): void {
    if (this.bound !== null) return;
    this.bound = new Map(GROUP_NAMES.flatMap((group) => Object.entries(params[group]).map(([pname, p]): [string, ArrayLike<number>] => [`${group}.${pname}`, p.data])));
  }

  unbind(): void {
    this.bound = null;
  }
}

/** One (parameter, gradient) tensor pair of a stepped group. */
export interface StepPair {
  group: GroupName;
  name: string;
  p: ParamGroup[string];
  g: ParamGroup[string];
  lr: number;
}

/**
 * Checks one step's gradients and lists the pairs it moves: the groups with a non-zero rate
 * that received a gradient. Every gradient of those groups must exist, have its parameter's
 * size and be finite; `c` is the global-norm clip factor min(1, clipNorm/‖g‖) over them, with
 * ‖g‖ a scaled norm (no overflow for gradients up to 1e308). Nothing is changed here.
 */
export function prepareStep(params: ModelGroups, grads: StepGrads, rates: GroupRates, clipNorm: number | undefined, name: string): { pairs: StepPair[]; c: number } {
  if (grads === null || typeof grads !== 'object') throw new Error(`${name}.step: grads: expected { cell, readout, synthesiser } (a ParamGroup or null each), received ${describe(grads)}`);
  const pairs: StepPair[] = [];
  const norm = new NormAccumulator();
  for (const group of GROUP_NAMES) {
    const gg = grads[group];
    if (gg === undefined) throw new Error(`${name}.step: grads.${group}: expected a ParamGroup or null (no gradient at this step), received undefined`);
    const lr = rates[group];
    if (lr === 0 || gg === null) continue;
    for (const [pname, p] of Object.entries(params[group])) {
      const g = gg[pname];
      if (!g || g.size !== p.size) throw new Error(`${name}.step: grads.${group}.${pname}: expected ${p.size} values, received ${g ? g.size : 'none'}`);
      for (let i = 0; i < g.data.length; i++) if (!Number.isFinite(g.data[i])) throw new OptimizerDivergenceError(name, `the gradient ${group}.${pname} (${g.data[i]} at index ${i})`);
      norm.addAll(g.data);
      pairs.push({ group, name: pname, p, g, lr });
    }
  }
  const total = norm.value();
  const c = clipNorm !== undefined && total > clipNorm ? clipNorm / total : 1;
  return { pairs, c };
}
