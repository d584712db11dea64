/**
 * Dependency-free SVG line charts for the experiment reports. `lineChart` returns a standalone
 * SVG document as a string: deterministic (same input, same bytes), text XML-escaped,
 * non-finite points (and |values| > 1e300, and y ≤ 0 on a log axis) drawn as gaps. Browser-safe; writing
 * the file is the caller's job (see io/atomic.ts).
 */
import { checkInt, checkObject, fail } from '../validate.ts';

export interface ChartSeries {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Width in pixels (default 720, at least 240). */
  readonly width?: number;
  /** Height in pixels (default 420, at least 160). */
  readonly height?: number;
  /** Fixed lower end of the y axis (default: from the data). */
  readonly yMin?: number;
  /** Fixed upper end of the y axis (default: from the data). */
  readonly yMax?: number;
  /** Logarithmic y axis (base 10); points with y ≤ 0 become gaps. */
  readonly logY?: boolean;
}

/** Ten distinguishable colours (Tableau 10), cycled over the series. */
const SERIES_COLOURS: readonly string[] = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
];

const CONTEXT = 'lineChart';
const MARGIN = { left: 72, right: 168, top: 44, bottom: 56 };

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes `& < > " '` for XML text and attribute values, and drops control characters XML forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/[&<>"']/g, (ch) => XML_ENTITIES[ch]);
}

/** A short, stable label for a tick value: 6 significant digits, exponent form outside [1e-3, 1e5). */
export function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(value.toPrecision(6)));
}

