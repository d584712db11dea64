/**
 * Independent float64 reference for the tensor kernels, random problem generators, and
 * the fast-check properties every backend must satisfy. The reference is deliberately
 * naive: one float64 dot product per output element, written from the definitions in
 * src/tensor/backend.ts and src/tensor/jacobian.ts, sharing no code with the backends.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Backend } from '../../src/tensor/backend.ts';
import type { Arr, DType } from '../../src/tensor/dtype.ts';
import type { Jacobian } from '../../src/tensor/jacobian.ts';

/**
 * The Jacobians the properties draw: dense; structured with one term per row block (the
 * shared plan, as a vanilla RNN); structured with several terms in one column block and
 * diagonals in another (as an LSTM over [h; c]); structured with diagonals inside the terms'
 * columns (as a GRU); and structured with a random layout of blocks, terms and diagonals
 * (every plan, conflicts included).
 */
export type Form = 'dense' | 'one-term' | 'gated' | 'folded' | 'random';
export const FORMS: readonly Form[] = ['dense', 'one-term', 'gated', 'folded', 'random'];

/** A small seeded generator (mulberry32): uniform in [−1, 1), with some exact zeros. */
export function filler(seed: number, zeroFraction = 0): (a: Arr) => Arr {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (a) => {
    for (let i = 0; i < a.length; i++) a[i] = next() < zeroFraction ? 0 : 2 * next() - 1;
    return a;
  };
}

export function make(dtype: DType, length: number): Arr {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

// ---------------------------------------------------------------------------------------
// Reference loops (float64)

/** C ← alpha·op(A)·op(B) + beta·C, with the per-element error scale |alpha|·Σ|a·b| + |beta·c|. */
export function refGemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr): { value: Float64Array; bound: Float64Array } {
  const value = new Float64Array(M * N);
  const bound = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let m = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * M + i] : A[i * K + k];
        const b = transB ? B[j * K + k] : B[k * N + j];
        s += a * b;
        m += Math.abs(a * b);
      }
      const c = beta === 0 ? 0 : beta * C[i * N + j];
      value[i * N + j] = alpha * s + c;
      bound[i * N + j] = Math.abs(alpha) * m + Math.abs(c);
    }
  }
  return { value, bound };
}

/** J_b[i][k] from the definition of each form (jacobian.ts); with `abs`, the sum of the contributions' magnitudes. */
export function refEntry(J: Jacobian, b: number, i: number, k: number, abs = false): number {
  const n = J.n;
  const f = abs ? Math.abs : (v: number) => v;
  if (J.kind === 'dense') return f(J.data[b * n * n + i * n + k]);
  const m = J.block;
  let v = 0;
  for (const q of J.terms) {
    if (i < q.row * m || i >= (q.row + 1) * m || k < q.col * m || k >= (q.col + 1) * m) continue;
    const ii = i - q.row * m;
    const kk = k - q.col * m;
    v += f(q.scale[b * m + ii] * J.weights[q.weight * m * m + ii * m + kk]);
  }
  for (const q of J.diagonals) {
    if (i - q.row * m !== k - q.col * m || i < q.row * m || i >= (q.row + 1) * m) continue;
    v += f(q.scale[b * m + i - q.row * m]);
  }
  return v;
}

/** Roundings one output element may see: n products, plus the summed contributions of each entry. */
export function refRoundings(J: Jacobian): number {
  return J.kind === 'dense' ? J.n : J.n + J.terms.length + J.diagonals.length;
}

/** Y_b ← alpha·J_b·X_b + beta·Y_b for every example, with the per-element error scale. */
export function refJacobianMatmul(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number): { value: Float64Array; bound: Float64Array } {
  const { batch, n } = J;
  const value = new Float64Array(batch * n * cols);
  const bound = new Float64Array(batch * n * cols);
  const Jb = new Float64Array(n * n);
  const Jabs = new Float64Array(n * n);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < n; k++) {
        Jb[i * n + k] = refEntry(J, b, i, k);
        Jabs[i * n + k] = refEntry(J, b, i, k, true);
      }
    }
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < cols; c++) {
        let s = 0;
        let m = 0;
        for (let k = 0; k < n; k++) {
          const x = X[(b * n + k) * cols + c];
          s += Jb[i * n + k] * x;
          m += Jabs[i * n + k] * Math.abs(x);
        }
        const at = (b * n + i) * cols + c;
        const y = beta === 0 ? 0 : beta * Y[at];
        value[at] = alpha * s + y;
        bound[at] = Math.abs(alpha) * m + Math.abs(y);
      }
    }
  }
  return { value, bound };
}

// ---------------------------------------------------------------------------------------
// Problems

