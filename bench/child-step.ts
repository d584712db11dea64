/**
 * One `bench step` configuration in a fresh process (its peak memory is its own), for the
 * suites: `step({ cell: 'lstm', hidden: 30, … })` returns the step's JSON line, or the error it
 * printed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../', import.meta.url));

export interface StepResult {
  msPerBatch: number;
  runs: number;
  heapMB: number;
  peakRssMB: number;
}

export type StepOutcome = StepResult | { error: string };

export function step(args: Record<string, string | number>, timeoutMs = 30 * 60_000): StepOutcome {
  const argv = ['--import', 'tsx', 'bench/main.ts', 'step', ...Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)])];
  const r = spawnSync(process.execPath, argv, { cwd: root, encoding: 'utf8', timeout: timeoutMs });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as StepResult;
  } catch {
    return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').pop() ?? 'no output' };
  }
}

export const ok = (r: StepOutcome): r is StepResult => !('error' in r);
export const fmt = (v: number, d = 1): string => (Number.isFinite(v) ? v.toFixed(d) : '–');
