import type { Arr, DType } from '../tensor/dtype.ts';
import type { Jacobian } from '../tensor/jacobian.ts';
import type { ParamGroup } from '../tensor/params.ts';
import type { Rng } from '../rng.ts';

/**
 * What one forward step leaves behind for its local derivatives. Buffers are owned by the
 * cache and reused when the cache is reused; x and s_prev are copies, so the caller may
 * overwrite its own arrays after `forward`.
 */
export interface CellCache {
  readonly batch: number;
  /** x_t, B×I */
  readonly x: Arr;
  /** s_{t-1}, B×n */
  readonly sPrev: Arr;
  /** s_t, B×n */
  readonly s: Arr;
  /** h_t, B×H: the part of the state the readout sees */
  readonly h: Arr;
}

/**
 * Copies every array of one cache into another of the same cell and batch size (a step kept for
 * later, as the blocked RTRL computation keeps its window of steps).
 */
export function copyCellCache<C extends CellCache>(from: C, into: C): void {
  for (const [k, v] of Object.entries(from)) {
    if (v instanceof Float64Array || v instanceof Float32Array) ((into as unknown as Record<string, Arr>)[k]).set(v);
  }
}

/** A cell's options by name (the vanilla RNN's `activation`); values are strings. */
export type CellOptions = Readonly<Record<string, string>>;

/**
 * A recurrent cell s_t = F(x_t, s_{t-1}; Ψ) over a batch, with its hand-written local
 * derivatives (MATH.md §2). All state quantities are per example (no 1/B).
 */
export interface Cell<C extends CellCache = CellCache> {
  /** the registry's type name ('rnn', 'lstm', 'gru', …; see cells/registry.ts) */
  readonly type: string;
  /** the cell's options, complete (every option its definition declares) */
  readonly options: CellOptions;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** n: H for the vanilla RNN and the GRU, 2H for the LSTM (s = [h; c]) */
  readonly stateSize: number;
  readonly dtype: DType;
  /** Ψ in PyTorch layout, named and shaped as the definition's `paramShapes` */
  readonly params: ParamGroup;

  createCache(batch: number): C;
  /** s_t = F(x_t, s_{t-1}); fills cache.s and cache.h. */
  forward(x: Arr, sPrev: Arr, cache: C): void;
  /** J_t = ∂s_t/∂s_{t-1} for every example, in the structured form (views into the cache). */
  jacobian(cache: C): Jacobian;
  /** out_b = v_b·J_t (row vector times Jacobian), per example: the BPTT step. out may alias v. */
  vjpState(cache: C, v: Arr, out: Arr): void;
  /** grads += scale·Σ_b v_b·(∂s_t/∂Ψ)_loc (s_{t-1} held fixed). Reads the cache, not Ψ. */
  vjpParams(cache: C, v: Arr, grads: ParamGroup, scale: number): void;
  /**
   * The same products per row, unsummed: V holds R row vectors per example (batch·R × n, row
   * i of example b at b·R + i) and out[(b·R + i)·P ..] receives V_{b,i}·(∂s_t/∂Ψ)_loc of example
   * b, flattened row-major in `params` order (P = the parameter count). R = n with identity
   * rows gives (∂s_t/∂Ψ)_loc itself (RTRL). Reads the cache, not Ψ.
   */
  vjpParamsRows(cache: C, V: Arr, R: number, out: Arr): void;
  /** Embed a gradient on h (B×H) as a gradient on s (B×n): [dh; 0] for the LSTM. */
  hiddenToState(dh: Arr, out: Arr, batch: number): void;
}

/** One option of a cell: a choice among strings. */
export interface CellOption<V extends string = string> {
  readonly values: readonly V[];
  /** the value createModel and `run` use when the option is not given (model JSON always states it) */
  readonly default: V;
  /** one line for help texts */
  readonly help: string;
}

/**
 * Everything the library needs to know about a kind of cell, registered in cells/registry.ts:
 * model JSON reading and writing, createModel, Model.clone, `grads`, `run`, the web page and
 * the property tests find cells through it.
 */
export interface CellDefinition<T extends string = string, O extends CellOptions = CellOptions> {
  /** model JSON's `cell.type` and createModel's `cell` */
  readonly type: T;
  /** one line for help texts, e.g. "GRU (PyTorch nn.GRU, gates r, z, n)" */
  readonly description: string;
  /** the options; in model JSON each is a key beside `type`, in createModel a key of the spec */
  readonly options: { readonly [K in keyof O]: CellOption<O[K]> };
  /** Ψ: parameter names and shapes in PyTorch layout, in JSON and initialisation order */
  paramShapes(inputSize: number, hiddenSize: number): Readonly<Record<string, readonly number[]>>;
  /** n, the size of the state s_t */
  stateSize(hiddenSize: number): number;
  /** A cell over these parameters (zeros when absent). Options are complete and valid, shapes checked. */
  create(inputSize: number, hiddenSize: number, options: O, dtype: DType, params?: ParamGroup): Cell;
  /** Initialises freshly created parameters in place, drawing from rng; gain multiplies W_hh. */
  initialise(params: ParamGroup, hiddenSize: number, rng: Rng, gain: number): void;
}
