/**
 * The demo page's main thread: reads and validates the settings (with the library's own
 * checks, so its error messages reach the user), starts one training worker per λ, and draws
 * the live plots as inline SVG.
 */
import { Adam, CELL_TYPES, cellVariants, createLearner, createModel, JsBackend, Rng, setBackend, traceSize, traceUpdate, type Arr, type CellVariant, type Jacobian, type ModelSpec } from '../../src/index.ts';
import { createToyTask } from '../../src/tasks/toy.ts';
import type { BackendChoice, FromWorker, ProgressPoint, RunConfig } from './protocol.ts';

const COLORS = ['#c0392b', '#e67e22', '#2471a3', '#27ae60', '#8e44ad', '#7f8c8d'];
/** Largest state size n: each trace holds about n³ values per example. */
const MAX_STATE = 64;
/** The cells offered, every registered one under every choice of its options; the paper's toy uses the linear RNN. */
const CELL_CHOICES = cellVariants();
const DEFAULT_CELL = 'rnn-identity';
const MAX_T = 1000;
const BATCH = 10;
const SEED = 1;

interface RunState {
  lambda: number;
  cell: string;
  color: string;
  worker: Worker;
  points: ProgressPoint[];
  seq: number;
  msPerSequence: number;
  backend: string;
  done: boolean;
  error?: string;
}

type Phase = 'idle' | 'running' | 'paused' | 'done' | 'error';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
};

const form = $<HTMLFormElement>('controls');
const startButton = $<HTMLButtonElement>('start');
const pauseButton = $<HTMLButtonElement>('pause');
const resetButton = $<HTMLButtonElement>('reset');
const gpuButton = $<HTMLButtonElement>('gpucheck');
const statusEl = $('status');
const backendSelect = $<HTMLSelectElement>('backend');

const FIELDS = ['lambdas', 'gamma', 'T', 'cell', 'hidden', 'lr', 'rnnLr', 'K', 'max', 'backend'] as const;
type Field = (typeof FIELDS)[number];

let phase: Phase = 'idle';
let runs: RunState[] = [];
let runKey = '';
let maxSequences = 0;
let drawPending = false;

// ---------------------------------------------------------------- settings

/** Fills the cell choice from the registry (value: the variant's name, e.g. "rnn-identity", "gru"). */
function fillCellChoices(): void {
  const select = $<HTMLSelectElement>('cell');
  for (const v of CELL_CHOICES) {
    const opt = document.createElement('option');
    opt.value = v.name;
    const options = Object.values(v.options);
    opt.textContent = options.length ? `${v.type} (${options.join(', ')})` : v.type;
    select.append(opt);
  }
  select.value = DEFAULT_CELL;
}

/** The model spec of a cell choice at the given sizes. */
function modelSpec(cell: CellVariant, hiddenSize: number): ModelSpec {
  return { cell: cell.type, ...cell.options, inputSize: 2, hiddenSize, outputSize: 2, seed: 0 } as ModelSpec;
}

/** Field values from the URL (?lambdas=0,1&T=20&autostart=1) override the defaults. */
function applyUrlParams(): boolean {
  const params = new URLSearchParams(location.search);
  for (const f of FIELDS) {
    const v = params.get(f);
    if (v !== null) ($(f) as HTMLInputElement | HTMLSelectElement).value = v;
  }
  return params.get('autostart') === '1';
}

function fieldValue(f: Field): string {
  return ($(f) as HTMLInputElement | HTMLSelectElement).value.trim();
}

function parseNumber(text: string, what: string): number {
  if (text === '') throw new Error(`${what}: expected a number, received nothing`);
  const v = Number(text);
  if (!Number.isFinite(v)) throw new Error(`${what}: expected a number, received "${text}"`);
  return v;
}

/** Runs `check`; on failure records its message against the field. */
function checked<T>(errors: Map<Field, string>, field: Field, check: () => T): T | undefined {
  try {
    return check();
  } catch (e) {
    errors.set(field, e instanceof Error ? e.message : String(e));
    return undefined;
  }
}

/**
 * Reads the form into one RunConfig per λ. Each value goes through the library's own
 * constructors (learner, model, task, optimizer), so the messages shown are the library's.
 */
