/**
 * gpu.js kernel sources for the GPU backend (gpu-backend.ts). gpu.js translates these
 * functions (from their source text) to GLSL, WebAssembly or JavaScript, so they use its
 * JavaScript subset only: `this.thread`, `this.constants`, numeric loops with constant
 * bounds, indexing of `input(...)` arguments. Every output element is one thread; the
 * host applies alpha and beta (in float64) when copying the float32 result out.
 */

/** What gpu.js binds to `this` inside a kernel. */
export interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: Record<string, number>;
}

type Grid3 = number[][][];
type Grid2 = number[][];

/** Output [cols, n, batch]: (J_b·X_b)[i, c] with J (batch×n×n) dense. */
export function denseTrace(this: KernelThis, J: Grid3, X: Grid3): number {
  const c = this.thread.x;
  const i = this.thread.y;
  const b = this.thread.z;
  let s = 0;
  for (let k = 0; k < this.constants.n; k++) {
    s += J[b][i][k] * X[b][k][c];
  }
  return s;
}

/** Output [cols, n, batch]: d_b[i]·(W·X_b)[i, c], W (n×n) shared by the batch. */
export function diagSharedTrace(this: KernelThis, d: Grid2, W: Grid2, X: Grid3): number {
  const c = this.thread.x;
  const i = this.thread.y;
  const b = this.thread.z;
  let s = 0;
  for (let k = 0; k < this.constants.n; k++) {
    s += W[i][k] * X[b][k][c];
  }
  return d[b][i] * s;
}

/**
 * Output [cols, 2H, batch]: rows i < H are (A_b·X_h + D1_b ⊙ X_c)[i, c], rows i ≥ H are
 * (C_b·X_h + D2_b ⊙ X_c)[i − H, c] (X_h = rows 0..H−1 of X_b, X_c = rows H..2H−1).
 */
export function lstmTrace(this: KernelThis, A: Grid3, C: Grid3, D1: Grid2, D2: Grid2, X: Grid3): number {
  const c = this.thread.x;
  const i = this.thread.y;
  const b = this.thread.z;
  const H = this.constants.H;
  let s = 0;
  if (i < H) {
    for (let k = 0; k < this.constants.H; k++) {
      s += A[b][i][k] * X[b][k][c];
    }
    s += D1[b][i] * X[b][i + H][c];
  } else {
    for (let k = 0; k < this.constants.H; k++) {
      s += C[b][i - H][k] * X[b][k][c];
    }
    s += D2[b][i - H] * X[b][i][c];
  }
  return s;
}

/** Output [N, M]: (A·B)[i, j], A stored M×K, B stored K×N. */
export function gemmNN(this: KernelThis, A: Grid2, B: Grid2): number {
  let s = 0;
  for (let k = 0; k < this.constants.K; k++) {
    s += A[this.thread.y][k] * B[k][this.thread.x];
  }
  return s;
}

/** Output [N, M]: (Aᵀ·B)[i, j], A stored K×M, B stored K×N. */
export function gemmTN(this: KernelThis, A: Grid2, B: Grid2): number {
  let s = 0;
  for (let k = 0; k < this.constants.K; k++) {
    s += A[k][this.thread.y] * B[k][this.thread.x];
  }
  return s;
}

/** Output [N, M]: (A·Bᵀ)[i, j], A stored M×K, B stored N×K. */
export function gemmNT(this: KernelThis, A: Grid2, B: Grid2): number {
  let s = 0;
  for (let k = 0; k < this.constants.K; k++) {
    s += A[this.thread.y][k] * B[this.thread.x][k];
  }
  return s;
}

/** Output [N, M]: (Aᵀ·Bᵀ)[i, j], A stored K×M, B stored N×K. */
export function gemmTT(this: KernelThis, A: Grid2, B: Grid2): number {
  let s = 0;
  for (let k = 0; k < this.constants.K; k++) {
    s += A[k][this.thread.y] * B[this.thread.x][k];
  }
  return s;
}
