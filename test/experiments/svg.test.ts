import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeXml, formatTick, lineChart, niceStep, ticksBetween, type ChartSeries } from '../../src/experiments/svg.ts';

/**
 * A tiny XML well-formedness check: tags balance (open/close/self-closing), text and attribute
 * values hold no raw `<`, and every `&` starts a known entity. Returns the tag names in order.
 */
function checkWellFormed(svg: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < svg.length) {
    const lt = svg.indexOf('<', i);
    const text = svg.slice(i, lt === -1 ? svg.length : lt);
    assert.ok(!/&(?!(amp|lt|gt|quot|apos);)/.test(text), `bad & in text ${JSON.stringify(text)}`);
    if (lt === -1) break;
    tag.lastIndex = lt;
    const m = tag.exec(svg);
    assert.ok(m, `malformed tag at ${lt}: ${svg.slice(lt, lt + 60)}`);
    const [whole, closing, name, attributes, selfClosing] = m;
    assert.ok(!/&(?!(amp|lt|gt|quot|apos);)/.test(attributes), `bad & in attributes of <${name}>`);
    if (closing) assert.equal(stack.pop(), name, `</${name}> closes the open tag`);
    else {
      names.push(name);
      if (!selfClosing) stack.push(name);
    }
    i = lt + whole.length;
  }
  assert.deepEqual(stack, [], 'all tags closed');
  assert.equal(names[0], 'svg');
  return names;
}

/** The contents of each `<g class="series">` group. */
function seriesGroups(svg: string): string[] {
  return [...svg.matchAll(/<g class="series"[^>]*>([\s\S]*?)<\/g>/g)].map((m) => m[1]);
}

/** Whether every coordinate attribute holds only finite numbers. */
function coordinatesFinite(svg: string): boolean {
  const values = [...svg.matchAll(/ (?:x|y|x1|y1|x2|y2|cx|cy|width|height|points)="([^"]*)"/g)].map((m) => m[1]);
  return values.every((v) => v.split(/[ ,]/).every((n) => Number.isFinite(Number(n))));
}

const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

const basic: ChartSeries[] = [
  { name: 'λ = 0', points: [[0, 0.1], [1, 0.4], [2, 0.5]] },
  { name: 'λ = 1', points: [[0, 0.2], [1, 0.8], [2, 0.95]] },
];

test('lineChart: well-formed, one polyline per series, legend names, axis labels, distinct colours', () => {
  const svg = lineChart({ title: 'Alignment', xLabel: 'epoch', yLabel: 'cosine', series: basic });
  checkWellFormed(svg);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  const groups = seriesGroups(svg);
  assert.equal(groups.length, 2);
  for (const g of groups) assert.equal(count(g, '<polyline'), 1);
  assert.equal(count(svg, '<polyline'), 2);
  for (const text of ['>Alignment</text>', '>epoch</text>', '>cosine</text>', '>λ = 0</text>', '>λ = 1</text>']) assert.ok(svg.includes(text), text);
  const colours = [...svg.matchAll(/<g class="series"[^>]*stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1]);
  assert.equal(new Set(colours).size, 2);
});

test('lineChart: points map inside the plot area, larger y drawn higher', () => {
  const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [basic[0]], width: 600, height: 300 });
  const coordinates = svg.match(/<polyline points="([^"]+)"/)![1].split(' ').map((pair) => pair.split(',').map(Number));
  const clip = svg.match(/<clipPath id="plot-area"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/)!.slice(1).map(Number);
  const [x0, y0, w, h] = clip;
  for (const [x, y] of coordinates) {
    assert.ok(x >= x0 - 1e-9 && x <= x0 + w + 1e-9, `x ${x} in plot`);
    assert.ok(y >= y0 - 1e-9 && y <= y0 + h + 1e-9, `y ${y} in plot`);
  }
  assert.ok(coordinates[0][0] < coordinates[1][0] && coordinates[1][0] < coordinates[2][0], 'x increases left to right');
  assert.ok(coordinates[0][1] > coordinates[1][1] && coordinates[1][1] > coordinates[2][1], 'larger y is higher (smaller SVG y)');
});

test('lineChart: escapes < & " in every text', () => {
  const svg = lineChart({ title: 'a<b & "c"', xLabel: 'x<1', yLabel: 'R&D', series: [{ name: '<script>&', points: [[0, 1], [1, 2]] }] });
  checkWellFormed(svg);
  assert.ok(!svg.includes('<script>'));
  assert.ok(svg.includes('a&lt;b &amp; &quot;c&quot;'));
  assert.ok(svg.includes('>x&lt;1<'));
  assert.ok(svg.includes('>R&amp;D<'));
  assert.ok(svg.includes('data-name="&lt;script&gt;&amp;"'));
  assert.equal(escapeXml('\u0001ok\n'), 'ok\n', 'control characters XML forbids are dropped');
});

