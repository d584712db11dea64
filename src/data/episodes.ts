import type { StepRows } from './step-rows.ts';

/**
 * Where every step of a buffered sequence sits in its example's episode, for the offline
 * methods (their windows and targets are per episode). An example's episode is the run of its
 * active steps from its first one (or the first after an episode end) to the next episode end
 * or the end of the sequence; the steps it sits out belong to no episode and are invisible
 * to it. Per step t, B values each:
 */
export interface EpisodeLayout {
  readonly T: number;
  readonly batch: number;
  /** the index of step t in example b's episode (0-based), −1 where b sits t out */
  readonly index: Int32Array[];
  /** the number of steps of that episode, 0 where b sits t out */
  readonly length: Int32Array[];
  /** 1 where step t ends b's episode with g(s_t) := 0 (a terminal flag, or the terminal last step) */
  readonly terminal: Uint8Array[];
  /** 1 where b sits step t out, or null when every example takes part in it */
  readonly held: (Uint8Array | null)[];
}

/**
 * The layout of T steps with per-step flags `rows` (null: an ordinary step for every example);
 * `terminal` says whether the sequence's last step is terminal for every example active at it.
 * Cost O(T·B).
 */
export function episodeLayout(rows: readonly (StepRows | null)[], T: number, B: number, terminal: boolean): EpisodeLayout {
  const index = Array.from({ length: T }, () => new Int32Array(B));
  const length = Array.from({ length: T }, () => new Int32Array(B));
  const ends = Array.from({ length: T }, () => new Uint8Array(B));
  const held = rows.map((r) => (r !== null && r.heldCount > 0 ? r.held : null));
  const open: number[] = []; // the steps of the current episode
  const close = (b: number) => {
    for (const t of open) length[t][b] = open.length;
    open.length = 0;
  };
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const r = rows[t];
      if (r !== null && r.held[b]) {
        index[t][b] = -1;
        continue;
      }
      index[t][b] = open.length;
      open.push(t);
      if ((r !== null && r.terminal[b]) || (terminal && t === T - 1)) {
        ends[t][b] = 1;
        close(b);
      }
    }
    close(b);
  }
  return { T, batch: B, index, length, terminal: ends, held };
}

/** Whether step t of example b (active) is the last of its episode. */
export function endsEpisode(layout: EpisodeLayout, t: number, b: number): boolean {
  return layout.index[t][b] === layout.length[t][b] - 1;
}
