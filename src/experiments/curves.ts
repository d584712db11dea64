/** Plot series from a run's log records: one curve per group, the mean over its seeds. */
import type { ChartSeries } from './svg.ts';

type Rec = Readonly<Record<string, unknown>>;

/**
 * One curve per group of the evaluation records: at each x (default: the batch), the mean of
 * `pick` over the seeds that have a value there (records where `pick` is null are skipped).
 */
export function groupCurves(records: readonly Rec[], pick: (r: Rec) => number | null, x: (r: Rec) => number = (r) => r.batch as number): ChartSeries[] {
  const groups = new Map<string, Map<number, number[]>>();
  for (const r of records) {
    if (r.type !== 'eval') continue;
    const v = pick(r);
    if (v === null || v === undefined) continue;
    const g = r.group as string;
    if (!groups.has(g)) groups.set(g, new Map());
    const m = groups.get(g)!;
    const k = x(r);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(v);
  }
  return [...groups].map(([name, m]) => ({
    name,
    points: [...m].sort((a, b) => a[0] - b[0]).map(([k, vs]) => [k, vs.reduce((a, v) => a + v, 0) / vs.length] as [number, number]),
  }));
}