/** A "nice" tick step (1, 2 or 5 × 10^k) giving at most about `maxTicks` ticks over [lo, hi]. */
export function niceStep(lo: number, hi: number, maxTicks = 6): number {
  const raw = (hi - lo) / Math.max(1, maxTicks);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** The multiples of `step` within [lo, hi] (rounded to clear floating-point noise). */
export function ticksBetween(lo: number, hi: number, step: number): number[] {
  if (!(step > 0) || !Number.isFinite(lo / step) || !Number.isFinite(hi / step)) return [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  for (let i = 0; i <= Math.min(last - first, 1000); i++) ticks.push(Number(((first + i) * step).toPrecision(12)));
  return ticks;
}

interface Axis {
  /** Domain ends, in axis units (log10 of the value on a log axis). */
  lo: number;
  hi: number;
  /** Tick positions in axis units, and their labels. */
  ticks: { at: number; label: string }[];
}

function linearAxis(dataLo: number, dataHi: number, fixedLo?: number, fixedHi?: number): Axis {
  let lo = fixedLo ?? dataLo;
  let hi = fixedHi ?? dataHi;
  const magnitude = Math.max(Math.abs(lo), Math.abs(hi));
  if (hi - lo < Math.max(magnitude * 1e-9, 1e-300)) {
    const pad = magnitude >= 1e-12 ? magnitude * 0.1 : 1;
    if (fixedLo === undefined) lo -= pad;
    if (fixedHi === undefined || hi - lo < pad) hi = lo + 2 * pad;
  }
  const step = niceStep(lo, hi);
  if (fixedLo === undefined) lo = Math.floor(lo / step) * step;
  if (fixedHi === undefined) hi = Math.ceil(hi / step) * step;
  return { lo, hi, ticks: ticksBetween(lo, hi, step).map((v) => ({ at: v, label: formatTick(v) })) };
}

function logAxis(dataLo: number, dataHi: number, fixedLo?: number, fixedHi?: number): Axis {
  let lo = fixedLo !== undefined ? Math.log10(fixedLo) : Math.floor(Math.log10(dataLo));
  let hi = fixedHi !== undefined ? Math.log10(fixedHi) : Math.ceil(Math.log10(dataHi));
  if (hi <= lo) hi = lo + 1;
  const ticks: { at: number; label: string }[] = [];
  const multipliers = hi - lo <= 2 ? [1, 2, 5] : [1];
  const decadeStep = Math.max(1, Math.ceil((hi - lo) / 8));
  for (let k = Math.floor(lo / decadeStep) * decadeStep; k <= Math.ceil(hi); k += decadeStep) {
    for (const m of multipliers) {
      const at = Math.log10(m) + k;
      if (at >= lo - 1e-9 && at <= hi + 1e-9) ticks.push({ at, label: formatTick(Number((m * 10 ** k).toPrecision(12))) });
    }
  }
  return { lo, hi, ticks };
}

function checkOptions(options: LineChartOptions): void {
  checkObject(options, `${CONTEXT}: options`);
  for (const key of ['title', 'xLabel', 'yLabel'] as const) {
    if (typeof options[key] !== 'string') fail(`${CONTEXT}: ${key}`, 'a string', options[key]);
  }
  if (!Array.isArray(options.series)) fail(`${CONTEXT}: series`, 'an array', options.series);
  options.series.forEach((s, i) => {
    checkObject(s, `${CONTEXT}: series[${i}]`);
    if (typeof s.name !== 'string') fail(`${CONTEXT}: series[${i}].name`, 'a string', s.name);
    const points: unknown = s.points;
    if (!Array.isArray(points)) fail(`${CONTEXT}: series[${i}].points`, 'an array of [x, y] pairs', points);
    points.forEach((p: unknown, j: number) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') {
        fail(`${CONTEXT}: series[${i}].points[${j}]`, 'an [x, y] pair of numbers', p);
      }
    });
  });
  if (options.width !== undefined) checkInt(options.width, `${CONTEXT}: width`, 240, 10000);
  if (options.height !== undefined) checkInt(options.height, `${CONTEXT}: height`, 160, 10000);
  for (const key of ['yMin', 'yMax'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${CONTEXT}: ${key}`, 'a finite number', value);
    if (options.logY && value <= 0) fail(`${CONTEXT}: ${key}`, 'a number > 0 (log axis)', value);
  }
  if (options.yMin !== undefined && options.yMax !== undefined && !(options.yMin < options.yMax)) {
    fail(`${CONTEXT}: yMax`, `a number > yMin (${options.yMin})`, options.yMax);
  }
}

/** Largest |coordinate| drawn; beyond it (or non-finite) a point is a gap, so spans stay finite. */
const MAX_DRAWABLE = 1e300;

/** Splits a series into runs of drawable points; a point that is not drawable ends a run. */
function drawableRuns(points: ChartSeries['points'], logY: boolean): [number, number][][] {
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  for (const [x, y] of points) {
    if (Math.abs(x) <= MAX_DRAWABLE && Math.abs(y) <= MAX_DRAWABLE && (!logY || y > 0)) {
      run.push([x, logY ? Math.log10(y) : y]);
    } else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function extent(values: number[]): [number, number] | null {
  if (values.length === 0) return null;
  let lo = values[0];
  let hi = values[0];
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

const fmt = (v: number): string => v.toFixed(2);

/** Legend text: the series name, cut to 22 characters with an ellipsis so it fits the right margin. */
function legendLabel(name: string): string {
  const characters = Array.from(name);
  return characters.length > 22 ? `${characters.slice(0, 21).join('')}…` : name;
}

/** Renders a line chart as a standalone SVG document string. */
export function lineChart(options: LineChartOptions): string {
  checkOptions(options);
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const logY = options.logY === true;
  const runsPerSeries = options.series.map((s) => drawableRuns(s.points, logY));
  const allPoints = runsPerSeries.flat(2);
  const xExtent = extent(allPoints.map((p) => p[0]));
  const yExtent = extent(allPoints.map((p) => p[1]));
  const xAxis = xExtent ? linearAxis(xExtent[0], xExtent[1]) : linearAxis(0, 1);
  const yAxis = logY
    ? logAxis(yExtent ? 10 ** yExtent[0] : 1, yExtent ? 10 ** yExtent[1] : 10, options.yMin, options.yMax)
    : linearAxis(yExtent ? yExtent[0] : 0, yExtent ? yExtent[1] : 1, options.yMin, options.yMax);

  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };
  const px = (x: number): number => plot.x + ((x - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plot.w;
  const py = (y: number): number => plot.y + plot.h - ((y - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plot.h;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<defs><clipPath id="plot-area"><rect x="${fmt(plot.x)}" y="${fmt(plot.y)}" width="${fmt(plot.w)}" height="${fmt(plot.h)}"/></clipPath></defs>`);
  out.push(`<text x="${fmt(width / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);

  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const t of xAxis.ticks) out.push(`<line x1="${fmt(px(t.at))}" y1="${fmt(plot.y)}" x2="${fmt(px(t.at))}" y2="${fmt(plot.y + plot.h)}"/>`);
  for (const t of yAxis.ticks) out.push(`<line x1="${fmt(plot.x)}" y1="${fmt(py(t.at))}" x2="${fmt(plot.x + plot.w)}" y2="${fmt(py(t.at))}"/>`);
  out.push('</g>');

  out.push('<g class="axes" stroke="#333333" stroke-width="1">');
  out.push(`<line x1="${fmt(plot.x)}" y1="${fmt(plot.y + plot.h)}" x2="${fmt(plot.x + plot.w)}" y2="${fmt(plot.y + plot.h)}"/>`);
  out.push(`<line x1="${fmt(plot.x)}" y1="${fmt(plot.y)}" x2="${fmt(plot.x)}" y2="${fmt(plot.y + plot.h)}"/>`);
  for (const t of xAxis.ticks) out.push(`<line x1="${fmt(px(t.at))}" y1="${fmt(plot.y + plot.h)}" x2="${fmt(px(t.at))}" y2="${fmt(plot.y + plot.h + 5)}"/>`);
  for (const t of yAxis.ticks) out.push(`<line x1="${fmt(plot.x - 5)}" y1="${fmt(py(t.at))}" x2="${fmt(plot.x)}" y2="${fmt(py(t.at))}"/>`);
  out.push('</g>');

  out.push('<g class="tick-labels" fill="#333333">');
  for (const t of xAxis.ticks) out.push(`<text x="${fmt(px(t.at))}" y="${fmt(plot.y + plot.h + 19)}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  for (const t of yAxis.ticks) out.push(`<text x="${fmt(plot.x - 8)}" y="${fmt(py(t.at) + 4)}" text-anchor="end">${escapeXml(t.label)}</text>`);
  out.push('</g>');
  out.push(`<text class="x-label" x="${fmt(plot.x + plot.w / 2)}" y="${fmt(height - 14)}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  const yLabelX = 18;
  const yLabelY = plot.y + plot.h / 2;
  out.push(`<text class="y-label" x="${yLabelX}" y="${fmt(yLabelY)}" text-anchor="middle" transform="rotate(-90 ${yLabelX} ${fmt(yLabelY)})">${escapeXml(options.yLabel)}</text>`);

  if (allPoints.length === 0) {
    out.push(`<text class="no-data" x="${fmt(plot.x + plot.w / 2)}" y="${fmt(plot.y + plot.h / 2)}" text-anchor="middle" fill="#888888">no data</text>`);
  }

  out.push('<g class="plot" clip-path="url(#plot-area)">');
  options.series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    out.push(`<g class="series" data-name="${escapeXml(s.name)}" stroke="${colour}" fill="${colour}">`);
    for (const run of runsPerSeries[i]) {
      if (run.length === 1) {
        out.push(`<circle cx="${fmt(px(run[0][0]))}" cy="${fmt(py(run[0][1]))}" r="2.5" stroke="none"/>`);
      } else {
        const coordinates = run.map(([x, y]) => `${fmt(px(x))},${fmt(py(y))}`).join(' ');
        out.push(`<polyline points="${coordinates}" fill="none" stroke-width="1.75" stroke-linejoin="round"/>`);
      }
    }
    out.push('</g>');
  });
  out.push('</g>');

  out.push('<g class="legend">');
  options.series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    const y = plot.y + 8 + i * 18;
    const x = plot.x + plot.w + 16;
    out.push(`<line x1="${fmt(x)}" y1="${fmt(y)}" x2="${fmt(x + 20)}" y2="${fmt(y)}" stroke="${colour}" stroke-width="2.5"/>`);
    out.push(`<text x="${fmt(x + 26)}" y="${fmt(y + 4)}">${escapeXml(legendLabel(s.name))}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}
