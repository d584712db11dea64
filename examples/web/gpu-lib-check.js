// The library bundles as published (dist/browser/): the trace update on gpu.js WebGL2 vs. JS.
import { CELL_TYPES, JsBackend, Rng, createModel, setBackend, traceSize, traceUpdate } from '/lib/bp-lambda.js';
import { createGpuBackend } from '/lib/gpu-backend.js';

const report = { mode: '', cellTypes: [...CELL_TYPES], results: [], errors: [] };
try {
  const gpu = await createGpuBackend({ mode: 'webgl2' });
  report.mode = gpu.mode;
  const js = new JsBackend();
  const rng = new Rng(5);
  const rand = (len, s = 1) => Float64Array.from({ length: len }, () => rng.uniform(-s, s));
  const B = 2;
  const H = 3;
  // a dense Jacobian, and every registered cell's own Jacobian at a random state
  const jacobians = [['dense', { kind: 'dense', batch: B, n: 2 * H, data: rand(B * 4 * H * H, 0.5) }]];
  for (const cell of CELL_TYPES) {
    const model = createModel({ cell, inputSize: 2, hiddenSize: H, outputSize: 2, seed: 3 });
    const cache = model.cell.createCache(B);
    model.cell.forward(rand(B * 2), rand(B * model.stateSize), cache);
    jacobians.push([cell, model.cell.jacobian(cache)]);
  }
  for (const [kind, J] of jacobians) {
    const n = J.n;
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
    report.results.push({ kind, maxAbsDiff, maxAbsRef, ok: maxAbsDiff <= 1e-5 * Math.max(1, maxAbsRef) });
  }
  gpu.dispose();
} catch (e) {
  report.errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
}
report.pass = report.mode === 'webgl2' && report.errors.length === 0 && report.results.length === 1 + CELL_TYPES.length && report.results.every((r) => r.ok);
window.gpuLibReport = report;
document.getElementById('result').textContent = `${report.pass ? 'PASS' : 'FAIL'}: ${JSON.stringify(report)}`;
document.body.dataset.result = report.pass ? 'pass' : 'fail';
