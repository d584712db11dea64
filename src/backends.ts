/**
 * Choosing a backend with one option (entry point `bp-lambda/backends`):
 *
 *   await useBackend('wasm');                  // WebAssembly SIMD kernels (pure-JS fallback)
 *   await useBackend('workers', { workers: 2 }); // threads on shared memory (wasm/JS fallback)
 *   await useBackend('gpu');                   // gpu.js, imported only now: the best mode here
 *   await useBackend('gpu', { mode: 'webgl2' }); // browsers only (WebGL2)
 *   await useBackend('js');                    // the default pure-JS kernels
 *
 * Each backend module is imported lazily, so the core never loads gpu.js, worker_threads or
 * WebAssembly unless asked. The previous backend is returned so it can be restored; a backend
 * that holds threads or GPU resources has a `dispose()`.
 *
 * 'gpu' without a mode takes what gpu.js finds: WebGL2 or WebGL in a browser, headless-gl in Node
 * with the optional `gl` addon, else its WebAssembly kernels on the CPU (mode "webasm": in Node
 * without `gl`, always). That CPU fallback works, but is slower than 'wasm' and only float32, so
 * it is announced once with console.warn; the backend's `mode` says which one runs. A mode
 * asked for by name that this runtime lacks ('webgl2' in Node, say) is an error that says so.
 *
 * Where the runtime cannot run the backend asked for (no WebAssembly SIMD; no shared memory,
 * Atomics.wait or worker threads), 'wasm' and 'workers' fall back to the next one that runs
 * (workers → wasm → js, same bits) and say so in the returned backend's `fallback`; pass
 * `{ fallback: false }` for an error.
 */
import type { Backend } from './tensor/backend.ts';
import { JsBackend } from './tensor/js-backend.ts';
import { getBackend, setBackend } from './tensor/ops.ts';
import { checkInt, checkNonNegative, checkOneOf, checkOptions, checkPositive, describe } from './validate.ts';

export type BackendChoice = 'js' | 'wasm' | 'workers' | 'gpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['js', 'wasm', 'workers', 'gpu'];

type OptionCheck = (v: unknown, name: string) => unknown;
const oneOf =
  (...allowed: string[]): OptionCheck =>
  (v, name) =>
    checkOneOf(v, allowed, name);
const FLOAT32 = oneOf('f64x2', 'f32x4');

/** The options each backend's factory takes, with their checks (an unknown key is an error). */
const BACKEND_OPTIONS: Record<BackendChoice, Record<string, OptionCheck>> = {
  js: {},
  wasm: { float32: FLOAT32, fallback: (v, n) => typeof v === 'boolean' || fail(n, 'a boolean', v) },
  workers: {
    workers: (v, n) => checkInt(v, n, 1),
    kernels: oneOf('wasm', 'js'),
    float32: FLOAT32,
    minParallelFlops: checkNonNegative,
    stallTimeoutMs: checkPositive,
    spawn: (v, n) => typeof v === 'function' || fail(n, 'a function (index) => WorkerPort', v),
    fallback: (v, n) => typeof v === 'boolean' || fail(n, 'a boolean', v),
  },
  gpu: { mode: oneOf('gpu', 'webgl2', 'webgl', 'headlessgl', 'webasm', 'wasm', 'cpu'), maxKernels: (v, n) => checkInt(v, n, 1) },
};

function fail(name: string, expected: string, v: unknown): never {
  throw new Error(`${name}: expected ${expected}, received ${describe(v)}`);
}

/** Checks `options` against the backend's option table: unknown keys and bad values throw, naming them. */
function checkBackendOptions(name: BackendChoice, options: unknown): Record<string, unknown> {
  const table = BACKEND_OPTIONS[name];
  const where = `createBackend: ${name}`;
  if (name === 'js' && options && typeof options === 'object' && Object.keys(options).length) throw new Error(`${where}: takes no options, received ${Object.keys(options).join(', ')}`);
  checkOptions(options, Object.keys(table), where);
  const opts = (options ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(opts)) if (v !== undefined) table[k](v, `${where}: ${k}`);
  return opts;
}

