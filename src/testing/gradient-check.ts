import type { Cell } from '../cells/cell.ts';
import type { SeqBatch } from '../data/batch.ts';
import { checkSeqBatch } from '../data/validate-batch.ts';
import { trainSequence } from '../learners/index.ts';
import { checkLearner, type Learner } from '../learners/learner.ts';
import { recordTrajectory } from '../learners/trajectory.ts';
import { checkCell } from '../cells/registry.ts';
import { Rng } from '../rng.ts';
import { jacobianToDense } from '../tensor/jacobian.ts';
import { zerosLike, type ParamGroup } from '../tensor/params.ts';
import { checkInt, checkOptions, checkPositive, describe } from '../validate.ts';

/**
 * What a gradient check found. Every checked derivative is compared with a five-point central
 * finite difference in float64,
 *   f'(x) ≈ [−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)] / 12h   (error O(h⁴)),
 * and its error is |analytic − numeric| / max(1, |numeric|): absolute for small derivatives,
 * relative for large ones (like `torch.autograd.gradcheck`'s atol and rtol at once).
 */
export interface GradientCheckReport {
  /** the largest error over every checked derivative */
  worst: number;
  /** where it is, e.g. "vjpParams W_hh[5]" or "cell.W_ih[2]" */
  where: string;
  analytic: number;
  numeric: number;
  /** how many derivatives were checked */
  checked: number;
  /** worst ≤ tolerance */
  ok: boolean;
}

export interface GradientCheckOptions {
  /** finite-difference step h (default 1e-4) */
  step?: number;
  /** the largest error `ok` accepts (default 1e-6) */
  tolerance?: number;
  /** seed of the random inputs and of the sampled entries (default 1) */
  seed?: number;
  /** check at most this many entries per quantity, drawn at random (default: all) */
  maxEntries?: number;
}

export interface CellCheckOptions extends GradientCheckOptions {
  /** examples in the random batch (default 2) */
  batch?: number;
}

const OPTION_KEYS = ['step', 'tolerance', 'seed', 'maxEntries'];

function readOptions(opts: GradientCheckOptions | undefined, name: string, extra: string[] = []) {
  checkOptions(opts, [...OPTION_KEYS, ...extra], name);
  const o = opts ?? {};
  return {
    h: o.step === undefined ? 1e-4 : checkPositive(o.step, `${name}: step`),
    tolerance: o.tolerance === undefined ? 1e-6 : checkPositive(o.tolerance, `${name}: tolerance`),
    seed: o.seed === undefined ? 1 : checkInt(o.seed, `${name}: seed`, -(2 ** 31), 2 ** 32 - 1),
    maxEntries: o.maxEntries === undefined ? Infinity : checkInt(o.maxEntries, `${name}: maxEntries`, 1),
  };
}

/** f'(0) ≈ [−f(2h) + 8f(h) − 8f(−h) + f(−2h)] / 12h, the five-point central difference (error O(h⁴)). */
export function fivePoint(f: (d: number) => number, h = 1e-4): number {
  return (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h);
}

/** ∂f/∂x[i] by the five-point central difference, x[i] perturbed in place and restored. */
export function centralDiff(f: () => number, x: Float64Array | Float32Array, i: number, h = 1e-4): number {
  return fivePoint((d) => {
    const old = x[i];
    x[i] = old + d;
    const v = f();
    x[i] = old;
    return v;
  }, h);
}

/** Keeps the worst comparison. */
class Worst {
  report: GradientCheckReport = { worst: 0, where: '', analytic: 0, numeric: 0, checked: 0, ok: true };

  constructor(private readonly tolerance: number) {}

  add(where: string, analytic: number, numeric: number): void {
    const err = Math.abs(analytic - numeric) / Math.max(1, Math.abs(numeric));
    const r = this.report;
    r.checked++;
    // a NaN error (a non-finite derivative) is the worst there is and stays
    if (r.checked === 1 || (!Number.isNaN(r.worst) && !(err <= r.worst))) Object.assign(r, { worst: err, where, analytic, numeric });
    r.ok = r.worst <= this.tolerance;
  }
}

/** Up to `max` of the indices 0 … length − 1, drawn without replacement (all when max ≥ length). */
function sample(length: number, max: number, rng: Rng): number[] {
  const all = Array.from({ length }, (_, i) => i);
  if (max >= length) return all;
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(length - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, max);
}

/**
 * Checks a cell's hand-written local derivatives (docs/MATH.md §2) against finite differences of
 * its own forward step, at a random x_t (N(0, 1)) and s_{t−1} (uniform in (−0.9, 0.9)):
 *   the state Jacobian J_t = ∂s_t/∂s_{t−1}    (jacobian, materialised),
 *   v·J_t                                     (vjpState, random v),
 *   v·(∂s_t/∂Ψ)_loc                           (vjpParams, random v, every parameter).
 * The cell must be float64 (a float32 cell's rounding would swamp the differences). A cell with
 * kinks (relu) may fail where an input sits on one; draw another seed. Errors name the argument.
 */
