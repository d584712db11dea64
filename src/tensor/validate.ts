import type { Arr } from './dtype.ts';
import type { Jacobian } from './jacobian.ts';

/**
 * Argument checks shared by every backend: O(1), so that a wrong size fails loudly
 * instead of reading past an array (which yields NaN in JavaScript, silently).
 */
export function checkGemmArgs(M: number, N: number, K: number, A: Arr, B: Arr, C: Arr): void {
  if (!isSize(M) || !isSize(N) || !isSize(K)) throw new Error(`gemm: M, N, K must be non-negative integers, received ${M}, ${N}, ${K}`);
  if (A.length < M * K) throw new Error(`gemm: A needs ${M * K} elements (M·K = ${M}·${K}), received ${A.length}`);
  if (B.length < K * N) throw new Error(`gemm: B needs ${K * N} elements (K·N = ${K}·${N}), received ${B.length}`);
  if (C.length < M * N) throw new Error(`gemm: C needs ${M * N} elements (M·N = ${M}·${N}), received ${C.length}`);
}

export function checkJacobianMatmulArgs(J: Jacobian, X: Arr, Y: Arr, cols: number): void {
  const { batch, n } = J;
  if (!isSize(batch) || !isSize(n) || !isSize(cols)) throw new Error(`jacobianMatmul: batch, n, cols must be non-negative integers, received ${batch}, ${n}, ${cols}`);
  const size = batch * n * cols;
  if (X.length < size) throw new Error(`jacobianMatmul: X needs ${size} elements (batch·n·cols = ${batch}·${n}·${cols}), received ${X.length}`);
  if (Y.length < size) throw new Error(`jacobianMatmul: Y needs ${size} elements (batch·n·cols = ${batch}·${n}·${cols}), received ${Y.length}`);
  if (size > 0 && overlaps(X, Y, size)) throw new Error('jacobianMatmul: X and Y must not overlap');
  switch (J.kind) {
    case 'dense':
      need('J.data', J.data, batch * n * n);
      return;
    case 'structured': {
      const m = J.block;
      if (!isSize(m) || m === 0 || n % m !== 0) throw new Error(`jacobianMatmul: a structured Jacobian needs a block size that divides n = ${n}, received ${m}`);
      const blocks = n / m;
      const weights = Math.floor(J.weights.length / (m * m));
      J.terms.forEach((q, i) => {
        checkBlock(`J.terms[${i}]`, q.row, q.col, blocks);
        if (!isSize(q.weight) || q.weight >= weights) throw new Error(`jacobianMatmul: J.terms[${i}].weight: expected an index below ${weights} (J.weights holds ${J.weights.length} values, m = ${m}), received ${q.weight}`);
        need(`J.terms[${i}].scale`, q.scale, batch * m);
      });
      J.diagonals.forEach((q, i) => {
        checkBlock(`J.diagonals[${i}]`, q.row, q.col, blocks);
        need(`J.diagonals[${i}].scale`, q.scale, batch * m);
      });
      return;
    }
    default:
      throw new Error(`jacobianMatmul: unknown Jacobian kind ${JSON.stringify((J as { kind: unknown }).kind)}`);
  }
}

function checkBlock(name: string, row: number, col: number, blocks: number): void {
  if (!isSize(row) || row >= blocks || !isSize(col) || col >= blocks) throw new Error(`jacobianMatmul: ${name}: row and col must be block indices below ${blocks}, received ${row}, ${col}`);
}

function need(name: string, a: Arr, length: number): void {
  if (a.length < length) throw new Error(`jacobianMatmul: ${name} needs ${length} elements, received ${a.length}`);
}

function isSize(v: number): boolean {
  return Number.isInteger(v) && v >= 0;
}

/** Whether the first `size` elements of X and Y share memory. */
function overlaps(X: Arr, Y: Arr, size: number): boolean {
  if (X.buffer !== Y.buffer) return false;
  const x0 = X.byteOffset, x1 = x0 + size * X.BYTES_PER_ELEMENT;
  const y0 = Y.byteOffset, y1 = y0 + size * Y.BYTES_PER_ELEMENT;
  return x0 < y1 && y0 < x1;
}

