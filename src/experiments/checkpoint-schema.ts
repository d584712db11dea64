/**
 * The full check of a run checkpoint, on load and before every save: the structure (every
 * field, no unknown one), each value, and the cross-checks against the run's own config: the
 * sweep position within the sweep, the model's shapes those of the config's model, the optimizer
 * state that of the config's Adam over that model, the source state that of the config's task
 * and consistent with the batch count. A checkpoint that passes can be resumed.
 */
import { modelFromJson } from '../io/model-json.ts';
import type { Model } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { Rng, type RngState } from '../rng.ts';
import { Curriculum } from '../tasks/copy-repeat.ts';
import { checkInt, checkNonNegative, checkOneOf, checkOptions, describe } from '../validate.ts';
import { checkConfig, isToy, sweepEntries, type RunConfig } from './config.ts';
import { makeOptimizer } from './learner-factory.ts';
import { buildModel, mnistTrainSize } from './tasks.ts';
import type { Checkpoint, CheckpointRunOptions } from './checkpoint.ts';

export const CHECKPOINT_KEYS = ['format', 'version', 'config', 'runOptions', 'entry', 'batch', 'model', 'optimizer', 'source', 'logOffset', 'trainLoss', 'seconds'] as const;
/** Backends `run` can use (recorded in the checkpoint's run options). */
/** --backend values; 'auto' picks the fastest single-threaded kernels available (wasm, else js). */
export const RUN_BACKENDS = ['auto', 'js', 'wasm', 'workers'] as const;

function object(v: unknown, name: string, keys: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${name}: expected an object with ${keys.join(', ')}, received ${describe(v)}`);
  checkOptions(v, keys, name);
  for (const k of keys) if (!(k in v)) throw new Error(`${name}.${k}: missing`);
  return v as Record<string, unknown>;
}

function rngState(v: unknown, name: string): RngState {
  try {
    return Rng.fromState(v as RngState).getState();
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** The model of a mid-entry checkpoint: finite, with the shapes of the config's model. */
function checkModelJson(v: unknown, config: RunConfig, seed: number): Model {
  const model = modelFromJson(v, 'float64', 'model');
  const want = buildModel(config, seed);
  if (model.cell.type !== want.cell.type) throw new Error(`model.cell.type: expected ${JSON.stringify(want.cell.type)} (config.task ${config.task}), received ${JSON.stringify(model.cell.type)}`);
  const got = model.groups();
  for (const [group, params] of Object.entries(want.groups())) {
    for (const [name, t] of Object.entries(params as ParamGroup)) {
      const g = (got as unknown as Record<string, ParamGroup>)[group][name];
      if (g.shape.join('×') !== t.shape.join('×')) throw new Error(`model.${group}.${name}: expected shape ${t.shape.join('×')} (config.hidden ${config.hidden}), received ${g.shape.join('×')}`);
      for (let i = 0; i < g.data.length; i++) if (!Number.isFinite(g.data[i])) throw new Error(`model.${group}.${name}: expected finite values, received ${g.data[i]} at index ${i}`);
    }
  }
  return model;
}

/** The training source's state: the config's task, and (seq-mnist) at the position `batch` batches in. */
function checkSource(v: unknown, config: RunConfig, batch: number): void {
  if (isToy(config.task)) {
    const s = object(v, 'source', ['kind', 'rng']);
    checkOneOf(s.kind, ['rng'], 'source.kind');
    rngState(s.rng, 'source.rng');
  } else if (config.task === 'copy-repeat') {
    const s = object(v, 'source', ['kind', 'rng', 'curriculum']);
    checkOneOf(s.kind, ['curriculum'], 'source.kind');
    rngState(s.rng, 'source.rng');
    const c = Curriculum.fromState(s.curriculum as never);
    if (c.getState().threshold !== config.threshold) throw new Error(`source.curriculum.threshold: expected ${config.threshold} (config.threshold), received ${c.getState().threshold}`);
    const last = c.getState().advances.at(-1);
    if (last && last.batch >= batch) throw new Error(`source.curriculum.advances: expected advances before batch ${batch}, received one at batch ${last.batch}`);
  } else {
    const s = object(v, 'source', ['kind', 'epochRng', 'epoch', 'position']);
    checkOneOf(s.kind, ['epoch'], 'source.kind');
    rngState(s.epochRng, 'source.epochRng');
    const perEpoch = Math.ceil(mnistTrainSize(config) / config.batch);
    const epoch = checkInt(s.epoch, 'source.epoch', 0);
    const position = checkInt(s.position, 'source.position', 0, perEpoch);
    if (epoch * perEpoch + position !== batch) throw new Error(`source: epoch ${epoch}, position ${position} (${perEpoch} batches per epoch) is not ${batch} batches in, as the checkpoint's batch says`);
  }
}

