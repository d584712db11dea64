/**
 * The checkpoint of one sweep entry (DIR/entries/…/checkpoint.json), written atomically
 * (temporary file, fsync, rename): the run's settings, which entry, how far (`batch`), the
 * model, the optimizer's state, the training source's position (random generator, curriculum,
 * epoch), the log offset and the running training-loss sums, i.e. everything needed for a
 * resumed entry to produce the same numbers as an uninterrupted one. A finished entry keeps a
 * checkpoint at batch = config.batches without model, optimizer or source.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJsonText, writeFileAtomicSync } from '../io/atomic.ts';
import type { ModelJson } from '../io/model-json.ts';
import type { RunConfig } from './config.ts';
import { validateCheckpoint } from './checkpoint-schema.ts';

export const CHECKPOINT_FORMAT = 'bp-lambda-run-checkpoint';
/**
 * 2: Adam's state per parameter group (per-group step counts), run options, trainLoss weighted
 * by examples. 3: one checkpoint per sweep entry, in the entry's folder; the config as the task
 * and method specs define it (taskOptions, methodSettings), the source state as its task
 * defines it; the run options in the folder's run.json.
 */
export const CHECKPOINT_VERSION = 3;
const CHECKPOINT_FILE = 'checkpoint.json';

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  config: RunConfig;
  /** the sweep entry (0-based) */
  entry: number;
  /** batches completed (config.batches: the entry is finished) */
  batch: number;
  model: ModelJson | null;
  optimizer: unknown;
  /** the training source's position, as its task saves it */
  source: unknown;
  /** bytes of the entry's log.jsonl that belong to the checkpointed state */
  logOffset: number;
  /** training-loss sum (weighted by examples) and example count since the last evaluation (for the next log line) */
  trainLoss: { sum: number; count: number };
  /** training seconds of the entry so far */
  seconds: number;
}

export function checkpointPath(dir: string): string {
  return join(dir, CHECKPOINT_FILE);
}

/**
 * Writes DIR/checkpoint.json atomically, after checking the text to be written exactly as a
 * resume would read it (a value JSON cannot hold, such as Infinity, would come back as null).
 */
export function saveCheckpoint(dir: string, cp: Checkpoint): void {
  const text = toJsonText(cp, 'saveCheckpoint');
  validateCheckpoint(JSON.parse(text), `saveCheckpoint: refusing to write ${checkpointPath(dir)}`, CHECKPOINT_FORMAT, CHECKPOINT_VERSION);
  writeFileAtomicSync(checkpointPath(dir), text);
}

/** Reads and checks DIR/checkpoint.json in full, or null when there is none; every failure names the file and what is wrong. */
export function loadCheckpoint(dir: string): Checkpoint | null {
  const path = checkpointPath(dir);
  if (!existsSync(path)) return null;
  const where = `corrupt checkpoint ${path}`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
  }
  return validateCheckpoint(raw, where, CHECKPOINT_FORMAT, CHECKPOINT_VERSION);
}
