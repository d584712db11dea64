import type { ModelGroups } from '../model/model.ts';
import { powInt } from '../math/index.ts';
import { checkOptions, checkPositive, describe, fail } from '../validate.ts';
import { checkClip, GROUP_NAMES, OptimizerDivergenceError, ParamBinding, prepareStep, resolveRates, type GroupName, type GroupRates, type Optimizer, type OptimizerOptions, type StepGrads } from './optimizer.ts';

/** Adam's [β1, β2], the moments' decay rates: two numbers in [0, 1). Throws naming `name`, or `${name}[i]` for the entry out of range. */
export function checkBetas(v: unknown, name: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) fail(name, '[β1, β2], two numbers in [0, 1)', v);
  v.forEach((b: unknown, i) => {
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) fail(`${name}[${i}]`, 'a number in [0, 1)', b);
  });
  return [v[0], v[1]];
}

export interface AdamOptions extends OptimizerOptions {
  /** default [0.9, 0.999]; the paper's code used [0.9, 0.98] */
  betas?: [number, number];
  /** default 1e-8; the paper's code used 1e-9 */
  eps?: number;
}

/** One group's Adam state: its step count k and the moments of each of its tensors. */
interface GroupState {
  step: number;
  m: Map<string, Float64Array>;
  v: Map<string, Float64Array>;
}

/** The JSON form of a group's state (`getState()` holds one per group). */
export interface AdamGroupStateJson {
  step: number;
  m: Record<string, number[]>;
  v: Record<string, number[]>;
}

const emptyState = (): Record<GroupName, GroupState> => ({
  cell: { step: 0, m: new Map(), v: new Map() },
  readout: { step: 0, m: new Map(), v: new Map() },
  synthesiser: { step: 0, m: new Map(), v: new Map() },
});

/**
 * Adam (Kingma & Ba 2015, Algorithm 1): per group, at each step k of that group,
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − lr·m̂/(√v̂ + ε), with m̂ = m/(1−β₁ᵏ),
 * v̂ = v/(1−β₂ᵏ); g is the clipped gradient. As in PyTorch, a group whose gradient is null at
 * a step is skipped: it does not move on stale moments and its step count k stays, so bias
 * correction counts only the steps it was updated. All or nothing: an update that would make
 * a moment or a parameter non-finite throws an OptimizerDivergenceError and changes nothing.
 */
export class Adam implements Optimizer {
  readonly name = 'adam';
  readonly rates: GroupRates;
  readonly betas: [number, number];
  readonly eps: number;
  readonly clipNorm: number | undefined;
  private state = emptyState();
  private readonly binding = new ParamBinding();

  constructor(opts: AdamOptions) {
    checkOptions(opts, ['lr', 'clipNorm', 'betas', 'eps'], 'Adam');
    this.rates = resolveRates(opts?.lr, 'Adam');
    this.betas = checkBetas(opts.betas ?? [0.9, 0.999], 'Adam: betas');
    this.eps = opts.eps === undefined ? 1e-8 : checkPositive(opts.eps, 'Adam: eps');
    this.clipNorm = checkClip(opts.clipNorm, 'Adam: clipNorm');
  }

  /** Step count of each group (how many updates it has received). */
  steps(): Record<GroupName, number> {
    return { cell: this.state.cell.step, readout: this.state.readout.step, synthesiser: this.state.synthesiser.step };
  }

