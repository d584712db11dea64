import type { Arr } from './dtype.ts';
import type { Backend } from './backend.ts';
import { jacobianDiagonal, jacobianLeft, jacobianRowScale, planJacobian, type Jacobian } from './jacobian.ts';
import { scaleBlock } from './cpu/gemm-range.ts';
import { denseTrace, gemmNN, gemmNT, gemmTN, gemmTT, perExampleLeftTrace, sharedLeftTrace } from './gpu/kernels.ts';
import { checkGemmArgs, checkJacobianMatmulArgs } from './validate.ts';

/**
 * Backend on gpu.js (an optional peer dependency, imported only by createGpuBackend):
 * jacobianMatmul (both Jacobian forms) and gemm as gpu.js kernels, one per shape,
 * compiled on first use and cached. gpu.js computes in float32 whatever the arrays hold:
 * inputs are rounded to float32, products are summed in float32 (WebGL, WebAssembly) or
 * in float64 then rounded (cpu mode), and alpha, beta are applied on the host in float64.
 *
 * gpu.js compiles kernels from source text (new Function in its cpu mode), so this
 * backend is not for pages under a Content-Security-Policy without 'unsafe-eval'; the
 * core never imports it.
 */

/**
 * gpu.js modes usable through the synchronous Backend interface: 'gpu' picks the best
 * available (headlessgl → webgl2 → webgl → webasm), 'wasm' is an alias of 'webasm'.
 * ('webgpu' is not offered: its kernels only return Promises.)
 */
export type GpuMode = 'gpu' | 'webgl2' | 'webgl' | 'headlessgl' | 'webasm' | 'wasm' | 'cpu';

export interface GpuBackendOptions {
  mode?: GpuMode;
  /** Compiled kernels kept (one per operation and shape); the oldest is destroyed beyond it. Default 64. */
  maxKernels?: number;
}

/** The part of gpu.js this backend uses. */
interface GpuJsKernel {
  (...args: unknown[]): unknown;
  destroy?(removeCanvasReferences?: boolean): void;
}
interface GpuJsInstance {
  createKernel(source: (...args: never[]) => number, settings: Record<string, unknown>): GpuJsKernel;
  destroy(): void;
  Kernel: unknown;
}
interface GpuJsModule {
  GPU: new (settings: { mode: string }) => GpuJsInstance;
  input(value: Float32Array, size: number[]): unknown;
  HeadlessGLKernel?: unknown;
  WebGL2Kernel?: unknown;
  WebGLKernel?: unknown;
  WebAssemblyKernel?: unknown;
  CPUKernel?: unknown;
}

/** The gpu.js mode name of the kernel class an instance chose. */
function modeOf(lib: GpuJsModule, gpu: GpuJsInstance): string {
  const classes: [string, unknown][] = [
    ['headlessgl', lib.HeadlessGLKernel],
    ['webgl2', lib.WebGL2Kernel],
    ['webgl', lib.WebGLKernel],
    ['webasm', lib.WebAssemblyKernel],
    ['cpu', lib.CPUKernel],
  ];
  for (const [mode, Kernel] of classes) if (Kernel !== undefined && gpu.Kernel === Kernel) return mode;
  return 'unknown';
}

/** Rows of a 2D gpu.js result (Float32Array rows) or layers of rows (3D). */
type Rows = ArrayLike<number>[];

export class GpuBackend implements Backend {
  readonly name: string;
  /** The gpu.js backend actually running the kernels ('webasm', 'cpu', 'webgl2', ...). */
  readonly mode: string;
  private readonly lib: GpuJsModule;
  private readonly gpu: GpuJsInstance;
  private readonly maxKernels: number;
  private readonly kernels = new Map<string, GpuJsKernel>();
  private readonly staging = new Map<string, Float32Array>();
  private readonly host = new Map<string, Float64Array>();

