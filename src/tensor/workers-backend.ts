import type { Backend } from './backend.ts';
import type { Arr, DType } from './dtype.ts';
import type { Jacobian } from './jacobian.ts';
import type { RangeKernels } from './cpu/range-kernels.ts';
import { checkGemmArgs, checkJacobianMatmulArgs } from './validate.ts';
import { compileKernels, wasmKernelsSupported } from './wasm/load.ts';
import {
  CONTROL_BYTES,
  DONE,
  ERROR,
  isShared,
  NEXT,
  refOf,
  type ArrayRef,
  type Chunks,
  type FromWorker,
  type InitMessage,
  type JacobianRef,
  type KernelKind,
  type Task,
  type ToWorker,
} from './workers/protocol.ts';
import { createRangeKernels, readError, recordError, runChunks } from './workers/worker-body.ts';

/**
 * Multi-threaded backend: every call is cut into blocks of its output (examples × column
 * ranges for jacobianMatmul, row × column blocks for gemm) that the calling thread and N
 * worker threads take from a shared counter. Synchronous for the caller, who waits with
 * Atomics.wait (allowed on Node's main thread; in browsers, call it from a worker).
 *
 * Memory: arrays from `alloc` live in SharedArrayBuffers and are used in place; other
 * arrays are copied into shared staging buffers and the output copied back. Every block
 * is summed in the canonical order of cpu/packed-matmul.ts, so results are bit-identical
 * whatever the number of workers, and identical to the single-threaded JS backend (and,
 * in float64, to the wasm backend). Problems below `minParallelFlops` run inline.
 */

/** The transport to one worker (Node worker_threads by default; Web Workers via `spawn`). */
export interface WorkerPort {
  postMessage(msg: ToWorker): void;
  onMessage(listener: (msg: FromWorker) => void): void;
  onError(listener: (error: Error) => void): void;
  /** Called once the worker is initialised (e.g. worker.unref() in Node, so it does not keep the process alive). */
  ready?(): void;
  terminate(): unknown;
}

export interface WorkersBackendOptions {
  /** Worker threads besides the calling thread (default: available cores − 1, at least 1). */
  workers?: number;
  /** Kernels each thread runs: 'wasm' (SIMD, the default where supported) or 'js'. */
  kernels?: KernelKind;
  /** With kernels 'wasm': float32 problems in 'f64x2' (default, exact as JS) or 'f32x4'. */
  float32?: 'f64x2' | 'f32x4';
  /** Calls with fewer floating-point operations run on the calling thread (default 2·10⁶). */
  minParallelFlops?: number;
  /** Give up waiting for the workers after this long without completion (default 120 s). */
  stallTimeoutMs?: number;
  /** Start worker number i (default: a Node worker_threads Worker on workers/node-worker). */
  spawn?: (index: number) => WorkerPort | Promise<WorkerPort>;
}

export class WorkersBackend implements Backend {
  readonly name: string;
  /** Worker threads (the calling thread computes too). */
  readonly workers: number;
  private readonly ports: WorkerPort[];
  private readonly control: Int32Array;
  private readonly local: RangeKernels;
  private readonly minParallelFlops: number;
  private readonly stallTimeoutMs: number;
  private readonly staging = new Map<string, SharedArrayBuffer>();
  private disposed = false;

  /** Use createWorkersBackend. */
  constructor(ports: WorkerPort[], control: SharedArrayBuffer, local: RangeKernels, kernels: KernelKind, options: WorkersBackendOptions) {
    this.ports = ports;
    this.workers = ports.length;
    this.control = new Int32Array(control);
    this.local = local;
    this.name = `workers-${kernels}`;
    this.minParallelFlops = options.minParallelFlops ?? 2e6;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 120_000;
  }

  /** A working buffer in shared memory: the threads use it in place, without copies. */
  alloc(dtype: DType, length: number): Arr {
    return dtype === 'float32' ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float64Array(new SharedArrayBuffer(length * 8));
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr): void {
    this.checkAlive();
    checkGemmArgs(M, N, K, A, B, C);
    const chunks = gemmChunks(M, N, this.workers + 1);
    if (2 * M * N * K < this.minParallelFlops || chunks.count < 2 || alpha === 0) {
      this.local.gemmRange(transA, transB, M, N, K, alpha, A, B, beta, C, 0, M, 0, N);
      return;
    }
    const sA = this.share('A', A, M * K, true);
    const sB = this.share('B', B, K * N, true);
    const sC = this.share('C', C, M * N, beta !== 0);
    this.run({ type: 'gemm', transA, transB, M, N, K, alpha, beta, A: refOf(sA, M * K), B: refOf(sB, K * N), C: refOf(sC, M * N), chunks });
    if (sC !== C) C.set(sC.subarray(0, M * N));
  }