/** Creates a backend by name, importing its module on demand. Options go to its factory, checked first. */
export async function createBackend(name: BackendChoice, options: Record<string, unknown> = {}): Promise<Backend> {
  checkOneOf(name, BACKEND_CHOICES, 'createBackend: backend');
  options = checkBackendOptions(name, options);
  switch (name) {
    case 'js':
      return new JsBackend();
    case 'wasm': {
      const { createWasmBackend } = await import('./tensor/wasm-backend.ts');
      return createWasmBackend(options);
    }
    case 'workers': {
      const { fallback, ...rest } = options;
      const { createWorkersBackend, ThreadsUnavailableError } = await import('./tensor/workers-backend.ts');
      try {
        return await createWorkersBackend(rest);
      } catch (e) {
        if (fallback === false || !(e instanceof ThreadsUnavailableError)) throw e;
        const { createWasmBackend } = await import('./tensor/wasm-backend.ts');
        const float32 = rest.float32 === 'f32x4' ? { float32: 'f32x4' as const } : {};
        return createWasmBackend(float32, `workers → wasm: ${e.message}`);
      }
    }
    case 'gpu': {
      const { createGpuBackend } = await import('./tensor/gpu-backend.ts');
      let backend: Awaited<ReturnType<typeof createGpuBackend>>;
      try {
        backend = await createGpuBackend(options);
      } catch (e) {
        throw gpuModeError(options.mode, e);
      }
      if (GPU_CPU_MODES.includes(backend.mode)) warnCpuFallback(backend.mode, options.mode);
      return backend;
    }
  }
}

/** gpu.js modes that compute on the CPU. */
const GPU_CPU_MODES: readonly string[] = ['webasm', 'cpu'];
/** gpu.js modes that need a GL context: a browser's (webgl2, webgl) or the `gl` addon's (headlessgl). */
const GPU_GL_MODES: readonly string[] = ['webgl2', 'webgl', 'headlessgl'];
let cpuFallbackAnnounced = false;

/** Says once per process that 'gpu' runs on the CPU here (unless the CPU mode was asked for by name). */
function warnCpuFallback(mode: string, requested: unknown): void {
  if (cpuFallbackAnnounced || (requested !== undefined && requested !== 'gpu')) return;
  cpuFallbackAnnounced = true;
  console.warn(
    `bp-lambda: useBackend('gpu'): no WebGL2, WebGL or headless-gl context in this runtime, so gpu.js runs its kernels on the CPU (mode "${mode}", float32). ` +
      "This is a CPU fallback, slower than useBackend('wasm') (float64, bit-identical to 'js'). In a browser with WebGL2, 'gpu' runs on the GPU.",
  );
}

/** A plain error for a named gpu.js mode this runtime does not have (gpu.js's own says "A requested mode of … and is not supported"). */
function gpuModeError(mode: unknown, e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  if (typeof mode === 'string' && GPU_GL_MODES.includes(mode) && /not supported/.test(message)) {
    const where = mode === 'headlessgl' ? 'Node with the `gl` addon installed and built' : 'a browser (or a worker with OffscreenCanvas) with WebGL';
    return new Error(
      `createBackend: gpu: mode "${mode}" is not available in this runtime: it needs ${where}. ` +
        `Use mode "gpu" to take what exists here (on the CPU: "webasm"), or useBackend('wasm'), the fastest CPU backend. (gpu.js: ${message})`,
    );
  }
  return e instanceof Error ? e : new Error(message);
}

/** Makes the named backend the active one for every model and learner; returns the previous one. */
export async function useBackend(name: BackendChoice, options: Record<string, unknown> = {}): Promise<Backend> {
  const previous = getBackend();
  setBackend(await createBackend(name, options));
  return previous;
}
