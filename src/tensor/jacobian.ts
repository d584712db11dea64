import type { Arr } from './dtype.ts';

/**
 * The state Jacobians J_t = ∂s_t/∂s_{t−1} of a batch, one n×n matrix per example
 * (docs/MATH.md §2). Two forms; the kernels know these forms and nothing of the cells that
 * produce them.
 *
 * - `dense`: J_b stored in full, data[(b·n + i)·n + k] (batch·n·n values).
 * - `structured`: the state is cut into blocks of `block` = m entries (n = m·blocks) and every
 *   m×m block of J_b is a sum of row-scaled shared weight matrices and scaled identities:
 *
 *     J_b[r, c] = Σ_{terms q with (row, col) = (r, c)} diag(q.scale_b)·W_{q.weight}
 *               + Σ_{diagonals q with (row, col) = (r, c)} diag(q.scale_b)
 *
 *   where W_w (m×m, row-major) sits at weights[w·m·m ..] and is the same for every example,
 *   and q.scale_b = q.scale[b·m .. b·m + m − 1]. A cell without gates is one term
 *   (diag(φ'(a))·W_hh); gated cells are a few terms over the gate blocks of W_hh plus
 *   diagonals. Kernels exploit the form (a shared left operand, per-example materialisation of
 *   the summed blocks, diagonal terms folded into the same accumulators) without knowing what
 *   the blocks mean.
 */
export type Jacobian = DenseJacobian | StructuredJacobian;

export interface DenseJacobian {
  readonly kind: 'dense';
  readonly batch: number;
  readonly n: number;
  readonly data: Arr;
}

/** diag(scale_b)·W_weight in block (row, col) of J_b. */
export interface ScaledWeight {
  /** row block: the term fills rows row·m .. row·m + m − 1 of J_b */
  readonly row: number;
  /** column block: the term multiplies s_{t−1}[col·m .. col·m + m − 1] */
  readonly col: number;
  /** index of the shared m×m matrix in `weights` (at offset weight·m·m) */
  readonly weight: number;
  /** per-example row scales, batch×m */
  readonly scale: Arr;
}

/** diag(scale_b) in block (row, col) of J_b. */
export interface ScaledIdentity {
  readonly row: number;
  readonly col: number;
  /** per-example diagonal, batch×m */
  readonly scale: Arr;
}

export interface StructuredJacobian {
  readonly kind: 'structured';
  readonly batch: number;
  readonly n: number;
  /** m: the size of one block; n is a multiple of it */
  readonly block: number;
  /** the shared m×m matrices, contiguous and row-major (for example W_hh's gate blocks) */
  readonly weights: Arr;
  readonly terms: readonly ScaledWeight[];
  readonly diagonals: readonly ScaledIdentity[];
}

/** J_b[i][k] for any form (slow; for tests and materialisation). */
export function jacobianEntry(J: Jacobian, b: number, i: number, k: number): number {
  if (J.kind === 'dense') return J.data[(b * J.n + i) * J.n + k];
  const m = J.block;
  const r = Math.floor(i / m);
  const c = Math.floor(k / m);
  const ii = i - r * m;
  const kk = k - c * m;
  let v = 0;
  for (const q of J.terms) if (q.row === r && q.col === c) v += q.scale[b * m + ii] * J.weights[q.weight * m * m + ii * m + kk];
  if (ii === kk) for (const q of J.diagonals) if (q.row === r && q.col === c) v += q.scale[b * m + ii];
  return v;
}

/** Materialise any form as dense batch×n×n into `out`. */
export function jacobianToDense(J: Jacobian, out: Arr): Arr {
  const { batch, n } = J;
  if (out.length !== batch * n * n) throw new Error(`jacobianToDense: out needs ${batch * n * n} elements, received ${out.length}`);
  if (J.kind === 'dense') {
    out.set(J.data.subarray(0, batch * n * n));
    return out;
  }
  out.fill(0, 0, batch * n * n);
  const m = J.block;
  for (let b = 0; b < batch; b++) {
    const base = b * n * n;
    for (const q of J.terms) {
      const W = q.weight * m * m;
      for (let ii = 0; ii < m; ii++) {
        const s = q.scale[b * m + ii];
        const row = base + (q.row * m + ii) * n + q.col * m;
        for (let kk = 0; kk < m; kk++) out[row + kk] += s * J.weights[W + ii * m + kk];
      }
    }
    for (const q of J.diagonals) for (let ii = 0; ii < m; ii++) out[base + (q.row * m + ii) * n + q.col * m + ii] += q.scale[b * m + ii];
  }
  return out;
}

