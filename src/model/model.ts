import type { Cell } from '../cells/cell.ts';
import { Readout } from '../cells/readout.ts';
import { allCellOptionNames, cellDefinition, checkCell, createCell, type CellOptionFields, type CellType } from '../cells/registry.ts';
import { Synthesiser } from './synthesiser.ts';
import { checkDType, type DType } from '../tensor/dtype.ts';
import { Rng } from '../rng.ts';
import { checkParamGroup, cloneGroup, type ParamGroup } from '../tensor/params.ts';
import { checkInt, checkFinite, checkOptions, describe, fail } from '../validate.ts';
import { allocating } from '../memory.ts';

/** The three parameter groups every learner and optimizer works with. */
export interface ModelGroups {
  cell: ParamGroup;
  readout: ParamGroup;
  synthesiser: ParamGroup;
}

/** A recurrent cell, its linear readout and its linear synthesiser. */
export class Model {
  constructor(
    readonly cell: Cell,
    readonly readout: Readout,
    readonly synthesiser: Synthesiser,
  ) {
    checkCell(cell, 'Model: cell');
    if (!(readout instanceof Readout)) fail('Model: readout', 'a Readout (new Readout(hiddenSize, outputSize))', readout);
    if (!(synthesiser instanceof Synthesiser)) fail('Model: synthesiser', 'a Synthesiser (new Synthesiser(stateSize))', synthesiser);
    if (readout.hiddenSize !== cell.hiddenSize) {
      throw new Error(`Model: readout hidden size must equal the cell's (${cell.hiddenSize}), received ${readout.hiddenSize}`);
    }
    if (synthesiser.stateSize !== cell.stateSize) {
      throw new Error(`Model: synthesiser state size must equal the cell's (${cell.stateSize}), received ${synthesiser.stateSize}`);
    }
  }

  get dtype(): DType {
    return this.cell.dtype;
  }
  get inputSize(): number {
    return this.cell.inputSize;
  }
  get hiddenSize(): number {
    return this.cell.hiddenSize;
  }
  get stateSize(): number {
    return this.cell.stateSize;
  }
  get outputSize(): number {
    return this.readout.outputSize;
  }

  groups(): ModelGroups {
    return { cell: this.cell.params, readout: this.readout.params, synthesiser: this.synthesiser.params };
  }

  /** A deep copy (parameters included). */
  clone(): Model {
    const c = this.cell;
    const cell = createCell({ type: c.type, inputSize: c.inputSize, hiddenSize: c.hiddenSize, options: c.options, dtype: c.dtype, params: cloneGroup(c.params) }, 'Model.clone: cell.');
    return new Model(
      cell,
      new Readout(c.hiddenSize, this.outputSize, c.dtype, cloneGroup(this.readout.params)),
      new Synthesiser(c.stateSize, c.dtype, cloneGroup(this.synthesiser.params), this.synthesiser.targetScale),
    );
  }
}

/** A Model instance (createModel, modelFromJson, modelFromStateDict, new Model); throws naming `name` otherwise. */
export function checkModel(v: unknown, name: string): Model {
  if (!(v instanceof Model)) fail(name, 'a Model (createModel, modelFromJson, modelFromStateDict)', v);
  return v;
}

/**
 * Gradients of a model's parameters: for each group in `groups`, the names and shapes of the
 * model's own (as learners return them in `SequenceResult.grads`). Throws naming `name`, the
 * group and the key.
 */
export function checkModelGrads(v: unknown, model: Model, name: string, groups: readonly (keyof ModelGroups)[] = ['cell', 'readout', 'synthesiser']): ModelGroups {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(name, '{ cell, readout, synthesiser } (gradients shaped as model.groups())', v);
  const params = model.groups();
  for (const g of groups) checkParamGroup((v as Record<string, unknown>)[g], `${name}.${g}`, params[g]);
  return v as ModelGroups;
}

/**
 * What createModel builds. Besides these fields, the spec holds the options of its cell under
 * their names (the vanilla RNN's `activation`, default tanh; see cells/registry.ts).
 */
export interface BaseModelSpec {
  /** a registered cell type: 'rnn' | 'lstm' | 'gru' */
  cell: CellType;
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  /** a signed 32-bit integer, [−2³¹, 2³¹−1]: every seed gives its own model */
  seed: number;
  dtype?: DType;
  /** multiplies W_hh after initialisation (default 1) */
  gain?: number;
}

export type ModelSpec = BaseModelSpec & CellOptionFields;

const SPEC_KEYS = ['cell', 'inputSize', 'hiddenSize', 'outputSize', 'seed', 'dtype', 'gain'] as const;

/**
 * A freshly initialised model: the cell as its definition initialises it (PyTorch's
 * uniform(±1/√H) for every registered cell, W_hh then multiplied by `gain`), the readout
 * uniform(±1/√H), the synthesiser zero. Throws naming the field for an unknown cell, option,
 * size or key.
 */
export function createModel(spec: ModelSpec): Model {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new Error(`createModel: spec: expected an object { cell, inputSize, hiddenSize, outputSize, seed, … } (e.g. { cell: 'lstm', inputSize: 2, hiddenSize: 30, outputSize: 1, seed: 1 }), received ${describe(spec)}`);
  checkOptions(spec, [...SPEC_KEYS, ...allCellOptionNames()], 'createModel');
  const def = cellDefinition(spec.cell, 'createModel: cell');
  const I = checkInt(spec.inputSize, 'createModel: inputSize', 1);
  const H = checkInt(spec.hiddenSize, 'createModel: hiddenSize', 1);
  const O = checkInt(spec.outputSize, 'createModel: outputSize', 1);
  const seed = checkInt(spec.seed, 'createModel: seed', -(2 ** 31), 2 ** 31 - 1);
  const dtype = spec.dtype === undefined ? 'float64' : checkDType(spec.dtype, 'createModel: dtype');
  const gain = spec.gain === undefined ? 1 : checkFinite(spec.gain, 'createModel: gain');
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) if (!(SPEC_KEYS as readonly string[]).includes(k) && v !== undefined) options[k] = v;
  // the parameters' memory: a size beyond it is an error naming hiddenSize, not a bare RangeError
  const n = def.stateSize(H);
  const count = Object.values(def.paramShapes(I, H)).reduce((a, shape) => a + shape.reduce((x, y) => x * y, 1), 0) + O * H + O + n * n + n;
  const bytes = count * (dtype === 'float32' ? 4 : 8);
  const { cell, readout, synthesiser } = allocating(`createModel: hiddenSize: expected a size whose parameters fit in memory, received ${H} (${count} parameters of the ${def.type} with inputSize ${I}, outputSize ${O})`, bytes, () => ({
    cell: createCell({ type: def.type, inputSize: I, hiddenSize: H, options, dtype }, 'createModel: '),
    readout: new Readout(H, O, dtype),
    synthesiser: new Synthesiser(n, dtype),
  }));
  const rng = new Rng(seed);
  def.initialise(cell.params, H, rng, gain);
  const bound = 1 / Math.sqrt(H);
  for (const name of ['W', 'b']) {
    const t = readout.params[name].data;
    for (let i = 0; i < t.length; i++) t[i] = rng.uniform(-bound, bound);
  }
  return new Model(cell, readout, synthesiser);
}
