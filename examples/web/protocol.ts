/** Messages between the page (app.ts) and a training worker (worker.ts). */
import type { CellType } from '../../src/index.ts';

export type BackendChoice = 'js' | 'webgl2';

/** One training run: one λ, trained online on the toy alignment task. */
export interface RunConfig {
  lambda: number;
  gamma: number;
  /** sequence length */
  T: number;
  /** the recurrent cell: a registered type and its options (a `cellVariants()` entry) */
  cell: { type: CellType; options: Readonly<Record<string, string>>; name: string };
  hidden: number;
  /** number of pattern → point pairs of the toy task */
  K: number;
  batch: number;
  /** Adam learning rate of the synthesiser */
  lr: number;
  /** Adam learning rate of the cell and readout (0: fixed network, only the synthesiser learns) */
  rnnLr: number;
  backend: BackendChoice;
  /** stop after this many training sequences */
  maxSequences: number;
  /** measure alignment every this many sequences */
  evalEvery: number;
  seed: number;
}

export type ToWorker = { type: 'init'; config: RunConfig } | { type: 'start' } | { type: 'pause' };

export interface ProgressPoint {
  /** training sequences done */
  seq: number;
  /** mean training loss over the sequences since the previous point */
  loss: number;
  /** alignment (MATH.md §5) on a held-out batch: mean over t < T of the per-step cosine */
  alignment: number;
  /** whole-sequence cosine */
  whole: number;
}

export type FromWorker =
  | { type: 'ready'; lambda: number; backend: string }
  | { type: 'progress'; lambda: number; seq: number; points: ProgressPoint[]; msPerSequence: number }
  | { type: 'paused'; lambda: number; seq: number }
  | { type: 'done'; lambda: number; seq: number }
  | { type: 'error'; lambda: number; message: string };