function readConfigs(): { configs: RunConfig[]; errors: Map<Field, string> } {
  const errors = new Map<Field, string>();
  const probe = () => createModel(modelSpec(CELL_CHOICES[0], 2));
  const lambdas = checked(errors, 'lambdas', () => {
    const parts = fieldValue('lambdas').split(',').map((s) => s.trim());
    if (parts.length === 0 || (parts.length === 1 && parts[0] === '')) throw new Error('λ values: expected one to six numbers in [0, 1], separated by commas');
    if (parts.length > 6) throw new Error(`λ values: at most 6 runs side by side, received ${parts.length}`);
    return parts.map((p) => {
      const lambda = parseNumber(p, 'λ');
      createLearner('bp-lambda', probe(), { loss: 'mse', lambda, gamma: 1 });
      return lambda;
    });
  });
  const gamma = checked(errors, 'gamma', () => {
    const gamma = parseNumber(fieldValue('gamma'), 'γ');
    createLearner('bp-lambda', probe(), { loss: 'mse', lambda: 0, gamma });
    return gamma;
  });
  const K = checked(errors, 'K', () => createToyTask({ seed: SEED, K: parseNumber(fieldValue('K'), 'K') }).K);
  const T = checked(errors, 'T', () => {
    const T = parseNumber(fieldValue('T'), 'T');
    createToyTask({ seed: SEED, K: 1 }).batch(new Rng(0), 1, T);
    if (T > MAX_T) throw new Error(`T: this page allows at most ${MAX_T} steps, received ${T}`);
    return T;
  });
  const cell = checked(errors, 'cell', () => {
    const name = fieldValue('cell');
    const v = CELL_CHOICES.find((c) => c.name === name);
    if (!v) throw new Error(`cell: expected one of ${CELL_CHOICES.map((c) => c.name).join(', ')}, received "${name}"`);
    return v;
  });
  const hidden = checked(errors, 'hidden', () => {
    const hidden = parseNumber(fieldValue('hidden'), 'hidden units');
    const n = createModel(modelSpec(cell ?? CELL_CHOICES[0], hidden)).stateSize;
    if (n > MAX_STATE) throw new Error(`hidden units: this page allows a state of at most ${MAX_STATE} values (each trace holds n³ per example); ${hidden} hidden units give the ${cell?.type} cell ${n}`);
    return hidden;
  });
  const lr = checked(errors, 'lr', () => {
    const lr = parseNumber(fieldValue('lr'), 'synthesiser learning rate');
    new Adam({ lr });
    return lr;
  });
  const rnnLr = checked(errors, 'rnnLr', () => {
    const rnnLr = parseNumber(fieldValue('rnnLr'), 'cell learning rate');
    new Adam({ lr: rnnLr });
    return rnnLr;
  });
  const max = checked(errors, 'max', () => {
    const max = parseNumber(fieldValue('max'), 'sequences');
    if (!Number.isInteger(max) || max < 1) throw new Error(`sequences: expected an integer ≥ 1, received ${max}`);
    return max;
  });
  const backend = checked(errors, 'backend', () => {
    const b = fieldValue('backend');
    if (b !== 'js' && b !== 'webgl2') throw new Error(`backend: expected "js" or "webgl2", received "${b}"`);
    if (b === 'webgl2' && !webgl2Available()) throw new Error('backend: WebGL2 is not available in this browser; choose JavaScript');
    return b as BackendChoice;
  });
  if (errors.size || lambdas === undefined || cell === undefined) return { configs: [], errors };
  const evalEvery = Math.max(1, Math.round(max! / 150));
  const configs = lambdas.map((lambda) => ({ lambda, gamma: gamma!, T: T!, cell: { type: cell.type, options: cell.options, name: cell.name }, hidden: hidden!, K: K!, batch: BATCH, lr: lr!, rnnLr: rnnLr!, backend: backend!, maxSequences: max!, evalEvery, seed: SEED }));
  return { configs, errors };
}

function showErrors(errors: Map<Field, string>): void {
  let first: HTMLElement | undefined;
  for (const f of FIELDS) {
    const input = $(f);
    const slot = document.getElementById(`${f}-error`);
    const msg = errors.get(f);
    if (msg) {
      input.setAttribute('aria-invalid', 'true');
      first ??= input;
    } else input.removeAttribute('aria-invalid');
    if (slot) slot.textContent = msg ?? '';
  }
  first?.focus();
}