  step(params: ModelGroups, grads: StepGrads): void {
    this.binding.check(params, 'Adam');
    const { pairs, c } = prepareStep(params, grads, this.rates, this.clipNorm, 'Adam');
    const [b1, b2] = this.betas;
    const moments = pairs.map(({ group, name, p }) => {
      const st = this.state[group];
      const m = st.m.get(name);
      if (m && m.length !== p.size) throw new Error(`Adam.step: the moments of ${group}.${name} hold ${m.length} values, the parameter ${p.size} (a state restored for another model?)`);
      return { m: m ?? new Float64Array(p.size), v: st.v.get(name) ?? new Float64Array(p.size) };
    });
    // pass 0 checks that every new moment and parameter is finite, pass 1 writes them
    for (const commit of [false, true]) {
      pairs.forEach(({ group, name, p, g, lr }, k) => {
        const t = this.state[group].step + 1;
        const bc1 = 1 - powInt(b1, t);
        const bc2 = 1 - powInt(b2, t);
        const { m, v } = moments[k];
        for (let i = 0; i < p.data.length; i++) {
          const gi = c * g.data[i];
          const mi = b1 * m[i] + (1 - b1) * gi;
          const vi = b2 * v[i] + (1 - b2) * gi * gi;
          const pi = p.data[i] - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + this.eps);
          if (commit) {
            m[i] = mi;
            v[i] = vi;
            p.data[i] = pi;
          } else if (!Number.isFinite(vi) || !Number.isFinite(mi) || !Number.isFinite(pi)) {
            const what = !Number.isFinite(vi) ? 'the second moment' : !Number.isFinite(mi) ? 'the first moment' : 'the updated parameter';
            throw new OptimizerDivergenceError('Adam', `${what} of ${group}.${name} (index ${i})`);
          }
        }
      });
    }
    const stepped = new Set<GroupName>();
    pairs.forEach(({ group, name }, k) => {
      this.state[group].m.set(name, moments[k].m);
      this.state[group].v.set(name, moments[k].v);
      stepped.add(group);
    });
    for (const group of stepped) this.state[group].step++;
    this.binding.bind(params);
  }

  getState(): Record<GroupName, AdamGroupStateJson> {
    const enc = (map: Map<string, Float64Array>) => Object.fromEntries([...map].map(([k, a]) => [k, Array.from(a)]));
    const out = {} as Record<GroupName, AdamGroupStateJson>;
    for (const g of GROUP_NAMES) out[g] = { step: this.state[g].step, m: enc(this.state[g].m), v: enc(this.state[g].v) };
    return out;
  }

  /**
   * Restores `getState()`'s value. Checked in full before anything changes: the three groups,
   * an integer step count ≥ 0 each, moments m and v for the same tensors with equal lengths,
   * finite (v ≥ 0), none before a group's first step; with `params`, the tensor names and
   * lengths of every stepped group must be the parameters'.
   */
  setState(state: unknown, params?: ModelGroups): void {
    const where = 'Adam.setState';
    const fail = (path: string, expected: string, v: unknown): never => {
      throw new Error(`${where}: ${path}: expected ${expected}, received ${describe(v)}`);
    };
    if (state === null || typeof state !== 'object' || Array.isArray(state)) fail('state', '{ cell, readout, synthesiser } (each { step, m, v })', state);
    checkOptions(state, GROUP_NAMES, `${where}: state`);
    const next = emptyState();
    for (const g of GROUP_NAMES) {
      const s = (state as Record<string, unknown>)[g] as Partial<AdamGroupStateJson> | undefined;
      if (s === null || typeof s !== 'object' || Array.isArray(s)) fail(g, '{ step, m, v }', s);
      checkOptions(s, ['step', 'm', 'v'], `${where}: ${g}`);
      const step = s!.step as number;
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) fail(`${g}.step`, 'an integer ≥ 0', step);
      for (const k of ['m', 'v'] as const) if (s![k] === null || typeof s![k] !== 'object' || Array.isArray(s![k])) fail(`${g}.${k}`, 'an object of arrays', s![k]);
      const mNames = Object.keys(s!.m!);
      const vNames = Object.keys(s!.v!);
      if (mNames.join() !== vNames.join()) fail(`${g}.v`, `moments for the tensors of ${g}.m (${mNames.join(', ')})`, s!.v);
      if (step === 0 && mNames.length) fail(`${g}.m`, 'no moments before the first step (step 0)', s!.m);
      if (params && step > 0) {
        const want = Object.keys(params[g]);
        if (mNames.slice().sort().join() !== want.slice().sort().join()) fail(`${g}.m`, `moments for ${want.join(', ')}`, s!.m);
      }
      for (const name of mNames) {
        const size = params && step > 0 ? params[g][name].size : undefined;
        const m = decode(s!.m![name], `${g}.m.${name}`, size, false, fail);
        const v = decode(s!.v![name], `${g}.v.${name}`, m.length, true, fail);
        next[g].m.set(name, m);
        next[g].v.set(name, v);
      }
      next[g].step = step;
    }
    this.state = next;
    this.binding.unbind();
  }
}

function decode(a: unknown, path: string, length: number | undefined, nonNegative: boolean, fail: (path: string, expected: string, v: unknown) => never): Float64Array {
  const what = `an array of ${length ?? ''}${length === undefined ? '' : ' '}finite numbers${nonNegative ? ' ≥ 0' : ''}`;
  if (!Array.isArray(a) || (length !== undefined && a.length !== length)) return fail(path, what, a);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isFinite(x) || (nonNegative && x < 0)) return fail(`${path}[${i}]`, `a finite number${nonNegative ? ' ≥ 0' : ''}`, x);
  }
  return Float64Array.from(a);
}
