import type { SeqBatch } from '../data/batch.ts';
import type { StepOptions } from '../data/step-rows.ts';
import { checkSeqBatch } from '../data/validate-batch.ts';
import { bpttFromTrajectory, type BpttResult } from '../learners/bptt.ts';
import { checkLearner, zeroGrads, type Learner } from '../learners/learner.ts';
import { lengthRows, recordTrajectory } from '../learners/trajectory.ts';
import { checkModel, Model, type ModelGroups } from '../model/model.ts';
import { Synthesiser } from '../model/synthesiser.ts';
import type { Arr } from '../tensor/dtype.ts';
import { addScaled } from '../tensor/params.ts';
import { describe } from '../validate.ts';

/**
 * BPTT's gradients of the batch loss (docs/MATH.md §3), the exact reference: RTRL equals it,
 * and so does BP(λ)'s cell gradient with the oracle synthesiser below. Honours `lengths`.
 */
export function bpttReference(model: Model, batch: SeqBatch): BpttResult {
  checkModelAndBatch(model, batch, 'bpttReference');
  return bpttFromTrajectory(model, recordTrajectory(model, batch));
}

/** Checks an oracle's (model, batch) arguments: errors name `${name}: model` and `${name}: batch`. */
function checkModelAndBatch(model: unknown, batch: unknown, name: string): void {
  checkSeqBatch(batch as SeqBatch, checkModel(model, `${name}: model`), `${name}: batch`);
}

/** A synthesiser that returns, for every state it was given, a fixed vector (zeros for any other state). */
class TableSynthesiser extends Synthesiser {
  constructor(
    n: number,
    private readonly table: Map<string, Float64Array>,
  ) {
    super(n);
  }

  override forward(s: Arr, batch: number, g: Arr): void {
    const n = this.stateSize;
    for (let b = 0; b < batch; b++) {
      const row = this.table.get(Array.from(s.subarray(b * n, (b + 1) * n)).join(','));
      if (row) g.set(row, b * n);
      else g.fill(0, b * n, (b + 1) * n);
    }
  }
}

/**
 * The model with an oracle synthesiser (docs/MATH.md §4): g(s_t) returns the true future
 * gradient G_t = ∂L/∂s_t − ∂L_t/∂s_t of BPTT (γ = 1) for every state s_t the batch visits at
 * the model's parameters (looked up by the state's exact values; 0 for any other state). The
 * cell and readout are the model's own (shared, not copied). With it, BP(λ) with λ = γ = σ = 1
 * and no optimizer gives exactly BPTT's cell gradient: g = G turns the synthetic learning signal
 * into the true one. A float64 model; honours `lengths`.
 */
export function oracleSynthesiserModel(model: Model, batch: SeqBatch): Model {
  checkModelAndBatch(model, batch, 'oracleSynthesiserModel');
  if (model.dtype !== 'float64') throw new Error(`oracleSynthesiserModel: model: expected a float64 model, received a ${model.dtype} model`);
  const traj = recordTrajectory(model, batch);
  const ref = bpttFromTrajectory(model, traj);
  const n = model.stateSize;
  const rows = lengthRows(batch);
  const table = new Map<string, Float64Array>();
  for (let t = 0; t < batch.T; t++) {
    for (let b = 0; b < batch.B; b++) {
      if (rows[t]?.held[b]) continue;
      const G = new Float64Array(n);
      for (let i = 0; i < n; i++) G[i] = ref.stateGrads[t][b * n + i] - traj.dLds[t][b * n + i];
      table.set(Array.from(traj.caches[t].s.subarray(b * n, (b + 1) * n)).join(','), G);
    }
  }
  return new Model(model.cell, model.readout, new TableSynthesiser(n, table));
}

/**
 * The reference for masked batches and episode ends: every example runs alone (a batch of one,
 * no step options), episode by episode, through a fresh learner from `make`, and the results
 * are combined with the 1/B convention: loss and gradients (1/B)·Σ_b of each example's own.
 * `steps[t]` gives the per-example options of step t (active, terminal; default: from the
 * batch's lengths, or every example active); `last` (default true) makes the batch's last step
 * terminal. `make` must return learners without an optimizer.
 */
export function perExampleReference(make: () => Learner, batch: SeqBatch, steps?: readonly (StepOptions | undefined)[], last = true): { loss: number; grads: ModelGroups } {
  if (typeof make !== 'function') throw new Error(`perExampleReference: make: expected a function returning a fresh Learner, received ${describe(make)}`);
  const first = checkLearner(make(), 'perExampleReference: make()');
  checkSeqBatch(batch, first.model, 'perExampleReference: batch');
  const { B, T, inputSize: I, outputSize: O } = batch;
  const fromLengths = lengthRows(batch);
  const flag = (a: ArrayLike<boolean | number> | undefined, b: number, dflt: boolean) => (a === undefined ? dflt : Boolean(a[b]));
  const active = (t: number, b: number) => (steps ? flag(steps[t]?.active, b, true) : !fromLengths[t]?.held[b]);
  const terminal = (t: number, b: number) => (steps ? flag(steps[t]?.terminal, b, false) : Boolean(fromLengths[t]?.terminal[b]));
  const row = (a: Arr, b: number, w: number) => a.slice(b * w, (b + 1) * w) as Arr;
  const grads = zeroGrads(first.model);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    let episode: number[] = [];
    const close = (isTerminal: boolean) => {
      if (episode.length === 0) return;
      const l = make();
      l.reset(1);
      episode.forEach((t, k) => {
        const y = batch.y[t];
        l.step(row(batch.x[t], b, I), y === null ? null : row(y, b, O), isTerminal && k === episode.length - 1);
      });
      const r = l.end();
      for (const g of ['cell', 'readout', 'synthesiser'] as const) addScaled(grads[g], r.grads[g], 1 / B);
      loss += r.loss / B;
      episode = [];
    };
    for (let t = 0; t < T; t++) {
      if (!active(t, b)) continue;
      episode.push(t);
      if (terminal(t, b) || (last && t === T - 1)) close(true);
    }
    close(false);
  }
  return { loss, grads };
}
