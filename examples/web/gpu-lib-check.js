// The library bundles as published (dist/browser/): the trace update on gpu.js WebGL2 vs. JS.
import { JsBackend, Rng, setBackend, traceSize, traceUpdate } from '/lib/bp-lambda.js';
import { createGpuBackend } from '/lib/gpu-backend.js';

const report = { mode: '', results: [], errors: [] };
try {
  const gpu = await createGpuBackend({ mode: 'webgl2' });
  report.mode = gpu.mode;
  const js = new JsBackend();
  const rng = new Rng(5);
  const rand = (len, s = 1) => Float64Array.from({ length: len }, () => rng.uniform(-s, s));
  const B = 2;
  const n = 6;
  const H = n / 2;
  const jacobians = [
    { kind: 'diag-shared', batch: B, n, d: rand(B * n), W: rand(n * n, 0.5) },
    { kind: 'dense', batch: B, n, data: rand(B * n * n, 0.5) },
    { kind: 'lstm', batch: B, n, A: rand(B * H * H, 0.5), C: rand(B * H * H, 0.5), D1: rand(B * H), D2: rand(B * H) },
  ];
  for (const J of jacobians) {
    const len = B * traceSize(n);
    const E = rand(len);
    const s = rand(B * n);
    const ref = new Float64Array(len);
    const out = new Float64Array(len);
    setBackend(js);
    traceUpdate(J, E, ref, s, 0.8);
    setBackend(gpu);
    traceUpdate(J, E, out, s, 0.8);
    setBackend(js);
    let maxAbsDiff = 0;
    let maxAbsRef = 0;
    for (let i = 0; i < len; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out[i] - ref[i]));
      maxAbsRef = Math.max(maxAbsRef, Math.abs(ref[i]));
    }
    report.results.push({ kind: J.kind, maxAbsDiff, maxAbsRef, ok: maxAbsDiff <= 1e-5 * Math.max(1, maxAbsRef) });
  }
  gpu.dispose();
} catch (e) {
  report.errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
}
report.pass = report.mode === 'webgl2' && report.errors.length === 0 && report.results.length === 3 && report.results.every((r) => r.ok);
window.gpuLibReport = report;
document.getElementById('result').textContent = `${report.pass ? 'PASS' : 'FAIL'}: ${JSON.stringify(report)}`;
document.body.dataset.result = report.pass ? 'pass' : 'fail';