  /** Use createGpuBackend. */
  constructor(lib: GpuJsModule, gpu: GpuJsInstance, options: GpuBackendOptions) {
    this.lib = lib;
    this.gpu = gpu;
    this.mode = modeOf(lib, gpu);
    this.name = `gpujs-${this.mode}`;
    this.maxKernels = options.maxKernels ?? 64;
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr): void {
    checkGemmArgs(M, N, K, A, B, C);
    if (M === 0 || N === 0) return;
    if (alpha === 0 || K === 0) {
      scaleBlock(C, N, 0, M, 0, N, beta);
      return;
    }
    const source = transA ? (transB ? gemmTT : gemmTN) : transB ? gemmNT : gemmNN;
    const kernel = this.kernel(`gemm:${transA}:${transB}:${M}:${N}:${K}`, source, [N, M], { K });
    // gpu.js sizes are [width, height]: A[i][k] for A stored M×K is input(A, [K, M]).
    const a = this.lib.input(this.float32('A', A, M * K), transA ? [M, K] : [K, M]);
    const b = this.lib.input(this.float32('B', B, K * N), transB ? [K, N] : [N, K]);
    const rows = kernel(a, b) as Rows;
    for (let i = 0; i < M; i++) writeRow(rows[i], C, i * N, N, alpha, beta);
  }

  jacobianMatmul(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number): void {
    checkJacobianMatmulArgs(J, X, Y, cols);
    const { batch, n } = J;
    if (batch === 0 || n === 0 || cols === 0) return;
    if (alpha === 0) {
      scaleBlock(Y, cols, 0, batch * n, 0, cols, beta);
      return;
    }
    const output = [cols, n, batch];
    const x = this.lib.input(this.float32('X', X, batch * n * cols), [cols, n, batch]);
    let layers: Rows[];
    switch (J.kind) {
      case 'dense': {
        const kernel = this.kernel(`dense:${batch}:${n}:${cols}`, denseTrace, output, { n });
        layers = kernel(this.lib.input(this.float32('J0', J.data, batch * n * n), [n, n, batch]), x) as Rows[];
        break;
      }
      case 'structured': {
        // The plan every backend shares (jacobian.ts): the left operand, row scales and the
        // diagonal term are laid out on the host, the products run in the kernel.
        const plan = planJacobian(J);
        const K = Math.max(plan.K, 1); // gpu.js needs non-empty inputs; a zero column adds nothing
        const diag = this.hostRows('g', batch * n);
        if (plan.hasDiagonal) for (let b = 0; b < batch; b++) jacobianDiagonal(J, plan, b, diag.subarray(b * n, (b + 1) * n));
        else diag.fill(0);
        const gIn = this.lib.input(this.float32('J2', diag, batch * n), [n, batch]);
        const dr = Array.from(plan.diagRows);
        const left = this.hostRows('L', (plan.shared ? 1 : batch) * n * K);
        left.fill(0);
        const rows = this.hostRows('rows', n * plan.K);
        for (let b = 0; b < (plan.shared ? 1 : batch); b++) {
          jacobianLeft(J, plan, b, rows);
          for (let i = 0; i < n; i++) for (let k = 0; k < plan.K; k++) left[(b * n + i) * K + k] = rows[i * plan.K + k];
        }
        if (plan.shared) {
          const scale = this.hostRows('s', batch * n);
          for (let b = 0; b < batch; b++) jacobianRowScale(J, plan, b, 1, scale.subarray(b * n, (b + 1) * n));
          const kernel = this.kernel(`shared:${batch}:${n}:${K}:${cols}`, sharedLeftTrace, output, { K });
          const L = this.lib.input(this.float32('J0', left, n * K), [K, n]);
          const s = this.lib.input(this.float32('J1', scale, batch * n), [n, batch]);
          layers = kernel(L, s, gIn, dr, x) as Rows[];
        } else {
          const kernel = this.kernel(`per-example:${batch}:${n}:${K}:${cols}`, perExampleLeftTrace, output, { K });
          const L = this.lib.input(this.float32('J0', left, batch * n * K), [K, n, batch]);
          layers = kernel(L, gIn, dr, x) as Rows[];
        }
        break;
      }
    }
    for (let b = 0; b < batch; b++) {
      const rows = layers[b];
      for (let i = 0; i < n; i++) writeRow(rows[i], Y, (b * n + i) * cols, cols, alpha, beta);
    }
  }

