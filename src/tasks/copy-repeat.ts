/**
 * Copy-repeat task with a curriculum (docs/EXPERIMENTS.md §3).
 *
 * Input 10 channels = 8 pattern bits, start flag (channel 8), repeat channel (channel 9).
 * Output 9 channels = 8 pattern bits, end flag (channel 8). T = (R+1)·N + 3:
 *   t = 0           input: start flag = 1                  target: none
 *   t = 1..N        input: the pattern (row t−1)           target: none
 *   t = N+1         input: repeat channel = R/10           target: none
 *   t = N+2..T−2    input: 0                               target: the pattern tiled R times
 *   t = T−1         input: 0                               target: end flag = 1
 * Loss: sigmoid BCE over all 9 channels on the output steps t ≥ N+2 only (y is null before).
 */
import type { Rng } from '../rng.ts';
import type { SeqBatch } from '../data/batch.ts';
import { alloc, checkDType, type Arr, type DType } from '../tensor/dtype.ts';
import { checkInt, checkObject, checkPositive, checkRng, fail } from '../validate.ts';

const COPY_REPEAT_BITS = 8;
export const COPY_REPEAT_INPUT_SIZE = COPY_REPEAT_BITS + 2;
export const COPY_REPEAT_OUTPUT_SIZE = COPY_REPEAT_BITS + 1;
/** Input channel of the start flag. */
const START_CHANNEL = COPY_REPEAT_BITS;
/** Input channel carrying R/10. */
const REPEAT_CHANNEL = COPY_REPEAT_BITS + 1;
/** Output channel of the end flag. */
const END_CHANNEL = COPY_REPEAT_BITS;
/** Default curriculum threshold, in bits per output entry. */
export const DEFAULT_CURRICULUM_THRESHOLD = 0.15;

/** A copy-repeat batch plus its patterns: `patterns[(b·N + i)·8 + k]` is bit k of row i of example b. */
export interface CopyRepeatBatch extends SeqBatch {
  readonly N: number;
  readonly R: number;
  readonly patterns: Uint8Array;
}

const CONTEXT = 'copy-repeat';

/** Sequence length of a copy-repeat example: T = (R+1)·N + 3. */
export function copyRepeatLength(N: number, R: number): number {
  checkInt(N, `${CONTEXT}: N`, 1);
  checkInt(R, `${CONTEXT}: R`, 1);
  return (R + 1) * N + 3;
}

/** Draws B copy-repeat examples with pattern length N and R repeats (uniform random bits). */
export function copyRepeatBatch(rng: Rng, B: number, N: number, R: number, dtype: DType = 'float64'): CopyRepeatBatch {
  checkRng(rng, `${CONTEXT}: rng`);
  checkInt(B, `${CONTEXT}: B`, 1);
  const T = copyRepeatLength(N, R);
  checkDType(dtype, `${CONTEXT}: dtype`);
  const I = COPY_REPEAT_INPUT_SIZE;
  const O = COPY_REPEAT_OUTPUT_SIZE;
  const bits = COPY_REPEAT_BITS;

  const patterns = new Uint8Array(B * N * bits);
  for (let i = 0; i < patterns.length; i++) patterns[i] = rng.next() < 0.5 ? 1 : 0;
  const bit = (b: number, row: number, k: number): number => patterns[(b * N + row) * bits + k];

  const x = Array.from({ length: T }, () => alloc(dtype, B * I));
  const y: (Arr | null)[] = Array.from({ length: T }, (_, t) => (t >= N + 2 ? alloc(dtype, B * O) : null));
  for (let b = 0; b < B; b++) {
    x[0][b * I + START_CHANNEL] = 1;
    for (let row = 0; row < N; row++) {
      for (let k = 0; k < bits; k++) x[1 + row][b * I + k] = bit(b, row, k);
    }
    x[N + 1][b * I + REPEAT_CHANNEL] = R / 10;
    for (let t = N + 2; t <= T - 2; t++) {
      const row = (t - N - 2) % N;
      const target = y[t]!;
      for (let k = 0; k < bits; k++) target[b * O + k] = bit(b, row, k);
    }
    y[T - 1]![b * O + END_CHANNEL] = 1;
  }
  return { T, B, inputSize: I, outputSize: O, loss: 'sigmoid-bce', x, y, N, R, patterns };
}

/** Converts a mean BCE in nats to bits per output entry: BCE / ln 2. */
export function bitsPerOutput(bceNatsMean: number): number {
  if (typeof bceNatsMean !== 'number' || Number.isNaN(bceNatsMean) || bceNatsMean < 0) {
    fail(`${CONTEXT}: bceNatsMean`, 'a number ≥ 0', bceNatsMean);
  }
  return bceNatsMean / Math.LN2;
}

