/**
 * Where a run's numbers came from: the code (its git commit, and whether the working tree had
 * changes), the runtime (Node's version), the machine (CPU model, cores, memory) and the
 * invocation (when it started, its wall time, the backend, the jobs, the shard, the entries it
 * trained). Recorded per invocation in DIR/run.json and copied into every summary.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkInt, checkNonNegative, describe } from '../validate.ts';
import { checkFields } from './tasks/shared.ts';

export interface Provenance {
  /** `git rev-parse HEAD` of the package's own repository, or "unknown" (an installed package, no git) */
  commit: string;
  /** whether that working tree had uncommitted changes (null when unknown) */
  dirty: boolean | null;
  /** process.version */
  node: string;
  machine: { cpu: string; cores: number; memoryBytes: number; platform: string; arch: string };
  /** ISO time the invocation started */
  started: string;
  /** wall-clock seconds of the invocation */
  wallSeconds: number;
  /** the kernels it used (the backend's name, e.g. "wasm") */
  backend: string;
  jobs: number;
  /** "i/N", or null for the whole sweep */
  shard: string | null;
  /** the sweep entries it trained (0-based), completely or in part */
  entries: number[];
}

let code: { commit: string; dirty: boolean | null } | null = null;

/** The package's commit, read once per process (git in the package's folder, if any). */
function codeVersion(): { commit: string; dirty: boolean | null } {
  if (code) return code;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const git = (...args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  try {
    const commit = git('rev-parse', 'HEAD');
    let dirty: boolean | null = null;
    try {
      dirty = git('status', '--porcelain', '--untracked-files=no').length > 0;
    } catch {
      dirty = null;
    }
    code = { commit, dirty };
  } catch {
    code = { commit: 'unknown', dirty: null };
  }
  return code;
}

/** The machine this process runs on. */
export function machine(): Provenance['machine'] {
  const list = cpus();
  return { cpu: list[0]?.model.trim() ?? 'unknown', cores: availableParallelism(), memoryBytes: totalmem(), platform: process.platform, arch: process.arch };
}

/** The provenance of an invocation that started at `started` (ms since the epoch, Date.now()) and ends now. */
export function provenance(started: number, run: { backend: string; jobs: number; shard: string | null; entries: number[] }): Provenance {
  return { ...codeVersion(), node: process.version, machine: machine(), started: new Date(started).toISOString(), wallSeconds: (Date.now() - started) / 1000, ...run };
}

/** Checks a saved provenance record; throws naming `name`. */
export function checkProvenance(v: unknown, name: string): Provenance {
  const p = checkFields(v, name, ['commit', 'dirty', 'node', 'machine', 'started', 'wallSeconds', 'backend', 'jobs', 'shard', 'entries']);
  for (const k of ['commit', 'node', 'started', 'backend'] as const) if (typeof p[k] !== 'string') throw new Error(`${name}.${k}: expected a string, received ${describe(p[k])}`);
  if (p.dirty !== null && typeof p.dirty !== 'boolean') throw new Error(`${name}.dirty: expected a boolean or null, received ${describe(p.dirty)}`);
  const m = checkFields(p.machine, `${name}.machine`, ['cpu', 'cores', 'memoryBytes', 'platform', 'arch']);
  checkInt(m.cores, `${name}.machine.cores`, 1);
  checkNonNegative(p.wallSeconds, `${name}.wallSeconds`);
  checkInt(p.jobs, `${name}.jobs`, 1);
  if (p.shard !== null && typeof p.shard !== 'string') throw new Error(`${name}.shard: expected "i/N" or null, received ${describe(p.shard)}`);
  if (!Array.isArray(p.entries)) throw new Error(`${name}.entries: expected an array, received ${describe(p.entries)}`);
  p.entries.forEach((e, i) => checkInt(e, `${name}.entries[${i}]`, 0));
  return p as unknown as Provenance;
}
