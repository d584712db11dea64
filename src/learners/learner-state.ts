import type { Cell, CellCache } from '../cells/cell.ts';
import type { StepRows } from '../data/step-rows.ts';
import type { Model, ModelGroups } from '../model/model.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { alloc, type Arr, type DType } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import type { ParamGroup } from '../tensor/params.ts';
import { describe } from '../validate.ts';

/**
 * A learner in the middle of a stream as JSON-serialisable data (`learner.getState()`), to be
 * restored with `setState` into a learner of the same method and options over the same model
 * (e.g. one rebuilt with `modelFromJson`), after which every step gives bit-identical numbers.
 *
 * Numbers: every array is a plain array of numbers. float64 values survive JSON exactly
 * (JSON.stringify writes the shortest text that parses back to the same double); a float32
 * model's arrays hold float32 values, written as the float64 numbers they equal and read back
 * exactly (a value that is not a float32 is refused). JSON has no −0: a −0 is read back as +0,
 * which changes the sign of zeros only, never a non-zero number.
 *
 * Versioned: `version` is LEARNER_STATE_VERSION; another version is refused with an error
 * naming both. Everything is checked against the restoring learner (method, options) and its
 * model (sizes, element type) before anything changes; errors name the field.
 */
export interface LearnerState {
  format: typeof LEARNER_STATE_FORMAT;
  version: number;
  /** the learner's method ('bp-lambda', 'rtrl', 'bptt', …) */
  method: string;
  /** the options that give the state its meaning: a learner restores only a state of its own options */
  config: Record<string, string | number | boolean | null>;
  /** the model's shape (its parameters are saved separately, e.g. with modelToJson) */
  model: ModelShape;
  /** the optimizer's name and `getState()`, or null for a learner without one */
  optimizer: { name: string; state: unknown } | null;
  /** the open sequence (see each learner), or null between sequences */
  sequence: ({ batch: number; t: number; terminal: boolean; pendingRestarts: number[] } & Record<string, unknown>) | null;
}

export const LEARNER_STATE_FORMAT = 'bp-lambda/learner-state';
export const LEARNER_STATE_VERSION = 1;

export interface ModelShape {
  cell: string;
  inputSize: number;
  hiddenSize: number;
  stateSize: number;
  outputSize: number;
  dtype: DType;
}

export function modelShape(model: Model): ModelShape {
  const { cell } = model;
  return { cell: cell.type, inputSize: cell.inputSize, hiddenSize: cell.hiddenSize, stateSize: cell.stateSize, outputSize: model.outputSize, dtype: model.dtype };
}

/** An array's values as a plain array (JSON's numbers). */
export function numbers(a: ArrayLike<number>): number[] {
  return Array.from(a);
}

/** Reads a state, checking every field; errors read `${where}: ${path}: expected …, received …`. */
export class StateReader {
  constructor(
    readonly where: string,
    readonly dtype: DType,
  ) {}

  fail(path: string, expected: string, v: unknown): never {
    throw new Error(`${this.where}: ${path}: expected ${expected}, received ${describe(v)}`);
  }

  object(v: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(path, `an object with keys ${keys.join(', ')}`, v);
    const o = v as Record<string, unknown>;
    for (const k of keys) if (!(k in o)) this.fail(`${path}.${k}`, 'a value (missing key)', undefined);
    for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Error(`${this.where}: ${path}: unknown key ${JSON.stringify(k)} (known: ${keys.join(', ')})`);
    return o;
  }

