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

/**
 * Output [cols, n, batch]: s_b[i]·(Σ_{k<K} L[i][k]·X_b[k, c] + g_b[i]·X_b[dr[i], c]) with the
 * left operand L (n×K) shared by the batch (a structured Jacobian's shared plan, jacobian.ts).
 */
export function sharedLeftTrace(this: KernelThis, L: Grid2, s: Grid2, g: Grid2, dr: number[], X: Grid3): number {
  const c = this.thread.x;
  const i = this.thread.y;
  const b = this.thread.z;
  let acc = 0;
  for (let k = 0; k < this.constants.K; k++) {
    acc += L[i][k] * X[b][k][c];
  }
  acc += g[b][i] * X[b][dr[i]][c];
  return s[b][i] * acc;
}

/**
 * Output [cols, n, batch]: Σ_{k<K} L_b[i][k]·X_b[k, c] + g_b[i]·X_b[dr[i], c] with one left
 * operand per example (a structured Jacobian's per-example plan, jacobian.ts).
 */
export function perExampleLeftTrace(this: KernelThis, L: Grid3, g: Grid2, dr: number[], X: Grid3): number {
  const c = this.thread.x;
  const i = this.thread.y;
  const b = this.thread.z;
  let acc = 0;
  for (let k = 0; k < this.constants.K; k++) {
    acc += L[b][i][k] * X[b][k][c];
  }
  return acc + g[b][i] * X[b][dr[i]][c];
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
