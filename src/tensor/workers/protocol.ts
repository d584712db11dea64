import type { Arr, DType } from '../dtype.ts';
import type { Jacobian } from '../jacobian.ts';

/**
 * What the calling thread and the worker threads of the workers backend exchange. Plain
 * data only (structured-clonable), so the same messages work for Node worker_threads and
 * browser Web Workers.
 *
 * One call = one Task message to every worker. All threads (the caller included) then
 * take chunk numbers from the shared counter control[NEXT] until none are left; each
 * worker adds 1 to control[DONE] and notifies when it has no more to take. Arrays travel
 * as views of SharedArrayBuffers (never copied by the message).
 */

/** Indices into the shared Int32Array control block. */
export const NEXT = 0;
export const DONE = 1;
export const ERROR = 2;
/** control[ERROR_LENGTH] = byte length of the UTF-8 error text stored from ERROR_TEXT on. */
export const ERROR_LENGTH = 3;
export const ERROR_TEXT = 16;
export const ERROR_TEXT_BYTES = 1024;
export const CONTROL_BYTES = ERROR_TEXT * 4 + ERROR_TEXT_BYTES;

/** A typed array in shared memory. */
export interface ArrayRef {
  buffer: SharedArrayBuffer;
  byteOffset: number;
  length: number;
  dtype: DType;
}

export type KernelKind = 'js' | 'wasm';

export interface InitMessage {
  type: 'init';
  control: SharedArrayBuffer;
  kernels: KernelKind;
  /** the compiled kernel module, for kernels = 'wasm' */
  module: WebAssembly.Module | null;
  float32: 'f64x2' | 'f32x4';
}

/** How a call's output is cut into chunks, numbered 0..count−1. */
export interface Chunks {
  count: number;
  /** blocks along the second axis (columns) per block of the first (rows or examples) */
  across: number;
  /** rows (gemm) or examples (jacobianMatmul) per chunk */
  first: number;
  /** columns per chunk */
  cols: number;
}

export interface GemmTask {
  type: 'gemm';
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  A: ArrayRef;
  B: ArrayRef;
  C: ArrayRef;
  chunks: Chunks;
}

/**
 * A Jacobian in shared memory. A structured one travels as one array: its weights, then each
 * term's scales, then each diagonal's (batch·block values each), in their listed order.
 */
export type JacobianRef =
  | { kind: 'dense'; batch: number; n: number; data: ArrayRef }
  | {
      kind: 'structured';
      batch: number;
      n: number;
      block: number;
      weightsLength: number;
      data: ArrayRef;
      terms: { row: number; col: number; weight: number }[];
      diagonals: { row: number; col: number }[];
    };

export interface JacobianTask {
  type: 'jacobian';
  J: JacobianRef;
  X: ArrayRef;
  Y: ArrayRef;
  cols: number;
  alpha: number;
  beta: number;
  chunks: Chunks;
}

export type Task = GemmTask | JacobianTask;
export type ToWorker = InitMessage | Task;
export type FromWorker = { type: 'ready' } | { type: 'init-error'; message: string };

export function isShared(a: Arr): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

export function refOf(a: Arr, length: number): ArrayRef {
  return { buffer: a.buffer as SharedArrayBuffer, byteOffset: a.byteOffset, length, dtype: a instanceof Float32Array ? 'float32' : 'float64' };
}

export function viewOf(r: ArrayRef): Arr {
  return r.dtype === 'float32' ? new Float32Array(r.buffer, r.byteOffset, r.length) : new Float64Array(r.buffer, r.byteOffset, r.length);
}

export function jacobianOf(r: JacobianRef): Jacobian {
  if (r.kind === 'dense') return { kind: 'dense', batch: r.batch, n: r.n, data: viewOf(r.data) };
  const data = viewOf(r.data);
  const per = r.batch * r.block;
  let at = r.weightsLength;
  const next = (): Arr => data.subarray(at, (at += per));
  const terms = r.terms.map((q) => ({ ...q, scale: next() }));
  const diagonals = r.diagonals.map((q) => ({ ...q, scale: next() }));
  return { kind: 'structured', batch: r.batch, n: r.n, block: r.block, weights: data.subarray(0, r.weightsLength), terms, diagonals };
}

/** The block [first0, first1) × [c0, c1) of chunk number i. */
export function chunkBounds(ch: Chunks, i: number, firstTotal: number, colsTotal: number): [number, number, number, number] {
  const f = Math.floor(i / ch.across);
  const q = i - f * ch.across;
  const first0 = f * ch.first;
  const c0 = q * ch.cols;
  return [first0, Math.min(first0 + ch.first, firstTotal), c0, Math.min(c0 + ch.cols, colsTotal)];
}