export interface GemmCase {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  dtype: DType;
  seed: number;
}

export interface JacobianCase {
  form: Form;
  batch: number;
  /** n for dense; the block size m for the structured forms */
  size: number;
  cols: number;
  alpha: number;
  beta: number;
  dtype: DType;
  seed: number;
}

const scalarArb = fc.oneof(fc.constant(0), fc.constant(1), fc.constant(-1), fc.double({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }).map((v) => (Math.abs(v) < 1e-6 ? 0 : v)));
const dtypeArb = fc.constantFrom<DType>('float64', 'float32');

export function gemmCaseArb(o: { maxM: number; maxN: number; maxK: number }): fc.Arbitrary<GemmCase> {
  return fc.record({
    transA: fc.boolean(),
    transB: fc.boolean(),
    M: fc.integer({ min: 0, max: o.maxM }),
    N: fc.integer({ min: 0, max: o.maxN }),
    K: fc.integer({ min: 0, max: o.maxK }),
    alpha: scalarArb,
    beta: scalarArb,
    dtype: dtypeArb,
    seed: fc.integer(),
  });
}

export function jacobianCaseArb(o: { maxBatch: number; maxSize: number; maxCols: number; forms?: readonly Form[] }): fc.Arbitrary<JacobianCase> {
  return fc.record({
    form: fc.constantFrom(...(o.forms ?? FORMS)),
    batch: fc.integer({ min: 1, max: o.maxBatch }),
    size: fc.integer({ min: 1, max: o.maxSize }),
    cols: fc.integer({ min: 1, max: o.maxCols }),
    alpha: scalarArb,
    beta: scalarArb,
    dtype: dtypeArb,
    seed: fc.integer(),
  });
}

export interface GemmProblem {
  c: GemmCase;
  A: Arr;
  B: Arr;
  C: Arr;
}

export function gemmProblem(c: GemmCase): GemmProblem {
  const fill = filler(c.seed, 0.05);
  const A = fill(make(c.dtype, c.M * c.K));
  const B = fill(make(c.dtype, c.K * c.N));
  // beta = 0 must ignore C entirely, NaN included.
  const C = c.beta === 0 ? make(c.dtype, c.M * c.N).fill(NaN) : fill(make(c.dtype, c.M * c.N));
  return { c, A, B, C };
}

export interface JacobianProblem {
  c: JacobianCase;
  J: Jacobian;
  X: Arr;
  Y: Arr;
}

export function jacobianProblem(c: JacobianCase, alloc: (dtype: DType, length: number) => Arr = make): JacobianProblem {
  const fill = filler(c.seed, 0.1);
  const { batch, dtype, cols } = c;
  let J: Jacobian;
  let n: number;
  if (c.form === 'dense') {
    n = c.size;
    J = { kind: 'dense', batch, n, data: fill(make(dtype, batch * n * n)) };
  } else {
    const m = c.size;
    const layout = structuredLayout(c.form, c.seed);
    n = m * layout.blocks;
    // scales with many zeros (dead relu units, saturated gates): exercises the skipped row blocks
    const scales = filler(c.seed ^ 0x5bd1e995, 0.4);
    J = {
      kind: 'structured',
      batch,
      n,
      block: m,
      weights: fill(make(dtype, layout.weights * m * m)),
      terms: layout.terms.map(([row, col, weight]) => ({ row, col, weight, scale: scales(make(dtype, batch * m)) })),
      diagonals: layout.diagonals.map(([row, col]) => ({ row, col, scale: fill(make(dtype, batch * m)) })),
    };
  }
  const X = fill(alloc(dtype, batch * n * cols));
  const Y = alloc(dtype, batch * n * cols);
  if (c.beta === 0) Y.fill(NaN);
  else fill(Y);
  return { c, J, X, Y };
}

/** n of a case's Jacobian. */
export function caseStateSize(c: { form: Form; size: number; seed: number }): number {
  return c.form === 'dense' ? c.size : c.size * structuredLayout(c.form, c.seed).blocks;
}

interface Layout {
  blocks: number;
  weights: number;
  terms: [number, number, number][];
  diagonals: [number, number][];
}