/**
 * How the kernels evaluate Y_b = alpha·J_b·X_b for a structured J (computed once per call by
 * `planJacobian`, used by every backend so that all of them sum in the same order):
 *
 *   Y_b[i, ·] = rowScale_b[i]·(Σ_{k<K} L_b[i, k]·X_b[k, ·] + diag_b[i]·X_b[diagRow[i], ·])
 *
 * - shared (every row block holds at most one term and, then, no diagonal): L is the same for
 *   every example (the term's weight, zero rows elsewhere) and rowScale_b = alpha·scale_b
 *   (alpha on rows without a term). One packed left operand serves the whole batch.
 * - per example: L_b = the materialised sum of the terms over column blocks 0..K/m − 1, with
 *   the diagonals inside that range folded in; rowScale = alpha.
 * In both, diagonals outside the columns of L become the diagonal term (at most one column
 * block per row block; otherwise `K` covers all n columns and every diagonal is folded into
 * L_b).
 */
export interface JacobianPlan {
  readonly shared: boolean;
  /** columns of L: rows 0..K−1 of X_b are read by the product */
  readonly K: number;
  /** diagonal term present */
  readonly hasDiagonal: boolean;
  /** per row of Y_b, the row of X_b the diagonal term reads (n entries, 0 where no diagonal) */
  readonly diagRows: Int32Array;
  /** per row block, the column block of its diagonal term, or −1 */
  readonly diagCol: Int32Array;
}

const planCache = new WeakMap<StructuredJacobian, JacobianPlan>();

/** The evaluation plan of a structured Jacobian (cached per Jacobian object). */
export function planJacobian(J: StructuredJacobian): JacobianPlan {
  let plan = planCache.get(J);
  if (plan === undefined) {
    plan = buildPlan(J);
    planCache.set(J, plan);
  }
  return plan;
}

function buildPlan(J: StructuredJacobian): JacobianPlan {
  const m = J.block;
  const blocks = J.n / m;
  const termsPerRow = new Int32Array(blocks);
  let colEnd = 0; // one past the last column block a term reads
  for (const q of J.terms) {
    termsPerRow[q.row]++;
    colEnd = Math.max(colEnd, q.col + 1);
  }
  let shared = J.terms.length > 0;
  for (let r = 0; r < blocks; r++) if (termsPerRow[r] > 1) shared = false;
  for (const q of J.diagonals) if (termsPerRow[q.row] > 0) shared = false;
  // Diagonals inside the columns of a per-example L are folded into it; the others (all of
  // them for a shared L) become the diagonal term, one column block per row block at most.
  const foldEnd = shared ? 0 : colEnd;
  const diagCol = new Int32Array(blocks).fill(-1);
  let conflict = false;
  for (const q of J.diagonals) {
    if (q.col < foldEnd) continue;
    if (diagCol[q.row] === -1 || diagCol[q.row] === q.col) diagCol[q.row] = q.col;
    else conflict = true;
  }
  if (conflict) {
    // L_b spans all n columns and holds every term and diagonal
    return { shared: false, K: J.n, hasDiagonal: false, diagRows: new Int32Array(J.n), diagCol: diagCol.fill(-1) };
  }
  const diagRows = new Int32Array(J.n);
  let hasDiagonal = false;
  for (let r = 0; r < blocks; r++) {
    if (diagCol[r] < 0) continue;
    hasDiagonal = true;
    for (let ii = 0; ii < m; ii++) diagRows[r * m + ii] = diagCol[r] * m + ii;
  }
  return { shared, K: colEnd * m, hasDiagonal, diagRows, diagCol };
}

/**
 * The left operand rows of the plan, row-major n×K into `out` (stride K): for a shared plan
 * the unscaled weights (b is ignored), for a per-example plan the materialised L_b.
 * Summation order: the terms in their listed order, then the folded diagonals.
 */
export function jacobianLeft(J: StructuredJacobian, plan: JacobianPlan, b: number, out: Arr): void {
  const m = J.block;
  const K = plan.K;
  const n = J.n;
  out.fill(0, 0, n * K);
  for (const q of J.terms) {
    const W = q.weight * m * m;
    for (let ii = 0; ii < m; ii++) {
      const s = plan.shared ? 1 : q.scale[b * m + ii];
      const row = (q.row * m + ii) * K + q.col * m;
      for (let kk = 0; kk < m; kk++) out[row + kk] += s * J.weights[W + ii * m + kk];
    }
  }
  if (plan.shared) return;
  for (const q of J.diagonals) {
    if (q.col * m >= K || plan.diagCol[q.row] === q.col) continue;
    for (let ii = 0; ii < m; ii++) out[(q.row * m + ii) * K + q.col * m + ii] += q.scale[b * m + ii];
  }
}