/** One curriculum advance: after batch `batch` the task moved to (N, R), of length T. */
export interface CurriculumAdvance {
  readonly batch: number;
  readonly N: number;
  readonly R: number;
  readonly T: number;
}

/** Serialisable curriculum state (for checkpoints). */
export interface CurriculumState {
  threshold: number;
  N: number;
  R: number;
  advances: CurriculumAdvance[];
}

/** The (N, R) that follows (N, R) on an advance: R += 1 if R < N, else N += 1. */
export function nextLevel(N: number, R: number): { N: number; R: number } {
  return R < N ? { N, R: R + 1 } : { N: N + 1, R };
}

/**
 * The copy-repeat curriculum: starts at N = R = 1; after every batch, `observe` advances when
 * that batch's mean loss in bits is below the threshold (default 0.15).
 */
export class Curriculum {
  readonly threshold: number;
  private level: { N: number; R: number } = { N: 1, R: 1 };
  private readonly log: CurriculumAdvance[] = [];

  constructor(options: { threshold?: number } = {}) {
    checkObject(options, 'curriculum: options');
    this.threshold = checkPositive(options.threshold ?? DEFAULT_CURRICULUM_THRESHOLD, 'curriculum: threshold');
  }

  /** Current pattern length. */
  get N(): number {
    return this.level.N;
  }

  /** Current number of repeats. */
  get R(): number {
    return this.level.R;
  }

  /** Current sequence length (R+1)·N + 3. */
  get T(): number {
    return (this.level.R + 1) * this.level.N + 3;
  }

  /** Every advance so far, oldest first. */
  get advances(): readonly CurriculumAdvance[] {
    return this.log.slice();
  }

  /** Records batch `batchIndex`'s mean loss in bits; advances when it is below the threshold. Returns whether it advanced. */
  observe(batchIndex: number, meanLossBits: number): boolean {
    const last = this.log[this.log.length - 1];
    checkInt(batchIndex, 'curriculum: batchIndex', last ? last.batch + 1 : 0);
    if (typeof meanLossBits !== 'number' || Number.isNaN(meanLossBits) || meanLossBits < 0) {
      fail('curriculum: meanLossBits', 'a number ≥ 0', meanLossBits);
    }
    if (!(meanLossBits < this.threshold)) return false;
    this.level = nextLevel(this.level.N, this.level.R);
    this.log.push({ batch: batchIndex, N: this.N, R: this.R, T: this.T });
    return true;
  }

  /** A plain-object copy of the state, JSON-safe. */
  getState(): CurriculumState {
    return { threshold: this.threshold, N: this.N, R: this.R, advances: this.log.map((a) => ({ ...a })) };
  }

  /** Restores a curriculum from `getState()`; checks that the advances replay the rule from (1, 1) to (N, R). */
  static fromState(state: CurriculumState): Curriculum {
    const context = 'curriculum state';
    checkObject(state, `${context}: state`);
    const curriculum = new Curriculum({ threshold: checkPositive(state.threshold, `${context}: threshold`) });
    checkInt(state.N, `${context}: N`, 1);
    checkInt(state.R, `${context}: R`, 1, state.N);
    if (!Array.isArray(state.advances)) fail(`${context}: advances`, 'an array', state.advances);
    let level = { N: 1, R: 1 };
    let previousBatch = -1;
    state.advances.forEach((advance, i) => {
      const name = `advances[${i}]`;
      checkObject(advance, `${context}: ${name}`);
      checkInt(advance.batch, `${context}: ${name}.batch`, previousBatch + 1);
      level = nextLevel(level.N, level.R);
      const T = (level.R + 1) * level.N + 3;
      if (advance.N !== level.N || advance.R !== level.R || advance.T !== T) {
        fail(`${context}: ${name}`, `{ N: ${level.N}, R: ${level.R}, T: ${T} } (the rule's next level)`, `{ N: ${advance.N}, R: ${advance.R}, T: ${advance.T} }`);
      }
      previousBatch = advance.batch;
    });
    if (level.N !== state.N || level.R !== state.R) {
      fail(`${context}: N, R`, `${level.N}, ${level.R} (the level the advances reach)`, `${state.N}, ${state.R}`);
    }
    curriculum.level = level;
    curriculum.log.push(...state.advances.map((a) => ({ batch: a.batch, N: a.N, R: a.R, T: a.T })));
    return curriculum;
  }
}
