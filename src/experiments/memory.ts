/**
 * A lower bound on the memory a run needs, checked before anything is allocated or written, so
 * sizes that cannot fit (`--hidden 1000000`, `--batch 1000000000`) fail at once with the number
 * instead of after minutes of swapping. Counted (float64): the model with its gradients and
 * Adam's moments, one training batch and the held-out batch, and the learner's largest
 * buffers (BP(λ)'s two eligibility traces B·n²(n+1) each, or the offline methods' stored
 * trajectory of about 3n + 2·O values per example and step).
 */
import { totalmem } from 'node:os';
import { traceSize } from '../kernels/trace.ts';
import { formatBytes } from '../memory.ts';
import { COPY_REPEAT_INPUT_SIZE, COPY_REPEAT_OUTPUT_SIZE, copyRepeatLength } from '../tasks/copy-repeat.ts';
import { MNIST_CLASSES, MNIST_COLS, MNIST_ROWS } from '../tasks/seq-mnist.ts';
import { isToy, type RunConfig } from './config.ts';

export interface MemoryEstimate {
  bytes: number;
  /** the parts, largest first, e.g. "eligibility traces 1.2 TB" */
  parts: string[];
}

export function estimateRunMemory(config: RunConfig): MemoryEstimate {
  const H = config.hidden;
  const toy = isToy(config.task);
  const lstm = !toy;
  const [I, O, T] = toy ? [10, 2, config.steps] : config.task === 'seq-mnist' ? [MNIST_COLS, MNIST_CLASSES, MNIST_ROWS] : [COPY_REPEAT_INPUT_SIZE, COPY_REPEAT_OUTPUT_SIZE, copyRepeatLength(1, 1)];
  const n = lstm ? 2 * H : H;
  const gates = lstm ? 4 * H : H;
  const params = gates * (I + H + 1) + O * (H + 1) + n * (n + 1);
  const B = config.batch;
  const traces = config.methods.includes('bp-lambda') && config.computation === 'traces' ? 2 * B * traceSize(n) : 0;
  const offline = config.methods.some((m) => m !== 'bp-lambda') || config.computation === 'backward' ? T * B * (3 * n + 2 * O) : 0;
  const parts: [string, number][] = [
    ['model, gradients and Adam moments', 5 * params],
    ['training and held-out batches', T * (B + config.evalBatch) * (I + O) + T * config.evalBatch * 3 * n],
    ['eligibility traces', traces],
    ['stored trajectories', offline],
  ];
  const bytes = 8 * parts.reduce((a, [, v]) => a + v, 0);
  return {
    bytes,
    parts: parts
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([what, v]) => `${what} ${formatBytes(8 * v)}`),
  };
}

/** Throws when the estimate exceeds this machine's memory, giving both numbers. */
export function checkRunMemory(config: RunConfig, available = totalmem()): void {
  const { bytes, parts } = estimateRunMemory(config);
  if (bytes > available) {
    throw new Error(
      `run: these sizes need at least ${formatBytes(bytes)} of memory (${parts.join(', ')}; hidden ${config.hidden}, batch ${config.batch}), ` +
        `more than this machine's ${formatBytes(available)}: reduce --hidden or --batch`,
    );
  }
}
