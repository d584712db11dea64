import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../src/cli/args.ts';
import { resolveRunConfigFromArgs, RUN_OPTIONS } from '../../src/cli/run.ts';
import type { RunConfig } from '../../src/experiments/config.ts';

/** The settings `bp-lambda run TASK ...argv` would use. */
export function configFor(task: string, argv: string[]): RunConfig {
  const { opts } = parseArgs(argv, RUN_OPTIONS, 'run');
  return resolveRunConfigFromArgs(task, opts, argv);
}

export function withTempDir(fn: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-lambda-run-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Spawns `node --import tsx src/cli/main.ts ...args`; resolves with the exit code and output. */
export function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: process.cwd(), env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Log records without the wall-clock field. */
export function withoutSeconds(records: Record<string, unknown>[]): Record<string, unknown>[] {
  return records.map(({ seconds: _s, ...rest }) => rest);
}
