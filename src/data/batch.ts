import type { Arr } from '../tensor/dtype.ts';

export type LossKind = 'mse' | 'softmax-ce' | 'sigmoid-bce';
export const LOSS_KINDS: readonly LossKind[] = ['mse', 'softmax-ce', 'sigmoid-bce'];

/**
 * Inputs without targets, time-major (what `predict` needs): x[t] is B×I row-major; with
 * `lengths`, example b has lengths[b] steps and its later entries are padding. `makeBatch`
 * builds one from a source without `y`.
 */
export interface InputBatch {
  readonly T: number;
  readonly B: number;
  readonly inputSize: number;
  readonly x: Arr[];
  /** per example, its number of steps (absent: every example has T) */
  readonly lengths?: ArrayLike<number>;
}

/**
 * One batch of sequences, time-major: x[t] is B×I row-major, y[t] is B×O row-major or null
 * at steps without a target. For softmax-ce, y rows are one-hot. With `lengths`, example b
 * has lengths[b] steps (1 ≤ lengths[b] ≤ T): its steps t ≥ lengths[b] are padding, never read,
 * and its last step t = lengths[b] − 1 is terminal (`makeBatch` builds such batches).
 */
export interface SeqBatch {
  readonly T: number;
  readonly B: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly loss: LossKind;
  readonly x: Arr[];
  readonly y: (Arr | null)[];
  /** per example, its number of steps (absent: every example has T) */
  readonly lengths?: ArrayLike<number>;
}
