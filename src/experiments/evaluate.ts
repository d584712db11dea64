/**
 * Evaluation with the parameters frozen: loss, accuracy (seq-mnist) or bits per output entry
 * (copy-repeat), and gradient alignment (MATH.md §5) on held-out data. Nothing here changes the
 * model.
 */
import type { SeqBatch } from '../data/batch.ts';
import { gradientAlignment } from '../learners/alignment.ts';
import { recordTrajectory } from '../learners/trajectory.ts';
import type { Model } from '../model/model.ts';
import { mnistBatch, type MnistView } from '../tasks/seq-mnist.ts';

export interface AlignmentRecord {
  mean: number;
  whole: number;
  /** per step t = 0..T−2 (toy and line-draw only, to keep the log small) */
  perStep?: number[];
}

/** Batch loss L = (1/B) Σ_b Σ_t ℓ_{t,b} of a held-out batch. */
export function evalLoss(model: Model, batch: SeqBatch): number {
  const traj = recordTrajectory(model, batch);
  return traj.caches.length === batch.T ? traj.loss : NaN; // the recorder stops at a non-finite step
}

/** Alignment of g(s_t) with the true future gradient on `batch`, rounded for the log. */
export function evalAlignment(model: Model, batch: SeqBatch, withPerStep: boolean): AlignmentRecord {
  const a = gradientAlignment(model, batch);
  return { mean: a.mean, whole: a.whole, ...(withPerStep ? { perStep: a.perStep } : {}) };
}

/** The index of the largest of a[offset … offset+n−1] (the first of equal ones). */
export function argmaxRow(a: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let o = 1; o < n; o++) if (a[offset + o] > a[offset + best]) best = o;
  return best;
}

/** What one held-out batch contributes to an evaluation (the parameters frozen). */
export interface BatchScore {
  /** batch loss L = (1/B) Σ_b Σ_t ℓ_{t,b}; NaN when the forward pass is not finite */
  loss: number;
  /** examples B */
  examples: number;
  /** the (example, step) pairs with a target: B × the steps t with y_t not null */
  targets: number;
  /**
   * softmax-ce: of those pairs, how many predict the target's class, arg max_o ŷ_{t,b,o} =
   * arg max_o y_{t,b,o} (the first of equal ones); 0 for the other losses (and NaN with the loss)
   */
  correct: number;
}

/** Runs `batch` forward with the parameters frozen and scores it (see BatchScore). */
export function scoreBatch(model: Model, batch: SeqBatch): BatchScore {
  const traj = recordTrajectory(model, batch);
  const B = batch.B;
  const targets = targetEntries(batch);
  if (traj.caches.length !== batch.T) return { loss: NaN, examples: B, targets, correct: NaN }; // the recorder stops at a non-finite step
  let correct = 0;
  if (batch.loss === 'softmax-ce') {
    const O = model.outputSize;
    for (let t = 0; t < batch.T; t++) {
      const y = batch.y[t];
      if (y === null) continue;
      const yh = traj.yhat[t];
      for (let b = 0; b < B; b++) if (active(batch, b, t) && argmaxRow(yh, b * O, O) === argmaxRow(y, b * O, O)) correct++;
    }
  }
  return { loss: traj.loss, examples: B, targets, correct };
}

/** Whether step t of example b is one of its own (not padding past its length). */
function active(batch: SeqBatch, b: number, t: number): boolean {
  return batch.lengths === undefined || t < batch.lengths[b];
}

/** The (example, step) pairs of `batch` with a target: y_t not null and the step the example's own. */
export function targetEntries(batch: SeqBatch): number {
  let n = 0;
  for (let t = 0; t < batch.T; t++) {
    if (batch.y[t] === null) continue;
    for (let b = 0; b < batch.B; b++) if (active(batch, b, t)) n++;
  }
  return n;
}

/** Mean cross-entropy per example and accuracy of the final-step prediction over a seq-mnist view. */
export function evalClassifier(model: Model, view: MnistView, chunk = 500): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  const n = view.indices.length;
  for (let start = 0; start < n; start += chunk) {
    const idx = view.indices.subarray(start, Math.min(n, start + chunk));
    const score = scoreBatch(model, mnistBatch(view.set, idx, model.dtype)); // one target, the label's one-hot, at the final step
    if (!Number.isFinite(score.loss)) return { loss: NaN, accuracy: NaN };
    loss += score.loss * idx.length;
    correct += score.correct;
  }
  return { loss: loss / n, accuracy: correct / n };
}

/**
 * sigmoid-bce in bits per output entry: a loss summed over examples, steps and output
 * channels (nats), divided by the number of entries it sums and by ln 2.
 */
export function bitsPerEntry(lossSum: number, entries: number): number {
  return lossSum / entries / Math.LN2;
}