  int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`, v);
    return v as number;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'a boolean', v);
    return v as boolean;
  }

  number(v: unknown, path: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(path, 'a finite number', v);
    return v as number;
  }

  list(v: unknown, path: string, length?: number, max?: number): unknown[] {
    if (!Array.isArray(v) || (length !== undefined && v.length !== length) || (max !== undefined && v.length > max)) {
      this.fail(path, length !== undefined ? `an array of length ${length}` : max !== undefined ? `an array of at most ${max} entries` : 'an array', v);
    }
    return v as unknown[];
  }

  /** `length` finite numbers, as an array of the model's element type (float32: exactly representable values). */
  array(v: unknown, path: string, length: number, dtype: DType = this.dtype): Arr {
    const a = this.list(v, path, length);
    const out = alloc(dtype, length);
    for (let i = 0; i < length; i++) {
      const x = a[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(`${path}[${i}]`, 'a finite number', x);
      out[i] = x as number;
      if (out[i] !== x) this.fail(`${path}[${i}]`, 'a float32 value (the model is float32)', x);
    }
    return out;
  }

  /** B flags, each 0 or 1. */
  flags(v: unknown, path: string, length: number): Uint8Array {
    const a = this.list(v, path, length);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      if (a[i] !== 0 && a[i] !== 1) this.fail(`${path}[${i}]`, '0 or 1', a[i]);
      out[i] = a[i] as number;
    }
    return out;
  }

  /** Parameter-shaped arrays: every tensor of `like` by name, with its size. */
  group(v: unknown, path: string, like: ParamGroup): Record<string, Arr> {
    const o = this.object(v, path, Object.keys(like));
    return Object.fromEntries(Object.entries(like).map(([k, t]) => [k, this.array(o[k], `${path}.${k}`, t.size)]));
  }

  groups(v: unknown, path: string, like: ModelGroups): Record<keyof ModelGroups, Record<string, Arr>> {
    const o = this.object(v, path, ['cell', 'readout', 'synthesiser']);
    return { cell: this.group(o.cell, `${path}.cell`, like.cell), readout: this.group(o.readout, `${path}.readout`, like.readout), synthesiser: this.group(o.synthesiser, `${path}.synthesiser`, like.synthesiser) };
  }

  /** A cell cache of `batch` examples: every array of the cell's cache, by name and length. */
  cache(v: unknown, path: string, cell: Cell, batch: number): CellCache {
    const cache = cell.createCache(batch);
    const arrays = cacheArrays(cache);
    const o = this.object(v, path, Object.keys(arrays));
    for (const [k, a] of Object.entries(arrays)) a.set(this.array(o[k], `${path}.${k}`, a.length));
    return cache;
  }

  /** A state Jacobian of `batch` examples in the cell's own form (checked against a fresh one). */
  jacobian(v: unknown, path: string, cell: Cell, batch: number): Jacobian {
    const like = cell.jacobian(cell.createCache(batch));
    if (like.kind === 'dense') {
      const o = this.object(v, path, ['kind', 'data']);
      if (o.kind !== 'dense') this.fail(`${path}.kind`, '"dense" (the cell\'s form)', o.kind);
      return { kind: 'dense', batch, n: like.n, data: this.array(o.data, `${path}.data`, batch * like.n * like.n) };
    }
    const o = this.object(v, path, ['kind', 'weights', 'terms', 'diagonals']);
    if (o.kind !== 'structured') this.fail(`${path}.kind`, '"structured" (the cell\'s form)', o.kind);
    const m = like.block;
    const terms = this.list(o.terms, `${path}.terms`, like.terms.length);
    const diagonals = this.list(o.diagonals, `${path}.diagonals`, like.diagonals.length);
    return {
      kind: 'structured',
      batch,
      n: like.n,
      block: m,
      weights: this.array(o.weights, `${path}.weights`, like.weights.length),
      terms: like.terms.map((q, i) => ({ row: q.row, col: q.col, weight: q.weight, scale: this.array(terms[i], `${path}.terms[${i}]`, batch * m) })),
      diagonals: like.diagonals.map((q, i) => ({ row: q.row, col: q.col, scale: this.array(diagonals[i], `${path}.diagonals[${i}]`, batch * m) })),
    };
  }

  /** A step's per-example flags, or null. */
  rows(v: unknown, path: string, batch: number): StepRows | null {
    if (v === null) return null;
    const o = this.object(v, path, ['held', 'restart', 'terminal']);
    const held = this.flags(o.held, `${path}.held`, batch);
    const restart = this.flags(o.restart, `${path}.restart`, batch);
    const terminal = this.flags(o.terminal, `${path}.terminal`, batch);
    const count = (a: Uint8Array) => a.reduce((s, x) => s + x, 0);
    return { batch, held, restart, terminal, heldCount: count(held), restartCount: count(restart) };
  }
}

/** The typed arrays of a cell cache, by name. */
function cacheArrays(cache: CellCache): Record<string, Arr> {
  const out: Record<string, Arr> = {};
  for (const [k, v] of Object.entries(cache)) if (v instanceof Float64Array || v instanceof Float32Array) out[k] = v;
  return out;
}

export function cacheJson(cache: CellCache): Record<string, number[]> {
  return Object.fromEntries(Object.entries(cacheArrays(cache)).map(([k, a]) => [k, numbers(a)]));
}

export function jacobianJson(J: Jacobian): unknown {
  if (J.kind === 'dense') return { kind: 'dense', data: numbers(J.data.subarray(0, J.batch * J.n * J.n)) };
  const per = J.batch * J.block;
  return { kind: 'structured', weights: numbers(J.weights), terms: J.terms.map((q) => numbers(q.scale.subarray(0, per))), diagonals: J.diagonals.map((q) => numbers(q.scale.subarray(0, per))) };
}

export function rowsJson(r: StepRows | null): unknown {
  return r === null ? null : { held: numbers(r.held), restart: numbers(r.restart), terminal: numbers(r.terminal) };
}

export function groupsJson(g: ModelGroups): Record<keyof ModelGroups, Record<string, number[]>> {
  const group = (p: ParamGroup) => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, numbers(t.data)]));
  return { cell: group(g.cell), readout: group(g.readout), synthesiser: group(g.synthesiser) };
}

/**
 * Checks a state's header against the restoring learner (format, version, method, config,
 * model) and its optimizer's presence and name; returns the state as an object.
 */
/**
 * Config keys added to version 1 after its first release: a state saved without one (by an
 * earlier release) is read as before, that key unchecked. `targetScale`: the synthesiser's ρ
 * of the synthetic-gradient learners (sg, bp-lambda, lambda-sg), whose traces and targets are
 * in ρ's units.
 */
const ADDED_CONFIG_KEYS: readonly string[] = ['targetScale'];

export function checkHeader(state: unknown, r: StateReader, method: string, config: LearnerState['config'], model: Model, optimizer: Optimizer | undefined): Record<string, unknown> {
  const o = r.object(state, 'state', ['format', 'version', 'method', 'config', 'model', 'optimizer', 'sequence']);
  if (o.format !== LEARNER_STATE_FORMAT) r.fail('state.format', JSON.stringify(LEARNER_STATE_FORMAT), o.format);
  if (o.version !== LEARNER_STATE_VERSION) r.fail('state.version', `${LEARNER_STATE_VERSION} (this version of bp-lambda reads learner states of version ${LEARNER_STATE_VERSION} only)`, o.version);
  if (o.method !== method) r.fail('state.method', `${JSON.stringify(method)} (this learner's)`, o.method);
  const saved = o.config !== null && typeof o.config === 'object' ? (o.config as Record<string, unknown>) : {};
  const keys = Object.keys(config).filter((k) => !(ADDED_CONFIG_KEYS.includes(k) && !(k in saved)));
  const c = r.object(o.config, 'state.config', keys);
  for (const k of keys) if (c[k] !== config[k]) r.fail(`state.config.${k}`, `${JSON.stringify(config[k])} (this learner's${k === 'targetScale' ? ": its model's synthesiser target scale ρ" : ''})`, c[k]);
  const shape = modelShape(model);
  const m = r.object(o.model, 'state.model', Object.keys(shape));
  for (const [k, want] of Object.entries(shape)) if (m[k] !== want) r.fail(`state.model.${k}`, `${JSON.stringify(want)} (the model's)`, m[k]);
  if (optimizer === undefined) {
    if (o.optimizer !== null) r.fail('state.optimizer', 'null (this learner has no optimizer)', o.optimizer);
  } else {
    const opt = r.object(o.optimizer, 'state.optimizer', ['name', 'state']);
    if (opt.name !== optimizer.name) r.fail('state.optimizer.name', `${JSON.stringify(optimizer.name)} (this learner's optimizer)`, opt.name);
  }
  return o;
}

/** The part of a sequence every learner saves: its batch size, step count, terminal flag and pending restarts. */
export interface SequenceHead {
  batch: number;
  t: number;
  terminal: boolean;
  pendingRestarts: Uint8Array;
}

export function readSequenceHead(seq: Record<string, unknown>, r: StateReader): SequenceHead {
  const batch = r.int(seq.batch, 'state.sequence.batch', 1);
  return { batch, t: r.int(seq.t, 'state.sequence.t', 0), terminal: r.bool(seq.terminal, 'state.sequence.terminal'), pendingRestarts: r.flags(seq.pendingRestarts, 'state.sequence.pendingRestarts', batch) };
}

/**
 * Installs a decoded state: the optimizer's state first (its own checks; on failure nothing
 * has changed), then `install` (allocation and copies); if that fails the optimizer gets its
 * old state back, so a refused state leaves learner and optimizer as they were.
 */
export function installState(optimizer: Optimizer | undefined, optimizerState: unknown, model: Model, install: () => void): void {
  const before = optimizer?.getState();
  if (optimizer) optimizer.setState((optimizerState as { state: unknown }).state, model.groups());
  try {
    install();
  } catch (e) {
    if (optimizer) optimizer.setState(before, model.groups());
    throw e;
  }
}
