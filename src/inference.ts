import type { CellCache } from './cells/cell.ts';
import type { InputBatch, SeqBatch } from './data/batch.ts';
import { checkLengths, checkStepArray } from './data/validate-batch.ts';
import { readFlags } from './data/step-rows.ts';
import { forwardStep, MaskScratch, type StepOutputs } from './learners/forward-step.ts';
import { checkModel, type Model } from './model/model.ts';
import { alloc, type Arr } from './tensor/dtype.ts';
import { checkInt, checkOptions, describe } from './validate.ts';

/** What one inference step returns (fresh arrays, owned by the caller). */
export interface PredictorStep {
  /** ŷ_t = W_out h_t + b_out, B×O row-major */
  readonly output: Arr;
  /** s_t, B×n row-major (n = H, or 2H for the LSTM: [h_t; c_t] per example) */
  readonly state: Arr;
}

/**
 * Runs a model forward without learning: s_t = F(x_t, s_{t−1}), ŷ_t = W_out h_t + b_out
 * (docs/MATH.md §1), one step at a time, keeping the state s_t between calls (a stream), from
 * s_0 = 0 or a given initial state. It reads the model's parameters at every step, so it sees
 * the updates a learner makes to the same model. Each step goes through the library's one
 * forward step (`forwardStep`), the same one the learners use.
 *
 *   const p = new Predictor(model, B);
 *   for (const x_t of stream) { const { output, state } = p.step(x_t); … }   // x_t: B×I
 *   p.reset();                                                               // s_0 = 0 again
 *
 * Errors name the argument, the expected and the received value; a step with a wrong width, a
 * non-finite input, or one whose output or state is not finite (the model diverges on this
 * input) throws and leaves the state as it was.
 */
export class Predictor {
  readonly model: Model;
  private batch = 0;
  private t = 0;
  private s_prev!: Arr;
  /** h_{t−1}, B×H: what a held example's readout reads */
  private h_prev!: Arr;
  private cache!: CellCache;
  private scratch!: MaskScratch;
  private out!: StepOutputs;

  /** `batchSize` B ≥ 1: the number of independent streams run side by side (default 1). */
  constructor(model: Model, batchSize = 1) {
    this.model = checkModel(model, 'Predictor: model');
    this.reset(batchSize);
  }

  /** B, the number of streams. */
  get batchSize(): number {
    return this.batch;
  }

  /** Steps run since the last reset. */
  get steps(): number {
    return this.t;
  }

  /** A copy of the current state s_t (B×n; s_0 right after a reset). */
  state(): Arr {
    return this.s_prev.slice() as Arr;
  }

  /**
   * Starts new sequences: B streams (default: the current B), state s_0 = `initialState`
   * (B×n, copied) or zero. Throws naming the argument before changing anything.
   */
  reset(batchSize: number = this.batch, initialState?: Arr): void {
    const B = checkInt(batchSize, 'Predictor.reset: batchSize', 1);
    const { cell, dtype, stateSize: n, outputSize: O } = this.model;
    if (initialState !== undefined) checkStepArray(initialState, B * n, `Predictor.reset: initialState (batch ${B} × stateSize ${n})`);
    if (B !== this.batch) {
      this.cache = cell.createCache(B);
      this.out = { yhat: alloc(dtype, B * O), dyhat: alloc(dtype, B * O), dh: alloc(dtype, B * this.model.hiddenSize), dLds: alloc(dtype, B * n) };
      this.s_prev = alloc(dtype, B * n);
      this.h_prev = alloc(dtype, B * this.model.hiddenSize);
      this.scratch = new MaskScratch(this.model);
      this.batch = B;
    }
    this.h_prev.fill(0);
    if (initialState === undefined) this.s_prev.fill(0);
    else this.s_prev.set(initialState);
    this.t = 0;
  }

