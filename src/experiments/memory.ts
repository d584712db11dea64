/**
 * A lower bound on the memory a run needs, checked before anything is allocated or written, so
 * sizes that cannot fit (`--hidden 1000000`, `--batch 1000000000`) fail at once with the number
 * instead of after minutes of swapping. Counted (float64): the model with its gradients and
 * Adam's moments, one training batch and the held-out batch, and the largest buffers of each
 * method run (MethodSpec.memory: BP(λ)'s traces, RTRL's influence matrices, the offline
 * methods' stored trajectory).
 */
import { totalmem } from 'node:os';
import { formatBytes } from '../memory.ts';
import type { RunConfig } from './config.ts';
import { cellDefinition } from '../cells/registry.ts';
import { methodSpec } from './methods/index.ts';
import { taskSpec } from './tasks/index.ts';

export interface MemoryEstimate {
  bytes: number;
  /** what to reduce, for the error: the options that shrink the largest part */
  reduce: string;
  /** the parts, largest first, e.g. "eligibility traces 1.2 TB" */
  parts: string[];
}

function estimateRunMemory(config: RunConfig): MemoryEstimate {
  const { inputSize: I, outputSize: O, steps: T } = taskSpec(config.task).sizes(config.taskOptions);
  const H = config.hidden;
  const B = config.batch;
  // the model's sizes from the cell's definition, without building it (a model too large to allocate must still be reported)
  const cell = cellDefinition(config.cell);
  const cellParams = Object.values(cell.paramShapes(I, H)).reduce((a, s) => a + s.reduce((p, d) => p * d, 1), 0);
  const n = cell.stateSize(H);
  const params = cellParams + O * (H + 1) + n * (n + 1);
  const sizes = { B, n, T, O, cellParams };
  const largest = new Map<string, number>();
  for (const m of config.methods) {
    for (const [what, values] of methodSpec(m).memory(sizes, config.methodSettings)) largest.set(what, Math.max(largest.get(what) ?? 0, values));
  }
  const batches = T * (B + config.evalBatch) * (I + O) + T * config.evalBatch * 3 * n;
  const parts: [string, number][] = [
    ['model, gradients and Adam moments', 5 * params],
    ['training and held-out batches', batches],
    ...largest,
  ];
  const bytes = 8 * parts.reduce((a, [, v]) => a + v, 0);
  const steps = taskSpec(config.task).options.some((o) => o.flag === 'steps') ? ' or --steps' : '';
  return {
    bytes,
    // the options that shrink the largest part
    reduce: Math.max(...parts.map(([, v]) => v)) === batches ? `reduce --batch, --eval-batch${steps}` : 'reduce --hidden or --batch',
    parts: parts
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([what, v]) => `${what} ${formatBytes(8 * v)}`),
  };
}

/** Throws when the estimate, times the runs trained at once, exceeds this machine's memory, giving the numbers. */
export function checkRunMemory(config: RunConfig, atOnce = 1, available = totalmem()): void {
  const { bytes, parts, reduce } = estimateRunMemory(config);
  if (bytes * atOnce > available) {
    const jobs = atOnce > 1 ? ` per run, ${atOnce} runs at once` : '';
    const K = config.methodSettings.traceWindow;
    const window = typeof K === 'number' ? `, or --trace-window (${K}: the blocked window holds up to that many steps)` : '';
    throw new Error(
      `run: these sizes need at least ${formatBytes(bytes)} of memory${jobs} (${parts.join(', ')}; hidden ${config.hidden}, batch ${config.batch}), ` +
        `more than this machine's ${formatBytes(available)}: ${reduce}${atOnce > 1 ? ', or --jobs' : ''}${window}`,
    );
  }
}