export function checkCellGradients(cell: Cell, options?: CellCheckOptions): GradientCheckReport {
  const name = 'checkCellGradients';
  checkCell(cell, `${name}: cell`);
  if (cell.dtype !== 'float64') throw new Error(`${name}: cell: expected a float64 cell (finite differences need float64), received a ${cell.dtype} cell`);
  const { h, tolerance, seed, maxEntries } = readOptions(options, name, ['batch']);
  const B = options?.batch === undefined ? 2 : checkInt(options.batch, `${name}: batch`, 1);
  const rng = new Rng(seed);
  const n = cell.stateSize;
  const x = Float64Array.from({ length: B * cell.inputSize }, () => rng.normal());
  const sPrev = Float64Array.from({ length: B * n }, () => rng.uniform(-0.9, 0.9));
  const v = Float64Array.from({ length: B * n }, () => rng.normal());
  const cache = cell.createCache(B);
  const probe = cell.createCache(B);
  const worst = new Worst(tolerance);
  cell.forward(x, sPrev, cache);
  /** v·s_t after running the cell again (its parameters or s_{t−1} perturbed) */
  const vDotS = () => {
    cell.forward(x, sPrev, probe);
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * probe.s[i];
    return s;
  };
  const perturb = (a: Float64Array | Float32Array, i: number, f: () => number) => centralDiff(f, a, i, h);

  const J = jacobianToDense(cell.jacobian(cache), new Float64Array(B * n * n));
  for (const q of sample(B * n * n, maxEntries, rng)) {
    const b = Math.floor(q / (n * n));
    const i = Math.floor(q / n) % n;
    const k = q % n;
    worst.add(`jacobian[${b}][${i}][${k}]`, J[q], perturb(sPrev, b * n + k, () => (cell.forward(x, sPrev, probe), probe.s[b * n + i])));
  }
  const vJ = new Float64Array(B * n);
  cell.vjpState(cache, v, vJ);
  for (const q of sample(B * n, maxEntries, rng)) worst.add(`vjpState[${q}]`, vJ[q], perturb(sPrev, q, vDotS));
  const grads = zerosLike(cell.params);
  cell.vjpParams(cache, v, grads, 1);
  for (const [k, t] of Object.entries(cell.params)) {
    for (const i of sample(t.size, maxEntries, rng)) worst.add(`vjpParams ${k}[${i}]`, grads[k].data[i], perturb(t.data, i, vDotS));
  }
  return worst.report;
}

/**
 * Checks a learner's gradients of the batch loss L = (1/B)·Σ_b Σ_t ℓ_{t,b} (docs/MATH.md §1)
 * against finite differences of L over the model's cell and readout parameters: what
 * `trainSequence(learner, batch).grads` returns for the groups listed (default cell and
 * readout). Only methods that compute the true gradient pass for the cell (bptt, rtrl; and
 * BP(λ) with an oracle synthesiser); every method's readout gradient is the true one. The
 * learner must have no optimizer (its parameters must stay put) and a float64 model; the batch
 * may have `lengths`. Throws naming the argument otherwise.
 */
export function checkLearnerGradients(learner: Learner, batch: SeqBatch, options?: GradientCheckOptions & { groups?: ('cell' | 'readout')[] }): GradientCheckReport {
  const name = 'checkLearnerGradients';
  const { model } = checkLearner(learner, `${name}: learner`);
  if (model.dtype !== 'float64') throw new Error(`${name}: learner.model: expected a float64 model (finite differences need float64), received a ${model.dtype} model`);
  if (learner.optimizer !== undefined) throw new Error(`${name}: learner: expected a learner without an optimizer (the check needs fixed parameters), received one with optimizer ${JSON.stringify(learner.optimizer.name)}, which would step them: create the learner without the optimizer option`);
  checkSeqBatch(batch, model, `${name}: batch`);
  const { h, tolerance, seed, maxEntries } = readOptions(options, name, ['groups']);
  const groups = options?.groups ?? ['cell', 'readout'];
  if (!Array.isArray(groups) || groups.some((g) => g !== 'cell' && g !== 'readout')) throw new Error(`${name}: groups: expected an array of "cell" and "readout", received ${describe(groups)}`);
  const params = model.groups();
  const before = Object.values(params).flatMap((g: ParamGroup) => Object.values(g).flatMap((t) => Array.from(t.data)));
  const { grads } = trainSequence(learner, batch);
  const after = Object.values(params).flatMap((g: ParamGroup) => Object.values(g).flatMap((t) => Array.from(t.data)));
  if (after.some((v, i) => !Object.is(v, before[i]))) throw new Error(`${name}: learner: expected a learner without an optimizer (the check needs fixed parameters), received one that changed them`);
  const rng = new Rng(seed);
  const worst = new Worst(tolerance);
  const loss = () => recordTrajectory(model, batch).loss;
  for (const g of groups) {
    for (const [k, t] of Object.entries(params[g])) {
      for (const i of sample(t.size, maxEntries, rng)) worst.add(`${g}.${k}[${i}]`, grads[g][k].data[i], centralDiff(loss, t.data, i, h));
    }
  }
  return worst.report;
}