  jacobianMatmul(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number): void {
    this.checkAlive();
    checkJacobianMatmulArgs(J, X, Y, cols);
    const { batch, n } = J;
    const size = batch * n * cols;
    const chunks = jacobianChunks(batch, cols, this.workers + 1);
    if (2 * batch * n * n * cols < this.minParallelFlops || chunks.count < 2 || alpha === 0) {
      this.local.jacobianMatmulRange(J, X, Y, cols, alpha, beta, 0, batch, 0, cols);
      return;
    }
    const sX = this.share('X', X, size, true);
    const sY = this.share('Y', Y, size, beta !== 0);
    this.run({ type: 'jacobian', J: this.shareJacobian(J), X: refOf(sX, size), Y: refOf(sY, size), cols, alpha, beta, chunks });
    if (sY !== Y) Y.set(sY.subarray(0, size));
  }

  /** Stop the worker threads. The backend cannot be used afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.ports.map((p) => p.terminate()));
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('workers backend: used after dispose()');
  }

  /** Post the task to every worker, take chunks on this thread too, wait for all. */
  private run(task: Task): void {
    const control = this.control;
    Atomics.store(control, ERROR, 0);
    Atomics.store(control, DONE, 0);
    Atomics.store(control, NEXT, 0);
    for (const port of this.ports) port.postMessage(task);
    let localError: unknown = null;
    try {
      runChunks(this.local, control, task);
    } catch (e) {
      localError = e;
      recordError(control, e);
    }
    const start = Date.now();
    for (let done = Atomics.load(control, DONE); done < this.workers; done = Atomics.load(control, DONE)) {
      Atomics.wait(control, DONE, done, 1000);
      if (Date.now() - start > this.stallTimeoutMs) {
        throw new Error(`workers backend: ${this.workers - Atomics.load(control, DONE)} worker(s) did not finish within ${this.stallTimeoutMs} ms`);
      }
    }
    if (localError !== null) throw localError;
    if (Atomics.load(control, ERROR) !== 0) throw new Error(`workers backend: a worker failed: ${readError(control)}`);
  }

  /** `a` itself when it is in shared memory, else a shared staging copy (filled when copyIn). */
  private share(slot: string, a: Arr, length: number, copyIn: boolean): Arr {
    if (isShared(a)) return a;
    const view = this.stage(slot, a instanceof Float32Array ? 'float32' : 'float64', length);
    if (copyIn) view.set(a.subarray(0, length));
    return view;
  }

  /** A shared staging array of `length` elements for one slot (reused, grown geometrically). */
  private stage(slot: string, dtype: 'float32' | 'float64', length: number): Arr {
    const bytes = length * (dtype === 'float32' ? 4 : 8);
    let buf = this.staging.get(slot);
    if (buf === undefined || buf.byteLength < bytes) {
      buf = new SharedArrayBuffer(Math.max(bytes, buf === undefined ? 0 : Math.min(2 * buf.byteLength, bytes + (1 << 24))));
      this.staging.set(slot, buf);
    }
    return dtype === 'float32' ? new Float32Array(buf, 0, length) : new Float64Array(buf, 0, length);
  }

  private shareJacobian(J: Jacobian): JacobianRef {
    const { batch, n } = J;
    if (J.kind === 'dense') return { kind: 'dense', batch, n, data: refOf(this.share('J', J.data, batch * n * n, true), batch * n * n) };
    // weights, then every term's and diagonal's scales, in one shared array (jacobianOf reads it back)
    const per = batch * J.block;
    const weightsLength = J.weights.length;
    const length = weightsLength + (J.terms.length + J.diagonals.length) * per;
    const data = this.stage('J', J.weights instanceof Float32Array ? 'float32' : 'float64', length);
    data.set(J.weights);
    let at = weightsLength;
    for (const q of [...J.terms, ...J.diagonals]) {
      data.set(q.scale.subarray(0, per), at);
      at += per;
    }
    return {
      kind: 'structured',
      batch,
      n,
      block: J.block,
      weightsLength,
      data: refOf(data, length),
      terms: J.terms.map(({ row, col, weight }) => ({ row, col, weight })),
      diagonals: J.diagonals.map(({ row, col }) => ({ row, col })),
    };
  }
}

/** About four chunks per thread, whole examples when there are enough, else column ranges. */
export function jacobianChunks(batch: number, cols: number, threads: number): Chunks {
  const target = 4 * threads;
  if (batch >= target) {
    const first = Math.floor(batch / target);
    return { count: Math.ceil(batch / first), across: 1, first, cols };
  }
  const per = Math.ceil(target / Math.max(batch, 1));
  const width = Math.max(8, roundUp(Math.ceil(cols / per), 8));
  const across = Math.ceil(cols / width);
  return { count: batch * across, across, first: 1, cols: width };
}

