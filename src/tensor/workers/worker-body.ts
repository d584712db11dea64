import { JsRangeKernels, type RangeKernels } from '../cpu/range-kernels.ts';
import { WasmRangeKernels } from '../wasm/wasm-kernels.ts';
import { chunkBounds, DONE, ERROR, ERROR_LENGTH, ERROR_TEXT, ERROR_TEXT_BYTES, jacobianOf, NEXT, viewOf, type FromWorker, type InitMessage, type KernelKind, type Task, type ToWorker } from './protocol.ts';

/**
 * The work every thread of the workers backend does, the calling thread included: take
 * chunk numbers from the shared counter and compute those blocks with the range kernels.
 * Depends on nothing but the kernels and the message protocol, so that any transport
 * (node-worker.ts for worker_threads, web-worker.ts for browsers) can host it.
 */

export function createRangeKernels(kind: KernelKind, module: WebAssembly.Module | null, float32: 'f64x2' | 'f32x4'): RangeKernels {
  if (kind === 'wasm') {
    if (module === null) throw new Error('workers backend: kernels "wasm" needs the compiled module');
    return new WasmRangeKernels(module, { float32 });
  }
  return new JsRangeKernels();
}

/** Take chunks of `task` until none are left; returns how many this thread computed. */
export function runChunks(kernels: RangeKernels, control: Int32Array, task: Task): number {
  let done = 0;
  if (task.type === 'gemm') {
    const { transA, transB, M, N, K, alpha, beta, chunks } = task;
    const A = viewOf(task.A), B = viewOf(task.B), C = viewOf(task.C);
    for (let i = Atomics.add(control, NEXT, 1); i < chunks.count; i = Atomics.add(control, NEXT, 1), done++) {
      const [r0, r1, c0, c1] = chunkBounds(chunks, i, M, N);
      kernels.gemmRange(transA, transB, M, N, K, alpha, A, B, beta, C, r0, r1, c0, c1);
    }
  } else {
    const { cols, alpha, beta, chunks } = task;
    const J = jacobianOf(task.J);
    const X = viewOf(task.X), Y = viewOf(task.Y);
    for (let i = Atomics.add(control, NEXT, 1); i < chunks.count; i = Atomics.add(control, NEXT, 1), done++) {
      const [b0, b1, c0, c1] = chunkBounds(chunks, i, J.batch, cols);
      kernels.jacobianMatmulRange(J, X, Y, cols, alpha, beta, b0, b1, c0, c1);
    }
  }
  return done;
}

/** Record the first error of a call in shared memory and stop the other threads taking chunks. */
export function recordError(control: Int32Array, error: unknown): void {
  Atomics.store(control, NEXT, 0x3fffffff);
  if (Atomics.compareExchange(control, ERROR, 0, 1) !== 0) return;
  const text = new TextEncoder().encode(error instanceof Error ? error.message : String(error)).subarray(0, ERROR_TEXT_BYTES);
  new Uint8Array(control.buffer, ERROR_TEXT * 4, ERROR_TEXT_BYTES).set(text);
  Atomics.store(control, ERROR_LENGTH, text.length);
}

export function readError(control: Int32Array): string {
  const length = Atomics.load(control, ERROR_LENGTH);
  return new TextDecoder().decode(new Uint8Array(control.buffer, ERROR_TEXT * 4, length).slice());
}

/** A worker's message loop, independent of the transport: returns the reply to post, if any. */
export function createWorkerHandler(): (msg: ToWorker) => FromWorker | null {
  let kernels: RangeKernels | null = null;
  let control: Int32Array | null = null;
  return (msg) => {
    if (msg.type === 'init') {
      try {
        const init = msg as InitMessage;
        control = new Int32Array(init.control);
        kernels = createRangeKernels(init.kernels, init.module, init.float32);
        return { type: 'ready' };
      } catch (e) {
        return { type: 'init-error', message: e instanceof Error ? e.message : String(e) };
      }
    }
    if (kernels === null || control === null) throw new Error('workers backend: task before init');
    try {
      runChunks(kernels, control, msg);
    } catch (e) {
      recordError(control, e);
    } finally {
      Atomics.add(control, DONE, 1);
      Atomics.notify(control, DONE);
    }
    return null;
  };
}
