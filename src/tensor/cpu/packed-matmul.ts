import type { Arr } from '../dtype.ts';

/**
 * The register-blocked matrix product every pure-JS kernel ends in.
 *
 * The left operand L (M×K) is packed in panels of 4 rows: row i, column k sits at
 * L[(i >> 2)·4K + 4k + (i & 3)], and rows past M in the last panel are zero. A panel's
 * four coefficients for one k are then adjacent, and the right operand is read four
 * columns at a time, so the inner loop keeps a 4×4 block of accumulators in registers.
 *
 * Summation order (the canonical order all CPU kernels of this library share): every
 * output element is `acc = 0; for k = 0..K−1: acc += L[i,k]·R[k,c]` in float64, then the
 * optional diagonal term is added, then it is scaled. Blocking, column ranges and row
 * ranges never change that order, so results do not depend on how work is split.
 */

/** Number of rows of L rounded up to whole panels. */
export function paddedRows(M: number): number {
  return (M + 3) & ~3;
}

/**
 * Pack `rows` rows of a row-major matrix (row r at src[off + r·ld], K columns) as rows
 * rowStart.. of the panel layout in L. Covers any op(A) = A.
 */
export function packRows(src: Arr, off: number, ld: number, rows: number, K: number, L: Arr, rowStart: number): void {
  for (let r = 0; r < rows; r++) {
    const i = rowStart + r;
    const base = (i >> 2) * 4 * K + (i & 3);
    const s = off + r * ld;
    for (let k = 0; k < K; k++) L[base + 4 * k] = src[s + k];
  }
}

/**
 * Pack rows of op(A) = Aᵀ: row r of the packed matrix is column (col0 + r) of the
 * row-major source (element (r, k) at src[off + k·ld + col0 + r]).
 */
export function packColumns(src: Arr, off: number, ld: number, col0: number, rows: number, K: number, L: Arr, rowStart: number): void {
  for (let r = 0; r < rows; r++) {
    const i = rowStart + r;
    const base = (i >> 2) * 4 * K + (i & 3);
    const s = off + col0 + r;
    for (let k = 0; k < K; k++) L[base + 4 * k] = src[s + k * ld];
  }
}

/** Zero the padding rows M..paddedRows(M)−1 of a packed L (keeps the unused lanes finite). */
export function zeroPadding(M: number, K: number, L: Arr): void {
  for (let i = M; i < paddedRows(M); i++) {
    const base = (i >> 2) * 4 * K + (i & 3);
    for (let k = 0; k < K; k++) L[base + 4 * k] = 0;
  }
}

/**
 * O[i, c] ← s[i]·(Σ_k L[i,k]·R[k,c] + g[i]·R[dr[i], c])  (+ beta·O[i, c] when beta ≠ 0)
 * for rows i < M and columns c < nCols, where R[k, c] = R[rOff + k·ldr + c] and
 * O[i, c] = O[oOff + i·ldo + c]. The diagonal term is present only when `diag` (g) and
 * `diagRows` (dr, row indices into R) are given. `scale` (s) and `diag` must cover
 * paddedRows(M) entries. A block of 4 rows whose scales are all zero is not computed
 * (its outputs are 0, or beta·O).
 */
