/**
 * `fit`'s metrics: the loss always, `accuracy` (softmax-ce) and `bits` (sigmoid-bce) by name,
 * summed over batches and reported under TensorFlow.js's log names (`loss`, `bits`, `val_loss`,
 * `val_accuracy`, `val_bits`). The per-batch numbers come from the library's evaluation code
 * (experiments/evaluate.ts: scoreBatch, targetEntries, bitsPerEntry).
 *
 *   loss      Σ_k L_k·B_k / Σ_k B_k, the mean loss per example (L_k the batch loss, MATH.md §1)
 *   accuracy  the fraction of (example, step) pairs with a target whose arg max ŷ is the
 *             target's arg max (held-out data only: it needs the outputs of a frozen model)
 *   bits      Σ_k L_k·B_k / (Σ_k E_k·O) / ln 2, bits per output entry (E_k the (example, step) pairs with a target, padding excluded)
 */
import type { LossKind, SeqBatch } from '../data/batch.ts';
import { bitsPerEntry, targetEntries, type BatchScore } from '../experiments/evaluate.ts';
import { checkOneOf, fail } from '../validate.ts';

export type FitMetric = 'accuracy' | 'bits';
export const FIT_METRICS: readonly FitMetric[] = ['accuracy', 'bits'];

/** The loss each metric needs. */
const METRIC_LOSS: Record<FitMetric, LossKind> = { accuracy: 'softmax-ce', bits: 'sigmoid-bce' };

/** Numbers reported to callbacks, by name (TensorFlow.js's `Logs`). */
export type Logs = Record<string, number>;

/** Checks `metrics`: an array of distinct names from FIT_METRICS. */
export function checkMetrics(metrics: unknown, name: string): FitMetric[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) return fail(name, `an array of metric names (${FIT_METRICS.map((m) => JSON.stringify(m)).join(', ')}; the loss is always reported)`, metrics);
  const out: FitMetric[] = [];
  metrics.forEach((m, i) => {
    const metric = checkOneOf(m, FIT_METRICS, `${name}[${i}]`);
    if (out.includes(metric)) fail(`${name}[${i}]`, 'each metric once', m);
    out.push(metric);
  });
  return out;
}

/** Refuses a batch whose loss a requested metric does not apply to. */
export function checkMetricLoss(metrics: readonly FitMetric[], batch: SeqBatch, name: string): void {
  for (const m of metrics) if (batch.loss !== METRIC_LOSS[m]) fail(`${name}.loss`, `"${METRIC_LOSS[m]}" (the metric "${m}" is defined for ${METRIC_LOSS[m]} only)`, batch.loss);
}

/** Running sums over batches (see the file comment); `logs` turns them into means. */
export class MetricSums {
  private lossSum = 0;
  private examples = 0;
  private entries = 0;
  private targets = 0;
  private correct = 0;

  /** Adds a batch: its score (held-out), or a training batch's loss (no accuracy). */
  add(score: BatchScore, outputSize: number): void {
    this.lossSum += score.loss * score.examples;
    this.examples += score.examples;
    this.entries += score.targets * outputSize;
    this.targets += score.targets;
    this.correct += score.correct;
  }

  /** A training batch: its loss L from the learner, B examples. */
  addTraining(loss: number, batch: SeqBatch): void {
    this.add({ loss, examples: batch.B, targets: targetEntries(batch), correct: 0 }, batch.outputSize);
  }

  /** The means, named `prefix + name`: loss, and the requested metrics (accuracy only with `withAccuracy`). */
  logs(metrics: readonly FitMetric[], prefix: string, withAccuracy: boolean): Logs {
    const logs: Logs = { [`${prefix}loss`]: this.lossSum / this.examples };
    for (const m of metrics) {
      if (m === 'bits') logs[`${prefix}bits`] = bitsPerEntry(this.lossSum, this.entries);
      else if (withAccuracy) logs[`${prefix}accuracy`] = this.correct / this.targets;
    }
    return logs;
  }
}