let webgl2: boolean | undefined;
function webgl2Available(): boolean {
  if (webgl2 === undefined) {
    try {
      webgl2 = !!document.createElement('canvas').getContext('webgl2');
    } catch {
      webgl2 = false;
    }
  }
  return webgl2;
}

// ---------------------------------------------------------------- runs

function setPhase(p: Phase, text: string): void {
  phase = p;
  statusEl.textContent = text;
  startButton.disabled = p === 'running';
  pauseButton.disabled = p !== 'running';
  startButton.textContent = p === 'paused' ? 'Resume' : 'Start';
}

function stopWorkers(): void {
  for (const r of runs) r.worker.terminate();
  runs = [];
}

function start(): void {
  const { configs, errors } = readConfigs();
  showErrors(errors);
  if (errors.size) {
    setPhase(phase === 'running' ? 'running' : 'error', `Cannot start: ${[...errors.values()].join('; ')}`);
    return;
  }
  const key = JSON.stringify(configs);
  if (phase === 'paused' && key === runKey) {
    for (const r of runs) if (!r.done && !r.error) r.worker.postMessage({ type: 'start' });
    setPhase('running', runningText());
    return;
  }
  stopWorkers();
  runKey = key;
  maxSequences = configs[0].maxSequences;
  runs = configs.map((config, i) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `bp-lambda λ=${config.lambda}` });
    const run: RunState = { lambda: config.lambda, cell: config.cell.name, color: COLORS[i % COLORS.length], worker, points: [], seq: 0, msPerSequence: 0, backend: config.backend, done: false };
    worker.onmessage = (e: MessageEvent<FromWorker>) => onWorkerMessage(run, e.data);
    worker.onerror = (e) => onWorkerMessage(run, { type: 'error', lambda: run.lambda, message: e.message || 'the worker failed to load' });
    worker.postMessage({ type: 'init', config });
    return run;
  });
  setPhase('running', `Starting ${runs.length} worker${runs.length > 1 ? 's' : ''}…`);
  scheduleDraw();
}

function runningText(): string {
  const seq = Math.min(...runs.map((r) => r.seq));
  return `Training online: λ = ${runs.map((r) => r.lambda).join(', ')} — ${seq} / ${maxSequences} sequences`;
}

function onWorkerMessage(run: RunState, m: FromWorker): void {
  if (!runs.includes(run)) return;
  switch (m.type) {
    case 'ready':
      run.backend = m.backend;
      if (phase === 'running') run.worker.postMessage({ type: 'start' });
      break;
    case 'progress':
      run.points.push(...m.points);
      run.seq = m.seq;
      run.msPerSequence = m.msPerSequence;
      if (phase === 'running') statusEl.textContent = runningText();
      break;
    case 'paused':
      run.seq = m.seq;
      break;
    case 'done':
      run.done = true;
      run.seq = m.seq;
      if (runs.every((r) => r.done || r.error)) {
        const last = runs.map((r) => `λ = ${r.lambda}: ${fmt(r.points[r.points.length - 1]?.alignment)}`).join(', ');
        setPhase(runs.some((r) => r.error) ? 'error' : 'done', `Done after ${maxSequences} sequences. Alignment ${last}.`);
      }
      break;
    case 'error':
      run.error = m.message;
      for (const r of runs) if (r !== run) r.worker.postMessage({ type: 'pause' });
      setPhase('error', `λ = ${run.lambda}: ${m.message}`);
      break;
  }
  scheduleDraw();
}

function pause(): void {
  if (phase !== 'running') return;
  for (const r of runs) r.worker.postMessage({ type: 'pause' });
  setPhase('paused', `Paused at ${Math.min(...runs.map((r) => r.seq))} / ${maxSequences} sequences. Resume continues; changed settings start over.`);
}

function reset(): void {
  stopWorkers();
  runKey = '';
  showErrors(new Map());
  setPhase('idle', 'Reset. Press Start.');
  scheduleDraw();
}

// ---------------------------------------------------------------- drawing

function fmt(v: number | undefined, digits = 3): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    draw();
  });
}