export function packedMatmul(
  M: number,
  K: number,
  L: Float64Array,
  R: Arr,
  rOff: number,
  ldr: number,
  O: Arr,
  oOff: number,
  ldo: number,
  nCols: number,
  scale: Float64Array,
  beta: number,
  diag: Float64Array | null,
  diagRows: Int32Array | null,
): void {
  const c4 = nCols & ~3;
  const panel = 4 * K;
  // 4×4 blocks: columns c..c+3 of rows i..i+3. Column strips are the outer loop so that
  // one strip of R (K rows × 4 columns) stays in L1 while every panel of L passes over it.
  for (let c = 0; c < c4; c += 4) {
    for (let i = 0, p = 0; i < M; i += 4, p += panel) {
      const s0 = scale[i], s1 = scale[i + 1], s2 = scale[i + 2], s3 = scale[i + 3];
      const valid = M - i < 4 ? M - i : 4;
      let o = oOff + i * ldo + c;
      if (s0 === 0 && s1 === 0 && s2 === 0 && s3 === 0) {
        for (let r = 0; r < valid; r++, o += ldo) store4(O, o, 0, 0, 0, 0, 0, beta);
        continue;
      }
      let a00 = 0, a01 = 0, a02 = 0, a03 = 0;
      let a10 = 0, a11 = 0, a12 = 0, a13 = 0;
      let a20 = 0, a21 = 0, a22 = 0, a23 = 0;
      let a30 = 0, a31 = 0, a32 = 0, a33 = 0;
      let x = rOff + c;
      let l = p;
      for (let k = 0; k < K; k++, x += ldr, l += 4) {
        const x0 = R[x], x1 = R[x + 1], x2 = R[x + 2], x3 = R[x + 3];
        const l0 = L[l], l1 = L[l + 1], l2 = L[l + 2], l3 = L[l + 3];
        a00 += l0 * x0; a01 += l0 * x1; a02 += l0 * x2; a03 += l0 * x3;
        a10 += l1 * x0; a11 += l1 * x1; a12 += l1 * x2; a13 += l1 * x3;
        a20 += l2 * x0; a21 += l2 * x1; a22 += l2 * x2; a23 += l2 * x3;
        a30 += l3 * x0; a31 += l3 * x1; a32 += l3 * x2; a33 += l3 * x3;
      }
      if (diag !== null && diagRows !== null) {
        // + g[i]·R[dr[i], c..c+3] for each valid row of the block
        let g = diag[i], d = rOff + diagRows[i] * ldr + c;
        a00 += g * R[d]; a01 += g * R[d + 1]; a02 += g * R[d + 2]; a03 += g * R[d + 3];
        if (valid > 1) {
          g = diag[i + 1]; d = rOff + diagRows[i + 1] * ldr + c;
          a10 += g * R[d]; a11 += g * R[d + 1]; a12 += g * R[d + 2]; a13 += g * R[d + 3];
        }
        if (valid > 2) {
          g = diag[i + 2]; d = rOff + diagRows[i + 2] * ldr + c;
          a20 += g * R[d]; a21 += g * R[d + 1]; a22 += g * R[d + 2]; a23 += g * R[d + 3];
        }
        if (valid > 3) {
          g = diag[i + 3]; d = rOff + diagRows[i + 3] * ldr + c;
          a30 += g * R[d]; a31 += g * R[d + 1]; a32 += g * R[d + 2]; a33 += g * R[d + 3];
        }
      }
      store4(O, o, s0, a00, a01, a02, a03, beta);
      if (valid > 1) store4(O, o + ldo, s1, a10, a11, a12, a13, beta);
      if (valid > 2) store4(O, o + 2 * ldo, s2, a20, a21, a22, a23, beta);
      if (valid > 3) store4(O, o + 3 * ldo, s3, a30, a31, a32, a33, beta);
    }
  }
  // Remaining columns (nCols mod 4), one at a time: 4×1 blocks.
  for (let c = c4; c < nCols; c++) {
    for (let i = 0, p = 0; i < M; i += 4, p += panel) {
      const valid = M - i < 4 ? M - i : 4;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      if (scale[i] !== 0 || scale[i + 1] !== 0 || scale[i + 2] !== 0 || scale[i + 3] !== 0) {
        let x = rOff + c;
        let l = p;
        for (let k = 0; k < K; k++, x += ldr, l += 4) {
          const xv = R[x];
          a0 += L[l] * xv; a1 += L[l + 1] * xv; a2 += L[l + 2] * xv; a3 += L[l + 3] * xv;
        }
        if (diag !== null && diagRows !== null) {
          a0 += diag[i] * R[rOff + diagRows[i] * ldr + c];
          if (valid > 1) a1 += diag[i + 1] * R[rOff + diagRows[i + 1] * ldr + c];
          if (valid > 2) a2 += diag[i + 2] * R[rOff + diagRows[i + 2] * ldr + c];
          if (valid > 3) a3 += diag[i + 3] * R[rOff + diagRows[i + 3] * ldr + c];
        }
      }
      const o = oOff + i * ldo + c;
      store1(O, o, scale[i], a0, beta);
      if (valid > 1) store1(O, o + ldo, scale[i + 1], a1, beta);
      if (valid > 2) store1(O, o + 2 * ldo, scale[i + 2], a2, beta);
      if (valid > 3) store1(O, o + 3 * ldo, scale[i + 3], a3, beta);
    }
  }
}

/** O[o..o+3] ← s·(v0..v3) (+ beta·O). */
function store4(O: Arr, o: number, s: number, v0: number, v1: number, v2: number, v3: number, beta: number): void {
  if (beta === 0) {
    O[o] = s * v0;
    O[o + 1] = s * v1;
    O[o + 2] = s * v2;
    O[o + 3] = s * v3;
  } else {
    O[o] = s * v0 + beta * O[o];
    O[o + 1] = s * v1 + beta * O[o + 1];
    O[o + 2] = s * v2 + beta * O[o + 2];
    O[o + 3] = s * v3 + beta * O[o + 3];
  }
}

/** O[o] ← s·v (+ beta·O[o]). */
function store1(O: Arr, o: number, s: number, v: number, beta: number): void {
  O[o] = beta === 0 ? s * v : s * v + beta * O[o];
}