/** Per-row output scales of example b (n entries): alpha·scale_b on term rows of a shared plan, alpha elsewhere. */
export function jacobianRowScale(J: StructuredJacobian, plan: JacobianPlan, b: number, alpha: number, out: Arr): void {
  out.fill(alpha, 0, J.n);
  if (!plan.shared) return;
  const m = J.block;
  for (const q of J.terms) for (let ii = 0; ii < m; ii++) out[q.row * m + ii] = alpha * q.scale[b * m + ii];
}

/** Per-row diagonal coefficients of example b (n entries, 0 on rows without a diagonal term). */
export function jacobianDiagonal(J: StructuredJacobian, plan: JacobianPlan, b: number, out: Arr): void {
  out.fill(0, 0, J.n);
  const m = J.block;
  for (const q of J.diagonals) {
    if (plan.diagCol[q.row] !== q.col) continue;
    for (let ii = 0; ii < m; ii++) out[q.row * m + ii] += q.scale[b * m + ii];
  }
}

/**
 * Bounds on one step of the trace recursion Y = decay·J·X for the finiteness check
 * (kernels/trace.ts): with ρ_i the absolute row sum of the operand the kernels accumulate
 * before their per-row scale, and σ_i the absolute row sum of J_b itself,
 *   pre = max_{b,i} ρ_i,   post = max_{b,i} σ_i   (NaN when a coefficient is not finite).
 * For a structured J, ρ covers both plans (the shared weights alone and the materialised
 * sums), and σ is bounded by Σ_q |scale|·(row sum of |W_q|) + Σ |diagonal|. Cost O(B·n·terms + terms·m²).
 */
export function jacobianRowBounds(J: Jacobian): { pre: number; post: number } {
  const { batch, n } = J;
  let pre = 0;
  if (J.kind === 'dense') {
    const d = J.data;
    for (let r = 0; r < batch * n; r++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += Math.abs(d[r * n + k]);
      pre = maxNaN(pre, s);
    }
    return { pre, post: pre };
  }
  const m = J.block;
  const rowAbs = new Float64Array(J.terms.length * m);
  J.terms.forEach((q, t) => {
    const W = q.weight * m * m;
    for (let ii = 0; ii < m; ii++) {
      let s = 0;
      for (let kk = 0; kk < m; kk++) s += Math.abs(J.weights[W + ii * m + kk]);
      rowAbs[t * m + ii] = s;
      pre = maxNaN(pre, s);
    }
  });
  const sums = new Float64Array(n);
  let post = 0;
  for (let b = 0; b < batch; b++) {
    sums.fill(0);
    J.terms.forEach((q, t) => {
      for (let ii = 0; ii < m; ii++) sums[q.row * m + ii] += Math.abs(q.scale[b * m + ii]) * rowAbs[t * m + ii];
    });
    for (const q of J.diagonals) for (let ii = 0; ii < m; ii++) sums[q.row * m + ii] += Math.abs(q.scale[b * m + ii]);
    for (let i = 0; i < n; i++) post = maxNaN(post, sums[i]);
  }
  return { pre: maxNaN(pre, post), post };
}

function maxNaN(a: number, b: number): number {
  return a >= b ? a : b >= a ? b : NaN;
}

/**
 * A copy of J that owns its arrays (the scales and the shared weights as they are now), reusing
 * `into`'s arrays when it has the same layout. Kept by computations that look back at past
 * Jacobians after the parameters have moved on (the blocked trace's window).
 */
export function copyJacobian(J: Jacobian, into: Jacobian | null): Jacobian {
  const same = (a: Arr, b: Arr | undefined): Arr => {
    if (b !== undefined && b.length === a.length && b.constructor === a.constructor) {
      b.set(a);
      return b;
    }
    return a.slice() as Arr;
  };
  if (J.kind === 'dense') {
    const data = J.data.subarray(0, J.batch * J.n * J.n);
    return { kind: 'dense', batch: J.batch, n: J.n, data: same(data, into?.kind === 'dense' ? into.data : undefined) };
  }
  const prior = into?.kind === 'structured' && into.terms.length === J.terms.length && into.diagonals.length === J.diagonals.length ? into : null;
  const m = J.block;
  const per = J.batch * m;
  return {
    kind: 'structured',
    batch: J.batch,
    n: J.n,
    block: m,
    weights: same(J.weights, prior?.weights),
    terms: J.terms.map((q, i) => ({ row: q.row, col: q.col, weight: q.weight, scale: same(q.scale.subarray(0, per), prior?.terms[i].scale) })),
    diagonals: J.diagonals.map((q, i) => ({ row: q.row, col: q.col, scale: same(q.scale.subarray(0, per), prior?.diagonals[i].scale) })),
  };
}