  /** Destroy the compiled kernels and the gpu.js instance (its GL context, worker pool). */
  dispose(): void {
    for (const k of this.kernels.values()) k.destroy?.();
    this.kernels.clear();
    this.gpu.destroy();
  }

  /** The compiled kernel for one operation and shape (compiled on first use). */
  private kernel(key: string, source: (...args: never[]) => number, output: number[], constants: Record<string, number>): GpuJsKernel {
    let kernel = this.kernels.get(key);
    if (kernel !== undefined) return kernel;
    if (this.kernels.size >= this.maxKernels) {
      const [oldestKey, oldest] = this.kernels.entries().next().value as [string, GpuJsKernel];
      oldest.destroy?.();
      this.kernels.delete(oldestKey);
    }
    let loops = 0;
    for (const v of Object.values(constants)) loops = Math.max(loops, v);
    kernel = this.gpu.createKernel(source, {
      output,
      constants,
      precision: 'single',
      tactic: 'precision',
      // the loops run to a constant, but gpu.js also caps every loop at this count
      loopMaxIterations: Math.max(1000, loops + 1),
    });
    this.kernels.set(key, kernel);
    return kernel;
  }

  /** A float64 host scratch of `length` elements (reused across calls of one shape). */
  private hostRows(slot: string, length: number): Float64Array {
    let buf = this.host.get(slot);
    if (buf === undefined || buf.length !== length) {
      buf = new Float64Array(length);
      this.host.set(slot, buf);
    }
    return buf;
  }

  /** `a`'s first `length` values as a Float32Array of exactly that length (gpu.js's input format). */
  private float32(slot: string, a: Arr, length: number): Float32Array {
    if (a instanceof Float32Array && a.length === length) return a;
    let buf = this.staging.get(slot);
    if (buf === undefined || buf.length !== length) {
      buf = new Float32Array(length);
      this.staging.set(slot, buf);
    }
    buf.set(a.subarray(0, length));
    return buf;
  }
}

/** out[o + j] ← alpha·row[j] (+ beta·out[o + j]) for j < width, in float64. */
function writeRow(row: ArrayLike<number>, out: Arr, o: number, width: number, alpha: number, beta: number): void {
  if (beta === 0) for (let j = 0; j < width; j++) out[o + j] = alpha * row[j];
  else for (let j = 0; j < width; j++) out[o + j] = alpha * row[j] + beta * out[o + j];
}

/**
 * Load gpu.js (dynamic import, so nothing else in the library depends on it) and create
 * the backend in the given mode. Throws when gpu.js is not installed or the mode is not
 * available here (in Node without the `gl` addon: 'cpu' and 'webasm'; 'gpu' selects
 * 'webasm' there).
 */
export async function createGpuBackend(options: GpuBackendOptions = {}): Promise<GpuBackend> {
  const requested: string = options.mode ?? 'gpu';
  if (requested === 'webgpu') throw new Error('createGpuBackend: gpu.js "webgpu" kernels are asynchronous only and cannot serve the synchronous Backend interface');
  const mode = requested === 'wasm' ? 'webasm' : requested;
  let lib: GpuJsModule;
  try {
    const mod = (await import('gpu.js')) as unknown as GpuJsModule & { default?: GpuJsModule };
    lib = typeof mod.GPU === 'function' ? mod : (mod.default as GpuJsModule);
  } catch (e) {
    throw new Error(`createGpuBackend: could not load gpu.js (an optional peer dependency: npm install gpu.js): ${e instanceof Error ? e.message : String(e)}`);
  }
  return new GpuBackend(lib, new lib.GPU({ mode }), options);
}