/** About four chunks per thread: blocks of whole panels of rows, then column ranges. */
export function gemmChunks(M: number, N: number, threads: number): Chunks {
  const target = 4 * threads;
  const rowBlocks = Math.max(1, Math.min(target, Math.floor(M / 4)));
  const first = Math.max(4, roundUp(Math.ceil(M / rowBlocks), 4));
  const rowChunks = Math.max(1, Math.ceil(M / first));
  const perRow = Math.ceil(target / rowChunks);
  const width = Math.max(8, roundUp(Math.ceil(N / perRow), 8));
  const across = Math.max(1, Math.ceil(N / width));
  return { count: M === 0 || N === 0 ? 0 : rowChunks * across, across, first, cols: width };
}

function roundUp(v: number, m: number): number {
  return Math.ceil(v / m) * m;
}

/**
 * Start the workers backend: spawns the workers, compiles the wasm kernel once (the
 * compiled module is sent to every worker) and resolves when all are ready.
 */
export async function createWorkersBackend(options: WorkersBackendOptions = {}): Promise<WorkersBackend> {
  checkThreads();
  const workers = options.workers ?? (await defaultWorkerCount());
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`createWorkersBackend: workers must be an integer ≥ 1, received ${workers}`);
  const kernels: KernelKind = options.kernels ?? (wasmKernelsSupported() ? 'wasm' : 'js');
  const float32 = options.float32 ?? 'f64x2';
  const module = kernels === 'wasm' ? await compileKernels() : null;
  const spawn = options.spawn ?? (await nodeSpawner());
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const init: InitMessage = { type: 'init', control, kernels, module, float32 };
  const ports: WorkerPort[] = [];
  try {
    for (let i = 0; i < workers; i++) ports.push(await spawn(i));
    await Promise.all(ports.map((port) => initialise(port, init)));
  } catch (e) {
    await Promise.all(ports.map((p) => p.terminate()));
    throw e;
  }
  return new WorkersBackend(ports, control, createRangeKernels(kernels, module, float32), kernels, options);
}

function initialise(port: WorkerPort, init: InitMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    port.onError(reject);
    port.onMessage((msg) => {
      if (msg.type === 'ready') {
        port.ready?.();
        resolve();
      } else if (msg.type === 'init-error') {
        reject(new Error(`workers backend: worker failed to start: ${msg.message}`));
      }
    });
    port.postMessage(init);
  });
}

/** Raised when this runtime or thread cannot run worker threads at all (createBackend then falls back). */
export class ThreadsUnavailableError extends Error {}

/** Throws ThreadsUnavailableError unless this thread has shared memory and may block in Atomics.wait. */
function checkThreads(): void {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    throw new ThreadsUnavailableError('workers backend: SharedArrayBuffer is not available in this runtime (in browsers the page must be cross-origin isolated)');
  }
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    throw new ThreadsUnavailableError('workers backend: Atomics.wait is not allowed on this thread (in browsers, use the backend from a worker)');
  }
}

async function defaultWorkerCount(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  let cores = nav?.hardwareConcurrency ?? 0;
  if (!cores) {
    try {
      const os = await import('node:os');
      cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    } catch {
      cores = 2; // neither navigator nor node:os: one worker beside the calling thread
    }
  }
  return Math.max(1, cores - 1);
}

/**
 * Node worker_threads running workers/node-worker: the built .js file, or, when this
 * module runs from its TypeScript source (tests, development under tsx), the .ts file
 * behind a one-line bootstrap that registers tsx in the worker (Node 20 does not pass the
 * parent's --import loaders on to worker threads).
 */
async function nodeSpawner(): Promise<(index: number) => WorkerPort> {
  let Worker: typeof import('node:worker_threads').Worker;
  try {
    ({ Worker } = await import('node:worker_threads'));
  } catch (e) {
    throw new ThreadsUnavailableError(`workers backend: this runtime has no node:worker_threads (${e instanceof Error ? e.message : String(e)}); pass a \`spawn\` option to use Web Workers`);
  }
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './workers/node-worker.ts' : './workers/node-worker.js', import.meta.url);
  let bootstrap: string | null = null;
  if (fromSource) {
    try {
      const tsx = import.meta.resolve('tsx/esm/api');
      bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
    } catch {
      bootstrap = null; // no tsx: rely on the runtime loading .ts itself
    }
  }
  return () => {
    const worker = bootstrap === null ? new Worker(entry) : new Worker(bootstrap, { eval: true });
    return {
      postMessage: (msg) => worker.postMessage(msg),
      onMessage: (listener) => void worker.on('message', listener),
      onError: (listener) => void worker.on('error', listener),
      ready: () => void worker.unref(),
      terminate: () => worker.terminate(),
    };
  };
}
