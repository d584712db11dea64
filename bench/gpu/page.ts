/**
 * The gpu.js backend on a real GPU: a page that headless Chromium loads from a file and that
 * runs, synchronously while the page loads, the trace kernel (jacobianMatmul with
 * cols = n·(n+1)) and a square gemm on the gpu.js WebGL2 backend and on the pure-JS backend
 * (float64, the reference) in the same page, checks that they agree (float32 tolerance), and
 * writes one JSON report into the page and to the console. Built into one HTML file by
 * bench/gpu/build-page.mjs; run by bench/gpu/run-device.sh (see bench/gpu/README.md).
 */
import * as gpujs from 'gpu.js';
import { GpuBackend } from '../../src/tensor/gpu-backend.ts';
import { JsBackend } from '../../src/tensor/js-backend.ts';
import type { Backend } from '../../src/tensor/backend.ts';
import type { Jacobian } from '../../src/tensor/jacobian.ts';
import { createModel } from '../../src/model/model.ts';
import { Rng } from '../../src/rng.ts';

interface Row {
  what: string;
  gpuMs: number;
  jsMs: number;
  maxRelErr: number;
}

function renderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return 'no WebGL2 context';
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return ext ? `${gl.getParameter(ext.UNMASKED_VENDOR_WEBGL)} / ${gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)}` : String(gl.getParameter(gl.RENDERER));
}

/** Median wall time of `reps` calls, after one warm-up call (which compiles a GPU kernel) when `warm`. */
function time(fn: () => void, reps: number, warm = true): number {
  if (warm) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

function relErr(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / (scale || 1);
}

/** An LSTM's structured Jacobian at a random state (n = 2H), as training produces it. */
function lstmJacobian(H: number, B: number, rng: Rng): Jacobian {
  const model = createModel({ cell: 'lstm', inputSize: 8, hiddenSize: H, outputSize: 2, seed: 3 });
  const cache = model.cell.createCache(B);
  model.cell.forward(Float64Array.from({ length: B * 8 }, () => rng.normal()), Float64Array.from({ length: B * 2 * H }, () => rng.uniform(-0.9, 0.9)), cache);
  return model.cell.jacobian(cache);
}

function run(): unknown {
  const lib = ((gpujs as unknown as { GPU?: unknown }).GPU ? gpujs : (gpujs as unknown as { default: typeof gpujs }).default) as unknown as ConstructorParameters<typeof GpuBackend>[0];
  const gpu = new GpuBackend(lib, new lib.GPU({ mode: 'webgl2' }), {});
  const js = new JsBackend();
  const rng = new Rng(1);
  const rows: Row[] = [];
  const trace = (what: string, J: Jacobian, reps: number) => {
    const n = J.n;
    const cols = n * (n + 1);
    const X = Float64Array.from({ length: J.batch * n * cols }, () => rng.uniform(-1, 1));
    const Yg = new Float64Array(X.length);
    const Yj = new Float64Array(X.length);
    const call = (b: Backend, Y: Float64Array) => () => b.jacobianMatmul(J, X, Y, cols, 0.9, 0);
    const gpuMs = time(call(gpu, Yg), reps);
    const jsMs = time(call(js, Yj), 1, false);
    rows.push({ what, gpuMs, jsMs, maxRelErr: relErr(Yg, Yj) });
  };
  // ?quick: small sizes (to check the page itself on a software renderer)
  const quick = location.search.includes('quick');
  for (const [H, B] of quick ? [[8, 4]] : [
    [30, 50],
    [64, 16],
    [100, 10],
  ]) {
    trace(`trace kernel, LSTM Jacobian H=${H} (n=${2 * H}), B=${B}, cols=n(n+1)`, lstmJacobian(H, B, rng), 3);
  }
  for (const [n, B] of quick ? [[12, 3]] : [
    [60, 50],
    [128, 16],
  ]) {
    trace(`trace kernel, dense Jacobian n=${n}, B=${B}`, { kind: 'dense', batch: B, n, data: Float64Array.from({ length: B * n * n }, () => rng.uniform(-0.2, 0.2)) }, 3);
  }
  const N = quick ? 64 : 1024;
  const A = Float64Array.from({ length: N * N }, () => rng.uniform(-1, 1));
  const Bm = Float64Array.from({ length: N * N }, () => rng.uniform(-1, 1));
  const Cg = new Float64Array(N * N);
  const Cj = new Float64Array(N * N);
  rows.push({
    what: `gemm ${N}×${N}×${N}`,
    gpuMs: time(() => gpu.gemm(false, false, N, N, N, 1, A, Bm, 0, Cg), 3),
    jsMs: time(() => js.gemm(false, false, N, N, N, 1, A, Bm, 0, Cj), 1, false),
    maxRelErr: relErr(Cg, Cj),
  });
  const report = { renderer: renderer(), gpuMode: gpu.mode, userAgent: navigator.userAgent, rows };
  gpu.dispose();
  return report;
}

let text: string;
try {
  text = JSON.stringify(run());
} catch (e) {
  text = JSON.stringify({ error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e), renderer: renderer() });
}
console.log(`BPL-GPU-REPORT ${text}`);
const pre = document.createElement('pre');
pre.id = 'report';
pre.textContent = text;
document.body.appendChild(pre);