/**
 * Checks a parsed checkpoint in full; `where` prefixes every error. The version is checked
 * first, so an older file is refused with a message naming both versions.
 */
export function validateCheckpoint(raw: unknown, where: string, format: string, version: number): Checkpoint {
  const bad = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || (raw as Checkpoint).format !== format) bad(`expected "format": "${format}", received ${describe((raw as Checkpoint | null)?.format)}`);
  const v = (raw as Checkpoint).version;
  if (v !== version) bad(`checkpoint version ${JSON.stringify(v)} ${typeof v === 'number' && v < version ? 'was written by an older bp-lambda; ' : ''}this bp-lambda reads checkpoint version ${version} only (start the run afresh in a new --out folder)`);
  try {
    const cp = object(raw, 'checkpoint', CHECKPOINT_KEYS) as unknown as Checkpoint;
    const config = checkConfig(cp.config, 'config');
    const ro = object(cp.runOptions, 'runOptions', ['checkpointEvery', 'backend', 'quiet']) as unknown as CheckpointRunOptions;
    checkInt(ro.checkpointEvery, 'runOptions.checkpointEvery', 0);
    checkOneOf(ro.backend, RUN_BACKENDS, 'runOptions.backend');
    if (typeof ro.quiet !== 'boolean') throw new Error(`runOptions.quiet: expected a boolean, received ${describe(ro.quiet)}`);
    const entries = sweepEntries(config);
    const entry = checkInt(cp.entry, 'entry', 0, entries.length);
    const batch = checkInt(cp.batch, 'batch', 0, entry === entries.length ? 0 : config.batches - 1);
    checkInt(cp.logOffset, 'logOffset', 0);
    checkNonNegative(cp.seconds, 'seconds');
    const tl = object(cp.trainLoss, 'trainLoss', ['sum', 'count']);
    const count = checkInt(tl.count, 'trainLoss.count', 0);
    if (typeof tl.sum !== 'number' || !Number.isFinite(tl.sum) || (count === 0 && tl.sum !== 0)) throw new Error(`trainLoss.sum: expected a finite number (0 when count is 0), received ${describe(tl.sum)}`);
    if (batch === 0) {
      // a checkpoint between entries: nothing of an entry in progress
      for (const k of ['model', 'optimizer', 'source'] as const) if (cp[k] !== null) throw new Error(`${k}: expected null at batch 0 (between sweep entries), received ${describe(cp[k])}`);
      if (count !== 0 || cp.seconds !== 0) throw new Error(`trainLoss and seconds: expected zero at batch 0 (between sweep entries), received ${describe(tl)} and ${cp.seconds}`);
    } else {
      const model = checkModelJson(cp.model, config, entries[entry].seed);
      try {
        makeOptimizer(config).setState(cp.optimizer, model.groups());
      } catch (e) {
        throw new Error(`optimizer: ${(e as Error).message}`);
      }
      checkSource(cp.source, config, batch);
    }
    return cp;
  } catch (e) {
    return bad((e as Error).message);
  }
}