test('lineChart: non-finite points leave gaps; an isolated point is a dot', () => {
  const svg = lineChart({
    title: 't',
    xLabel: 'x',
    yLabel: 'y',
    series: [
      { name: 'gappy', points: [[0, 1], [1, 2], [2, Number.NaN], [3, 4], [4, 5], [5, Infinity], [6, 3], [Number.NaN, 1]] },
      { name: 'whole', points: [[0, 2], [6, 2]] },
    ],
  });
  checkWellFormed(svg);
  const [gappy, whole] = seriesGroups(svg);
  assert.equal(count(gappy, '<polyline'), 2);
  assert.equal(count(gappy, '<circle'), 1);
  assert.equal(count(whole, '<polyline'), 1);
  assert.ok(coordinatesFinite(svg));
});

test('lineChart: empty data is handled', () => {
  for (const series of [[], [{ name: 'nothing', points: [] }], [{ name: 'all missing', points: [[Number.NaN, Number.NaN]] as [number, number][] }]]) {
    const svg = lineChart({ title: 'empty', xLabel: 'x', yLabel: 'y', series });
    checkWellFormed(svg);
    assert.ok(svg.includes('no data'));
    assert.equal(count(svg, '<polyline'), 0);
    assert.ok(coordinatesFinite(svg));
  }
});

test('lineChart: log y axis puts decade ticks and drops y ≤ 0', () => {
  const svg = lineChart({ title: 'loss', xLabel: 'batch', yLabel: 'loss', logY: true, series: [{ name: 'l', points: [[0, 100], [1, 10], [2, 0], [3, 1], [4, 0.5]] }] });
  checkWellFormed(svg);
  const tickLabels = [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
  for (const label of ['0.1', '1', '10', '100']) assert.ok(tickLabels.includes(label), `tick ${label} in ${tickLabels}`);
  assert.equal(count(seriesGroups(svg)[0], '<polyline'), 2);
});

test('lineChart: fixed yMin / yMax set the axis ends', () => {
  const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', yMin: -1, yMax: 1, series: [basic[0]] });
  const tickLabels = [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
  assert.equal(tickLabels[0], '-1');
  assert.equal(tickLabels[tickLabels.length - 1], '1');
});

test('lineChart: deterministic output', () => {
  const options = { title: 't', xLabel: 'x', yLabel: 'y', series: basic };
  assert.equal(lineChart(options), lineChart(options));
});

test('lineChart: property — any data, linear or log, gives a well-formed chart with one polyline per run of ≥ 2 drawable points', () => {
  const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double(), fc.constantFrom(Number.NaN, Infinity, 1e301, 5e-324));
  const series = fc.array(fc.record({ name: fc.string({ maxLength: 8 }), points: fc.array(fc.tuple(value, value), { maxLength: 12 }) }), { maxLength: 4 });
  fc.assert(
    fc.property(series, fc.boolean(), (s, logY) => {
      const svg = lineChart({ title: 'p', xLabel: 'x', yLabel: 'y', series: s, logY });
      checkWellFormed(svg);
      assert.ok(coordinatesFinite(svg));
      const groups = seriesGroups(svg);
      assert.equal(groups.length, s.length);
      s.forEach((one, i) => {
        const runs: number[] = [];
        let run = 0;
        for (const [x, y] of one.points) {
          if (Math.abs(x) <= 1e300 && Math.abs(y) <= 1e300 && (!logY || y > 0)) run++; // drawable
          else if (run > 0) {
            runs.push(run);
            run = 0;
          }
        }
        if (run > 0) runs.push(run);
        assert.equal(count(groups[i], '<polyline'), runs.filter((r) => r >= 2).length);
        assert.equal(count(groups[i], '<circle'), runs.filter((r) => r === 1).length);
      });
    }),
    { numRuns: 80 },
  );
});

test('ticks: nice steps and labels', () => {
  assert.equal(niceStep(0, 1), 0.2);
  assert.equal(niceStep(0, 100), 20);
  assert.equal(niceStep(0, 7), 2);
  assert.deepEqual(ticksBetween(0, 1, 0.2), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticksBetween(-0.3, 0.3, 0.1), [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]);
  assert.equal(formatTick(0.30000000000000004), '0.3');
  assert.equal(formatTick(250000), '2.5e5');
  assert.equal(formatTick(0.0001), '1e-4');
});

test('lineChart: arguments are validated', () => {
  const base = { title: 't', xLabel: 'x', yLabel: 'y', series: basic };
  assert.throws(() => lineChart({ ...base, yMin: 1, yMax: 0 }), { message: 'lineChart: yMax: expected a number > yMin (1), received 0' });
  assert.throws(() => lineChart({ ...base, logY: true, yMin: 0 }), { message: 'lineChart: yMin: expected a number > 0 (log axis), received 0' });
  assert.throws(() => lineChart({ ...base, width: 10 }), { message: 'lineChart: width: expected an integer in [240, 10000], received 10' });
  assert.throws(() => lineChart({ ...base, series: [{ name: 'a', points: [[1, 2, 3]] as never }] }), /lineChart: series\[0\]\.points\[0\]: expected an \[x, y\] pair of numbers/);
  assert.throws(() => lineChart({ ...base, title: 3 as never }), { message: 'lineChart: title: expected a string, received 3' });
});
