/**
 * The full check of an entry's checkpoint, on load and before every save: the structure (every
 * field, no unknown one), each value, and the cross-checks against the run's own config: the
 * entry within the sweep, the model's shapes those of the config's model, the optimizer state
 * that of the config's Adam over that model, the source state that of the config's task and
 * consistent with the batch count. A checkpoint that passes can be resumed.
 */
import { modelFromJson } from '../io/model-json.ts';
import type { Model } from '../model/model.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { checkInt, checkNonNegative, describe } from '../validate.ts';
import { checkConfig, sweepEntries, type RunConfig } from './config.ts';
import { buildModel, makeOptimizer, taskContext } from './entry.ts';
import { checkFields } from './tasks/shared.ts';
import { taskSpec } from './tasks/index.ts';
import type { Checkpoint } from './checkpoint.ts';

const CHECKPOINT_KEYS = ['format', 'version', 'config', 'entry', 'batch', 'model', 'optimizer', 'source', 'logOffset', 'trainLoss', 'seconds'] as const;

/** The model of a mid-entry checkpoint: finite, with the shapes of the config's model. */
function checkModelJson(v: unknown, config: RunConfig, seed: number): Model {
  const model = modelFromJson(v, 'float64', 'model');
  const want = buildModel(config, seed);
  if (model.cell.type !== want.cell.type) throw new Error(`model.cell.type: expected ${JSON.stringify(want.cell.type)} (config.cell), received ${JSON.stringify(model.cell.type)}`);
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
    const cp = checkFields(raw, 'checkpoint', CHECKPOINT_KEYS) as unknown as Checkpoint;
    const config = checkConfig(cp.config, 'config');
    const entries = sweepEntries(config);
    const entry = checkInt(cp.entry, 'entry', 0, entries.length - 1);
    const batch = checkInt(cp.batch, 'batch', 1, config.batches);
    checkInt(cp.logOffset, 'logOffset', 0);
    checkNonNegative(cp.seconds, 'seconds');
    const tl = checkFields(cp.trainLoss, 'trainLoss', ['sum', 'count']);
    const count = checkInt(tl.count, 'trainLoss.count', 0);
    if (typeof tl.sum !== 'number' || !Number.isFinite(tl.sum) || (count === 0 && tl.sum !== 0)) throw new Error(`trainLoss.sum: expected a finite number (0 when count is 0), received ${describe(tl.sum)}`);
    if (batch === config.batches) {
      // a finished entry: nothing left to resume
      for (const k of ['model', 'optimizer', 'source'] as const) if (cp[k] !== null) throw new Error(`${k}: expected null once the entry is finished (batch ${batch}), received ${describe(cp[k])}`);
      if (count !== 0) throw new Error(`trainLoss: expected zero once the entry is finished, received ${describe(tl)}`);
    } else {
      const model = checkModelJson(cp.model, config, entries[entry].seed);
      try {
        makeOptimizer(config).setState(cp.optimizer, model.groups());
      } catch (e) {
        throw new Error(`optimizer: ${(e as Error).message}`);
      }
      const ctx = taskContext(config, entries[entry].seed, null);
      taskSpec(config.task).checkSourceState(cp.source, ctx, batch);
    }
    return cp;
  } catch (e) {
    return bad((e as Error).message);
  }
}
