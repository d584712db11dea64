/**
 * DIR/run.json, the record of a run folder: its settings (the resolved config), the speed and
 * output options last used (which may change at resume and persist), and one provenance record
 * per invocation that worked in the folder. Written atomically at the start of a run and at the
 * end of every invocation; `--resume DIR` starts from it. The state of each sweep entry is in
 * its own folder (DIR/entries/…/checkpoint.json, checkpoint.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJsonText, writeFileAtomicSync } from '../io/atomic.ts';
import { checkInt, checkOneOf, describe } from '../validate.ts';
import { checkConfig, sweepEntries, type RunConfig } from './config.ts';
import { checkProvenance, type Provenance } from './provenance.ts';
import { checkFields } from './tasks/shared.ts';

export const RUN_FORMAT = 'bp-lambda-run';
/** 3: the first version of the run record (version 2 kept everything in one checkpoint.json). */
export const RUN_VERSION = 3;
const RUN_FILE = 'run.json';

/** --backend values; 'auto' picks the fastest single-threaded kernels available (wasm, else js). */
export const RUN_BACKENDS = ['auto', 'js', 'wasm', 'workers'] as const;

/** Every N-th entry of the sweep, from the i-th (1-based): `{ index: i, count: N }`. */
export interface Shard {
  index: number;
  count: number;
}

/** Options that change only speed, output or which entries this invocation runs: they may be given anew at resume, and persist. */
export interface RunOptionsRecord {
  checkpointEvery: number;
  backend: (typeof RUN_BACKENDS)[number];
  quiet: boolean;
  /** sweep entries trained at once, each in its own process (1: one after another in this process) */
  jobs: number;
  /** the entries this folder runs (null: all) */
  shard: Shard | null;
}

export interface RunRecord {
  format: typeof RUN_FORMAT;
  version: number;
  config: RunConfig;
  runOptions: RunOptionsRecord;
  /** one per invocation that ran in this folder, oldest first */
  invocations: Provenance[];
}

export function runRecordPath(dir: string): string {
  return join(dir, RUN_FILE);
}

/** Whether DIR already holds a run (a run record). */
export function folderHasRun(dir: string): boolean {
  return existsSync(runRecordPath(dir));
}

/** The entries of `total` a shard runs (all without one), in sweep order. */
export function shardEntries(total: number, shard: Shard | null): number[] {
  const all = Array.from({ length: total }, (_, i) => i);
  return shard ? all.filter((i) => i % shard.count === shard.index - 1) : all;
}

/** Checks a shard; throws naming `name`. */
function checkShard(v: unknown, name: string): Shard {
  const s = checkFields(v, name, ['index', 'count']);
  const count = checkInt(s.count, `${name}.count`, 1);
  return { index: checkInt(s.index, `${name}.index`, 1, count), count };
}

function checkRunOptions(v: unknown, name: string): RunOptionsRecord {
  const o = checkFields(v, name, ['checkpointEvery', 'backend', 'quiet', 'jobs', 'shard']);
  checkInt(o.checkpointEvery, `${name}.checkpointEvery`, 0);
  checkOneOf(o.backend, RUN_BACKENDS, `${name}.backend`);
  if (typeof o.quiet !== 'boolean') throw new Error(`${name}.quiet: expected a boolean, received ${describe(o.quiet)}`);
  checkInt(o.jobs, `${name}.jobs`, 1);
  if (o.shard !== null) checkShard(o.shard, `${name}.shard`);
  return o as unknown as RunOptionsRecord;
}

/** Checks a parsed run record in full; `where` prefixes every error (the version first). */
function validateRunRecord(raw: unknown, where: string): RunRecord {
  const bad = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || (raw as RunRecord).format !== RUN_FORMAT) bad(`expected "format": "${RUN_FORMAT}", received ${describe((raw as RunRecord | null)?.format)}`);
  const v = (raw as RunRecord).version;
  if (v !== RUN_VERSION) bad(`run record version ${JSON.stringify(v)} is not the version ${RUN_VERSION} this bp-lambda reads (start the run afresh in a new --out folder)`);
  try {
    const r = checkFields(raw, 'run', ['format', 'version', 'config', 'runOptions', 'invocations']) as unknown as RunRecord;
    checkConfig(r.config, 'config');
    checkRunOptions(r.runOptions, 'runOptions');
    if (r.runOptions.shard && r.runOptions.shard.count > sweepEntries(r.config).length) throw new Error(`runOptions.shard: ${r.runOptions.shard.count} shards of ${sweepEntries(r.config).length} entries`);
    if (!Array.isArray(r.invocations)) throw new Error(`invocations: expected an array, received ${describe(r.invocations)}`);
    r.invocations.forEach((p, i) => checkProvenance(p, `invocations[${i}]`));
    return r;
  } catch (e) {
    return bad((e as Error).message);
  }
}

/** Writes DIR/run.json atomically, checked as a resume would read it. */
export function saveRunRecord(dir: string, record: RunRecord): void {
  const text = toJsonText(record, 'saveRunRecord');
  validateRunRecord(JSON.parse(text), `saveRunRecord: refusing to write ${runRecordPath(dir)}`);
  writeFileAtomicSync(runRecordPath(dir), text);
}

/** Reads and checks DIR/run.json; every failure names the file and what is wrong. */
export function loadRunRecord(dir: string): RunRecord {
  const path = runRecordPath(dir);
  if (!existsSync(dir)) throw new Error(`--resume ${dir}: no such folder`);
  if (!existsSync(path)) throw new Error(`--resume ${dir}: no run there (expected ${path}, which a run writes into its --out folder)`);
  const where = `--resume ${dir}: corrupt run record ${path}`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
  }
  return validateRunRecord(raw, where);
}
