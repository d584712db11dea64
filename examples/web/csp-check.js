// Runs the core bundle under the strict CSP of csp.html (served by serve.mjs) and reports
// on the page (#result, body[data-result] = pass | fail) and in window.cspReport.
const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }));
const log = (line) => {
  document.getElementById('log').textContent += `${line}\n`;
};
const report = { evalBlocked: false, functionBlocked: false, trained: false, steps: 0, losses: [], alignment: null, violations, errors: [] };
const settle = () => new Promise((r) => setTimeout(r, 50));

// 1. the page really forbids code generation from strings
try {
  (0, eval)('1 + 1');
} catch (e) {
  report.evalBlocked = e instanceof EvalError;
}
try {
  new Function('return 1');
} catch (e) {
  report.functionBlocked = e instanceof EvalError;
}
log(`eval blocked: ${report.evalBlocked}; new Function blocked: ${report.functionBlocked}`);
await settle();
const probeViolations = violations.length;

// 2. the core bundle loads and trains
try {
  const lib = await import('/lib/bp-lambda.js');
  const { Adam, CELL_TYPES, Rng, createLearner, createModel, gradientAlignment, trainSequence } = lib;
  const rng = new Rng(3);
  const T = 6;
  const B = 4;
  const batch = {
    T, B, inputSize: 3, outputSize: 2, loss: 'mse',
    x: Array.from({ length: T }, () => Float64Array.from({ length: B * 3 }, () => rng.uniform(-1, 1))),
    y: Array.from({ length: T }, (_, t) => (t === T - 1 ? Float64Array.from({ length: B * 2 }, () => rng.uniform(-1, 1)) : null)),
  };
  for (const cell of CELL_TYPES) {
    const model = createModel({ cell, inputSize: 3, hiddenSize: 4, outputSize: 2, seed: 1 });
    const learner = createLearner('bp-lambda', model, { loss: 'mse', lambda: 0.5, gamma: 0.9, regime: 'per-step', optimizer: new Adam({ lr: 0.01 }) });
    const W0 = Float64Array.from(model.synthesiser.params.W.data);
    const losses = [];
    for (let i = 0; i < 5; i++) {
      const r = trainSequence(learner, batch);
      losses.push(r.loss);
      report.steps += r.steps;
    }
    report.losses.push(...losses);
    if (!losses.every(Number.isFinite) || !(losses.at(-1) < losses[0])) throw new Error(`${cell}: the loss did not decrease: ${losses.join(', ')}`);
    const changed = model.synthesiser.params.W.data.some((v, i) => v !== W0[i]);
    if (!changed) throw new Error(`${cell}: the synthesiser did not change`);
    report.alignment = gradientAlignment(model, batch).mean;
    log(`${cell}: 5 sequences of BP(λ), losses ${report.losses.slice(-5).map((l) => l.toFixed(4)).join(', ')}`);
  }
  report.trained = true;
} catch (e) {
  report.errors.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  log(`error: ${report.errors.at(-1)}`);
}
await settle();
report.bundleViolations = violations.length - probeViolations;
const pass = report.evalBlocked && report.functionBlocked && report.trained && report.bundleViolations === 0 && report.errors.length === 0;
report.pass = pass;
window.cspReport = report;
document.getElementById('result').textContent = pass
  ? `PASS: eval is blocked here, and the core bundle trained ${report.steps} BP(λ) steps (loss ${report.losses[0].toFixed(4)} → ${report.losses.at(-1).toFixed(4)}) with no CSP violation.`
  : `FAIL: ${JSON.stringify(report)}`;
document.body.dataset.result = pass ? 'pass' : 'fail';