  /**
   * One step: x_t (B×I, Float64Array or Float32Array, finite) → ŷ_t and s_t. With
   * `options.active` (B booleans or 0/1), an inactive example (its sequence has ended: padding)
   * sits the step out as it does in a learner: its row of x_t is not read, it keeps
   * s_t = s_{t−1} and h_t = h_{t−1}, so its output stays ŷ_{t−1} (W_out h_0 + b_out, h_0 = 0,
   * before its first step).
   */
  step(x_t: Arr, options?: { active?: ArrayLike<boolean | number> }): PredictorStep {
    const { inputSize: I, stateSize: n } = this.model;
    checkOptions(options ?? {}, ['active'], 'Predictor.step: options');
    let held: Uint8Array | null = null;
    if (options?.active !== undefined) {
      held = new Uint8Array(this.batch);
      readFlags(options.active, this.batch, 'Predictor.step: options.active', held);
      for (let b = 0; b < this.batch; b++) held[b] = 1 - held[b];
    }
    const heldCount = held === null ? 0 : held.reduce((a, v) => a + v, 0);
    checkStepArray(x_t, this.batch * I, `Predictor.step: x (batch ${this.batch} × inputSize ${I})`, held ?? undefined);
    const zeros = new Uint8Array(this.batch);
    const masked = heldCount === 0 ? null : { rows: { batch: this.batch, held: held!, restart: zeros, terminal: zeros, heldCount, restartCount: 0 }, h_prev: this.h_prev, scratch: this.scratch };
    forwardStep(this.model, 'mse', x_t, null, this.s_prev, this.cache, this.out, masked);
    const s_t = this.cache.s.subarray(0, this.batch * n);
    for (const [what, a] of [['the output ŷ_t', this.out.yhat], ['the state s_t', s_t]] as const) {
      for (let i = 0; i < a.length; i++) {
        if (!Number.isFinite(a[i])) throw new Error(`Predictor.step: step ${this.t}: ${what} is not finite (${a[i]} at index ${i}): the model diverges on this input; the state is unchanged`);
      }
    }
    this.s_prev.set(s_t);
    this.h_prev.set(this.cache.h.subarray(0, this.h_prev.length));
    this.t++;
    return { output: this.out.yhat.slice() as Arr, state: this.s_prev.slice() as Arr };
  }
}

export interface PredictOptions {
  /** also return the states s_t (default false) */
  states?: boolean;
  /** s_0, B×n (default zero) */
  initialState?: Arr;
  /**
   * per example, its number of steps in [1, T] (default: a SeqBatch input's `lengths`, else T
   * for all): past it an example holds its last state and output (its inputs there are padding,
   * never read)
   */
  lengths?: ArrayLike<number>;
}

/** Outputs (and states) of a whole sequence, time-major like a SeqBatch. */
export interface Prediction {
  /** ŷ_t for t = 1…T, each B×O row-major */
  readonly outputs: Arr[];
  /** s_t for t = 1…T, each B×n row-major (only with `states: true`) */
  readonly states?: Arr[];
}

/**
 * Runs `model` over a sequence from s_0 = 0 (or `initialState`) and returns ŷ_t for every step
 * (and s_t with `states: true`). `input` is a SeqBatch (its x; y and loss are not used) or the
 * inputs x_t themselves, an array of T ≥ 1 typed arrays of B×I values (B is inferred from the
 * first). A `Predictor` underneath: the same checks, the same forward step.
 */
export function predict(model: Model, input: SeqBatch | InputBatch | readonly Arr[], options: PredictOptions = {}): Prediction {
  checkModel(model, 'predict: model');
  checkOptions(options, ['states', 'initialState', 'lengths'], 'predict: options');
  if (options.states !== undefined && typeof options.states !== 'boolean') throw new Error(`predict: options.states: expected a boolean, received ${describe(options.states)}`);
  const xs = Array.isArray(input) ? (input as readonly Arr[]) : input !== null && typeof input === 'object' && Array.isArray((input as SeqBatch).x) ? (input as SeqBatch).x : null;
  if (xs === null) throw new Error(`predict: input: expected an array of T ≥ 1 steps x_t (B×I typed arrays) or a SeqBatch, received ${describe(input)}`);
  if (xs.length === 0) throw new Error('predict: input: expected at least one step, received an empty sequence');
  const I = model.inputSize;
  const first = xs[0] as unknown;
  const len = ArrayBuffer.isView(first) ? (first as Arr).length : NaN;
  if (!(len > 0) || len % I !== 0) throw new Error(`predict: input[0]: expected a Float64Array or Float32Array of B×I values (inputSize I = ${I}, B ≥ 1), received ${describe(first)}`);
  const p = new Predictor(model, len / I);
  if (options.initialState !== undefined) p.reset(len / I, options.initialState);
  const lengths = options.lengths ?? (Array.isArray(input) ? undefined : (input as InputBatch).lengths);
  const padding = lengths === undefined ? null : checkLengths(lengths, xs.length, len / I, options.lengths !== undefined ? 'predict: options.lengths' : 'predict: input.lengths');
  const outputs: Arr[] = [];
  const states: Arr[] = [];
  for (let t = 0; t < xs.length; t++) {
    let r: PredictorStep;
    try {
      r = p.step(xs[t], padding === null ? undefined : { active: padding[t].map((h) => 1 - h) });
    } catch (e) {
      throw new Error(`predict: input[${t}]: ${(e as Error).message.replace(/^Predictor\.step: /, '')}`);
    }
    outputs.push(r.output);
    if (options.states) states.push(r.state);
  }
  return options.states ? { outputs, states } : { outputs };
}