interface Series {
  label: string;
  color: string;
  xy: [number, number][];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/** A line chart as an SVG string: axes, 5 ticks each, one polyline per series, a legend. */
function svgPlot(series: Series[], opts: { xMax: number; yMin?: number; yMax?: number; yLabel: string; title: string }): string {
  const W = 460;
  const H = 260;
  const m = { l: 58, r: 12, t: 12, b: 34 };
  const ys = series.flatMap((s) => s.xy.map((p) => p[1])).filter(Number.isFinite);
  let yMin = opts.yMin ?? (ys.length ? Math.min(...ys) : 0);
  // headroom above the data for the legend
  let yMax = opts.yMax ?? (ys.length ? yMin + (Math.max(...ys) - yMin) * 1.3 : 1);
  if (yMax - yMin < 1e-9) {
    yMin -= 0.5;
    yMax += 0.5;
  }
  const xMax = Math.max(1, opts.xMax);
  const X = (x: number) => m.l + (x / xMax) * (W - m.l - m.r);
  const Y = (y: number) => H - m.b - ((y - yMin) / (yMax - yMin)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(opts.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="#fff" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const yv = yMin + ((yMax - yMin) * i) / 4;
    const xv = (xMax * i) / 4;
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${Y(yv)}" y2="${Y(yv)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${Y(yv) + 4}" text-anchor="end" font-size="11">${Number(yv.toPrecision(3))}</text>`);
    parts.push(`<text x="${X(xv)}" y="${H - m.b + 15}" text-anchor="middle" font-size="11">${Math.round(xv)}</text>`);
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 4}" text-anchor="middle" font-size="11">training sequences</text>`);
  parts.push(`<text x="14" y="${(m.t + H - m.b) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 14 ${(m.t + H - m.b) / 2})">${esc(opts.yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.xy
      .filter((p) => Number.isFinite(p[1]))
      .map(([x, y]) => `${X(x).toFixed(1)},${Y(Math.min(yMax, Math.max(yMin, y))).toFixed(1)}`)
      .join(' ');
    if (pts) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
    const ly = m.t + 14 + i * 15;
    parts.push(`<line x1="${W - m.r - 78}" x2="${W - m.r - 62}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${W - m.r - 58}" y="${ly}" font-size="12">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function draw(): void {
  const xMax = maxSequences || Number(fieldValue('max')) || 1;
  const alignment: Series[] = runs.map((r) => ({ label: `λ = ${r.lambda}`, color: r.color, xy: r.points.map((p) => [p.seq, p.alignment]) }));
  const loss: Series[] = runs.map((r) => ({ label: `λ = ${r.lambda}`, color: r.color, xy: r.points.filter((p) => Number.isFinite(p.loss)).map((p) => [p.seq, p.loss]) }));
  $('plot-alignment').innerHTML = svgPlot(alignment, { xMax, yMin: -0.2, yMax: 1, yLabel: 'alignment (cosine)', title: 'Alignment per λ over training' });
  $('plot-loss').innerHTML = svgPlot(loss, { xMax, yMin: 0, yLabel: 'loss (MSE)', title: 'Training loss per λ over training' });
  const rows = runs.map((r) => {
    const p = r.points[r.points.length - 1];
    const state = r.error ? ` (error)` : r.done ? '' : '';
    return `<tr><th scope="row"><span class="swatch" style="background:${r.color}"></span>${r.lambda}</th><td>${r.seq}${state}</td><td>${fmt(p?.alignment)}</td><td>${fmt(p?.whole)}</td><td>${fmt(p?.loss, 4)}</td><td>${fmt(r.msPerSequence, 1)}</td><td>${esc(r.backend)}</td></tr>`;
  });
  $('summary').querySelector('tbody')!.innerHTML = rows.join('');
}

// ---------------------------------------------------------------- GPU kernel check

interface KernelCheck {
  kind: string;
  maxAbsDiff: number;
  maxAbsRef: number;
  ok: boolean;
}

/**
 * Runs the trace update e_t = decay·J_t·e_{t−1} + ∂g(s_t)/∂θ (src/kernels/trace.ts) once with
 * the JS backend (float64) and once with the gpu.js backend in WebGL2 mode, for a dense
 * Jacobian and for the Jacobian of every registered cell, and compares them (float32 tolerance).
 */
async function gpuCheck(): Promise<{ mode: string; results: KernelCheck[]; ok: boolean }> {
  const { createGpuBackend } = await import('../../src/tensor/gpu-backend.ts');
  const gpu = await createGpuBackend({ mode: 'webgl2' });
  const js = new JsBackend();
  const rng = new Rng(7);
  const B = 3;
  const H = 4;
  const rand = (len: number, scale = 1) => Float64Array.from({ length: len }, () => rng.uniform(-scale, scale));
  // a dense Jacobian, and every registered cell's own Jacobian at a random state
  const jacobians: [string, Jacobian][] = [['dense', { kind: 'dense', batch: B, n: 2 * H, data: rand(B * 4 * H * H, 0.5) }]];
  for (const cell of CELL_TYPES) {
    const model = createModel({ cell, inputSize: 3, hiddenSize: H, outputSize: 2, seed: 5 });
    const cache = model.cell.createCache(B);
    model.cell.forward(rand(B * 3), rand(B * model.stateSize), cache);
    jacobians.push([cell, model.cell.jacobian(cache)]);
  }
  const results: KernelCheck[] = [];
  try {
    for (const [kind, J] of jacobians) {
      const n = J.n;
      const len = B * traceSize(n);
      const E_prev = rand(len);
      const s_t = rand(B * n);
      const ref: Arr = new Float64Array(len);
      const out: Arr = new Float64Array(len);
      setBackend(js);
      traceUpdate(J, E_prev, ref, s_t, 0.9);
      setBackend(gpu);
      traceUpdate(J, E_prev, out, s_t, 0.9);
      let maxAbsDiff = 0;
      let maxAbsRef = 0;
      for (let i = 0; i < len; i++) {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out[i] - ref[i]));
        maxAbsRef = Math.max(maxAbsRef, Math.abs(ref[i]));
      }
      results.push({ kind, maxAbsDiff, maxAbsRef, ok: maxAbsDiff <= 1e-5 * Math.max(1, maxAbsRef) });
    }
  } finally {
    setBackend(js);
    gpu.dispose();
  }
  return { mode: gpu.mode, results, ok: gpu.mode === 'webgl2' && results.every((r) => r.ok) };
}

async function onGpuCheck(): Promise<void> {
  const out = $('gpu-result');
  out.textContent = 'Checking the gpu.js trace kernel against the JavaScript one…';
  try {
    const r = await gpuCheck();
    const detail = r.results.map((c) => `${c.kind}: max |Δ| = ${c.maxAbsDiff.toExponential(2)}`).join(', ');
    out.textContent = `${r.ok ? 'GPU trace kernel matches' : 'GPU trace kernel MISMATCH'} (gpu.js mode ${r.mode}; ${detail}).`;
  } catch (e) {
    out.textContent = `GPU check failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

// ---------------------------------------------------------------- wiring

form.addEventListener('submit', (e) => {
  e.preventDefault();
  start();
});
pauseButton.addEventListener('click', pause);
resetButton.addEventListener('click', reset);
gpuButton.addEventListener('click', () => void onGpuCheck());

if (!webgl2Available()) {
  const opt = backendSelect.querySelector<HTMLOptionElement>('option[value="webgl2"]');
  if (opt) opt.disabled = true;
  $('backend-note').textContent = 'WebGL2 is not available in this browser: the gpu.js backend is disabled.';
  gpuButton.disabled = true;
}

declare global {
  interface Window {
    bpLambdaDemo: {
      state(): { phase: Phase; status: string; runs: { lambda: number; cell: string; seq: number; done: boolean; error?: string; backend: string; points: ProgressPoint[] }[] };
      gpuCheck: typeof gpuCheck;
      /** the registered cell types (the GPU check covers each) */
      cellTypes: readonly string[];
    };
  }
}

window.bpLambdaDemo = {
  state: () => ({
    phase,
    status: statusEl.textContent ?? '',
    runs: runs.map((r) => ({ lambda: r.lambda, cell: r.cell, seq: r.seq, done: r.done, error: r.error, backend: r.backend, points: r.points })),
  }),
  gpuCheck,
  cellTypes: CELL_TYPES,
};

fillCellChoices();
const autostart = applyUrlParams();
draw();
if (autostart) start();
