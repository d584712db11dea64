/**
 * Evaluation with the parameters frozen: loss, accuracy (seq-mnist) or bits per output entry
 * (copy-repeat), and gradient alignment (MATH.md §5) on held-out data. Nothing here changes the
 * model.
 */
import type { SeqBatch } from '../data/batch.ts';
import { gradientAlignment } from '../learners/alignment.ts';
import { forwardTrajectory } from '../learners/trajectory.ts';
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
  const traj = forwardTrajectory(model, batch);
  return traj.caches.length === batch.T ? traj.loss : NaN; // the recorder stops at a non-finite step
}

/** Alignment of g(s_t) with the true future gradient on `batch`, rounded for the log. */
export function evalAlignment(model: Model, batch: SeqBatch, withPerStep: boolean): AlignmentRecord {
  const a = gradientAlignment(model, batch);
  return { mean: a.mean, whole: a.whole, ...(withPerStep ? { perStep: a.perStep } : {}) };
}

/** Mean cross-entropy per example and accuracy of the final-step prediction over a seq-mnist view. */
export function evalClassifier(model: Model, view: MnistView, chunk = 500): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  const n = view.indices.length;
  const O = model.outputSize;
  for (let start = 0; start < n; start += chunk) {
    const idx = view.indices.subarray(start, Math.min(n, start + chunk));
    const batch = mnistBatch(view.set, idx, model.dtype);
    const traj = forwardTrajectory(model, batch);
    if (traj.caches.length !== batch.T) return { loss: NaN, accuracy: NaN };
    loss += traj.loss * idx.length;
    const yh = traj.yhat[batch.T - 1];
    for (let b = 0; b < idx.length; b++) {
      let best = 0;
      for (let o = 1; o < O; o++) if (yh[b * O + o] > yh[b * O + best]) best = o;
      if (best === batch.labels[b]) correct++;
    }
  }
  return { loss: loss / n, accuracy: correct / n };
}

/** Copy-repeat: mean BCE in bits per output entry (over output steps t ≥ N+2 and the 9 channels). */
export function bitsPerEntry(batchLoss: number, N: number, R: number, outputs: number): number {
  const outputSteps = R * N + 1;
  return batchLoss / (outputSteps * outputs) / Math.LN2;
}