/** Block layouts: fixed ones shaped like the cells', and random ones (seeded). */
function structuredLayout(form: Exclude<Form, 'dense'>, seed: number): Layout {
  if (form === 'one-term') return { blocks: 1, weights: 1, terms: [[0, 0, 0]], diagonals: [] };
  if (form === 'gated') {
    return {
      blocks: 2,
      weights: 4,
      terms: [[0, 0, 3], [0, 0, 0], [0, 0, 1], [0, 0, 2], [1, 0, 0], [1, 0, 1], [1, 0, 2]],
      diagonals: [[0, 1], [1, 1]],
    };
  }
  if (form === 'folded') return { blocks: 1, weights: 3, terms: [[0, 0, 0], [0, 0, 1], [0, 0, 2]], diagonals: [[0, 0]] };
  const u = filler(seed ^ 0x2545f491);
  const draw = (k: number): number => Math.min(k - 1, Math.floor(((u(new Float64Array(1))[0] + 1) / 2) * k));
  const blocks = 1 + draw(3);
  const weights = 1 + draw(3);
  const terms: [number, number, number][] = [];
  const diagonals: [number, number][] = [];
  for (let q = draw(5); q > 0; q--) terms.push([draw(blocks), draw(blocks), draw(weights)]);
  for (let q = draw(5); q > 0; q--) diagonals.push([draw(blocks), draw(blocks)]);
  return { blocks, weights, terms, diagonals };
}

// ---------------------------------------------------------------------------------------
// Checks

/** |got − want| ≤ tol·bound + tiny, element by element, with a readable failure. */
export function assertClose(what: string, got: Arr, want: Float64Array, bound: Float64Array, tol: number): void {
  // float32 outputs also round tiny values to subnormals or zero
  const tiny = got instanceof Float32Array ? 1e-44 : 1e-300;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * bound[i] + tiny)) {
      assert.fail(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (|err| ${err}, allowed ${tol * bound[i]})`);
    }
  }
}

/** Relative tolerance (against |alpha|·Σ|a·b| + |beta·c|) for a backend and dtype. */
export type Tolerance = (dtype: DType, K: number) => number;

/** float64 accumulation: K roundings of 2⁻⁵³, plus one float32 rounding of the output. */
export const FLOAT64_ACCUMULATION: Tolerance = (dtype, K) => (dtype === 'float32' ? 1.2e-7 : 0) + (K + 4) * 2.3e-16;
/** float32 accumulation (gpu.js): K roundings of 2⁻²⁴ (inputs are read as float32). */
export const FLOAT32_ACCUMULATION: Tolerance = (_dtype, K) => (K + 4) * 1.3e-7;

export function checkGemm(backend: Backend, p: GemmProblem, tol: Tolerance): void {
  const { transA, transB, M, N, K, alpha, beta, dtype } = p.c;
  const want = refGemm(transA, transB, M, N, K, alpha, p.A, p.B, beta, p.C);
  const A0 = p.A.slice();
  const B0 = p.B.slice();
  backend.gemm(transA, transB, M, N, K, alpha, p.A, p.B, beta, p.C);
  assertClose(`${backend.name} gemm ${JSON.stringify(p.c)}`, p.C, want.value, want.bound, tol(dtype, K));
  assert.deepEqual(p.A, A0, 'gemm must not modify A');
  assert.deepEqual(p.B, B0, 'gemm must not modify B');
}

export function checkJacobianMatmul(backend: Backend, p: JacobianProblem, tol: Tolerance): void {
  const { cols, alpha, beta, dtype } = p.c;
  const want = refJacobianMatmul(p.J, p.X, p.Y, cols, alpha, beta);
  const X0 = p.X.slice();
  backend.jacobianMatmul(p.J, p.X, p.Y, cols, alpha, beta);
  assertClose(`${backend.name} jacobianMatmul ${JSON.stringify(p.c)}`, p.Y, want.value, want.bound, tol(dtype, refRoundings(p.J)));
  assert.deepEqual(p.X, X0, 'jacobianMatmul must not modify X');
}

/** The property suites: small random problems, then a few that cross the blocking boundaries. */
export function gemmProperty(backend: Backend, tol: Tolerance, o: { maxM: number; maxN: number; maxK: number; numRuns: number }): void {
  fc.assert(
    fc.property(gemmCaseArb(o), (c) => checkGemm(backend, gemmProblem(c), tol)),
    { numRuns: o.numRuns },
  );
}

export function jacobianProperty(backend: Backend, tol: Tolerance, o: { maxBatch: number; maxSize: number; maxCols: number; numRuns: number; forms?: readonly Form[]; alloc?: (dtype: DType, length: number) => Arr }): void {
  fc.assert(
    fc.property(jacobianCaseArb(o), (c) => checkJacobianMatmul(backend, jacobianProblem(c, o.alloc), tol)),
    { numRuns: o.numRuns },
  );
}

/** Bitwise equality (same summation order), for backends that promise it. */
export function assertSameBits(what: string, got: Arr, want: Arr): void {
  assert.equal(got.length, want.length, `${what}: lengths differ`);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], want[i]) && !(got[i] === want[i])) assert.fail(`${what}: element ${i}: ${got[i]} !== ${want[i]}`);
  }
}
