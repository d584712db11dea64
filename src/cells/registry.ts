/**
 * The cell registry. Adding a cell is one file in src/cells/ that exports a `CellDefinition`
 * (cell.ts) and one entry in `CELLS` below; model JSON, createModel, Model.clone, `grads`,
 * `run`, the web page and the property tests find it here.
 */
import { checkDType, type DType } from '../tensor/dtype.ts';
import { checkParamGroup, type ParamGroup } from '../tensor/params.ts';
import { checkInt, checkOneOf, describe, fail } from '../validate.ts';
import type { Cell, CellDefinition, CellOptions } from './cell.ts';
import { gruCell } from './gru.ts';
import { lstmCell } from './lstm.ts';
import { rnnCell } from './rnn.ts';

export const CELLS = [rnnCell, lstmCell, gruCell] as const;

/** 'rnn' | 'lstm' | 'gru': the registered type names. */
export type CellType = (typeof CELLS)[number]['type'];
export const CELL_TYPES: readonly CellType[] = CELLS.map((d) => d.type);

type OptionsOf<D> = D extends CellDefinition<string, infer O> ? O : never;
type Intersect<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** Every registered cell option as an optional field ({ activation?: Activation }), for specs that name the cell beside its options. */
export type CellOptionFields = Partial<Intersect<OptionsOf<(typeof CELLS)[number]>>>;

/** The definition of a registered cell type; throws naming `name` for anything else. */
export function cellDefinition(type: unknown, name = 'cell'): CellDefinition {
  const t = checkOneOf(type, CELL_TYPES, name);
  return CELLS.find((d) => d.type === t)! as CellDefinition;
}

/** The option names of every registered cell (createModel's and model JSON's possible extra keys). */
export function allCellOptionNames(): string[] {
  return [...new Set(CELLS.flatMap((d) => Object.keys(d.options)))];
}

/**
 * The complete options of a cell from the given ones: each validated against the definition,
 * the default where absent unless `required`. Errors name `${at}${option}` (at = "model.cell.",
 * "createModel: ").
 */
export function resolveCellOptions(def: CellDefinition, given: Readonly<Record<string, unknown>>, at: string, required = false): CellOptions {
  const known = Object.keys(def.options);
  for (const k of Object.keys(given)) {
    if (!known.includes(k)) {
      const has = known.length ? `its options: ${known.join(', ')}` : 'it has no options';
      throw new Error(`${at}${k}: the ${def.type} cell has no option ${JSON.stringify(k)} (${has}), received ${describe(given[k])}`);
    }
  }
  const out: Record<string, string> = {};
  for (const [k, opt] of Object.entries(def.options)) {
    if (given[k] === undefined && !required) out[k] = opt.default;
    else out[k] = checkOneOf(given[k], opt.values, `${at}${k}`);
  }
  return out;
}

const CELL_METHODS = ['createCache', 'forward', 'jacobian', 'vjpState', 'vjpParams', 'vjpParamsRows', 'hiddenToState'] as const;

/** An object with the Cell interface's methods (a registered cell: model.cell, createCell(...)); throws naming `name` otherwise. */
export function checkCell(v: unknown, name: string): Cell {
  const c = v as Record<string, unknown> | null;
  if (c === null || typeof c !== 'object' || CELL_METHODS.some((m) => typeof c[m] !== 'function')) fail(name, 'a Cell (model.cell, createCell(...))', v);
  return v as Cell;
}

/**
 * A cell of a registered type: options resolved (defaults filled in), parameters, when given,
 * checked against the definition's names, shapes and dtype. Errors name `${at}${field}`.
 */
export function createCell(
  spec: { type: unknown; inputSize: number; hiddenSize: number; options?: Readonly<Record<string, unknown>>; dtype: DType; params?: ParamGroup },
  at = 'createCell: spec.',
): Cell {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) fail('createCell: spec', 'an object { type, inputSize, hiddenSize, dtype, options?, params? }', spec);
  const def = cellDefinition(spec.type, `${at}type`);
  checkInt(spec.inputSize, `${at}inputSize`, 1);
  checkInt(spec.hiddenSize, `${at}hiddenSize`, 1);
  checkDType(spec.dtype, `${at}dtype`);
  const options = resolveCellOptions(def, spec.options ?? {}, at);
  if (spec.params !== undefined) {
    checkParamGroup(spec.params, `${at}params`);
    const shapes = def.paramShapes(spec.inputSize, spec.hiddenSize);
    const names = Object.keys(shapes);
    const got = Object.keys(spec.params);
    if (got.length !== names.length || !names.every((k) => got.includes(k))) throw new Error(`${at}params: the ${def.type} cell's parameters are ${names.join(', ')}, received ${got.join(', ')}`);
    for (const k of names) {
      const t = spec.params[k];
      if (t.shape.length !== shapes[k].length || t.shape.some((d, i) => d !== shapes[k][i])) throw new Error(`${at}${k}: expected shape [${shapes[k].join(', ')}], received [${t.shape.join(', ')}]`);
      if (t.dtype !== spec.dtype) throw new Error(`${at}${k}: expected ${spec.dtype} data, received ${t.dtype}`);
    }
  }
  return def.create(spec.inputSize, spec.hiddenSize, options, spec.dtype, spec.params);
}

/** A registered cell with one choice of every option, named e.g. "rnn-tanh", "lstm", "gru". */
export interface CellVariant {
  readonly type: CellType;
  readonly options: CellOptions;
  readonly name: string;
}

/** Every registered cell under every combination of its option values (for tests and pickers). */
export function cellVariants(): CellVariant[] {
  const out: CellVariant[] = [];
  for (const def of CELLS as readonly CellDefinition[]) {
    let combos: Record<string, string>[] = [{}];
    for (const [k, opt] of Object.entries(def.options)) combos = combos.flatMap((c) => opt.values.map((v) => ({ ...c, [k]: v })));
    for (const options of combos) out.push({ type: def.type as CellType, options, name: [def.type, ...Object.values(options)].join('-') });
  }
  return out;
}
