/**
 * Checkpoints of a run folder (DIR/checkpoint.json), written atomically (temporary file, fsync,
 * rename): the settings, the sweep position, the model, the optimizer's state, the training
 * source's position (random generator, curriculum, epoch), the log offset and the running
 * training-loss sums, i.e. everything needed for a resumed run to produce the same numbers as an
 * uninterrupted one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomicSync } from '../io/atomic.ts';
import { modelFromJson, type ModelJson } from '../io/model-json.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { checkConfig, upgradeConfig, type RunConfig } from './config.ts';
import type { SourceState } from './tasks.ts';

export const CHECKPOINT_FORMAT = 'bp-lambda-run-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILE = 'checkpoint.json';

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  config: RunConfig;
  /** sweep entry in progress (entries before it are complete); equal to the entry count when all are done */
  entry: number;
  /** batches of that entry completed */
  batch: number;
  model: ModelJson | null;
  optimizer: unknown;
  source: SourceState | null;
  /** bytes of log.jsonl that belong to the checkpointed state */
  logOffset: number;
  /** training-loss sum and count since the last evaluation (for the next log line) */
  trainLoss: { sum: number; count: number };
  /** training seconds of the entry so far */
  seconds: number;
}

export function checkpointPath(dir: string): string {
  return join(dir, CHECKPOINT_FILE);
}

export function saveCheckpoint(dir: string, cp: Checkpoint): void {
  writeJsonAtomicSync(checkpointPath(dir), cp);
}

/** Reads and checks DIR/checkpoint.json; every failure names the file and what is wrong. */
export function loadCheckpoint(dir: string): Checkpoint {
  const path = checkpointPath(dir);
  if (!existsSync(dir)) throw new Error(`--resume ${dir}: no such folder`);
  if (!existsSync(path)) throw new Error(`--resume ${dir}: no checkpoint there (expected ${path}; a run writes one with --out DIR and --checkpoint-every N)`);
  const bad = (why: string): never => {
    throw new Error(`--resume ${dir}: corrupt checkpoint ${path}: ${why}`);
  };
  let cp: Checkpoint;
  try {
    cp = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    return bad(`not valid JSON (${(e as Error).message})`);
  }
  if (!cp || typeof cp !== 'object' || cp.format !== CHECKPOINT_FORMAT) bad(`expected "format": "${CHECKPOINT_FORMAT}"`);
  if (cp.version !== CHECKPOINT_VERSION) bad(`expected version ${CHECKPOINT_VERSION}, received ${JSON.stringify(cp.version)}`);
  try {
    cp.config = checkConfig(upgradeConfig(cp.config), 'config');
  } catch (e) {
    bad((e as Error).message);
  }
  for (const k of ['entry', 'batch', 'logOffset'] as const) if (!Number.isInteger(cp[k]) || cp[k] < 0) bad(`${k}: expected an integer ≥ 0, received ${JSON.stringify(cp[k])}`);
  if (typeof cp.seconds !== 'number' || !Number.isFinite(cp.seconds)) bad('seconds: expected a number');
  if (!cp.trainLoss || typeof cp.trainLoss.sum !== 'number' || !Number.isInteger(cp.trainLoss.count)) bad('trainLoss: expected { sum, count }');
  if (cp.model !== null) {
    try {
      const m = modelFromJson(cp.model, 'float64', 'model');
      for (const g of Object.values(m.groups())) for (const t of Object.values(g as ParamGroup)) for (const v of t.data) if (!Number.isFinite(v)) throw new Error('a parameter is not finite');
    } catch (e) {
      bad((e as Error).message);
    }
  }
  return cp;
}
