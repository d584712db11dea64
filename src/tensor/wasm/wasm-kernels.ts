import { alloc as plainAlloc, type Arr, type DType } from '../dtype.ts';
import { jacobianDiagonal, jacobianLeft, jacobianRowScale, planJacobian, type DenseJacobian, type Jacobian, type StructuredJacobian } from '../jacobian.ts';
import { packColumns, packRows, paddedRows, zeroPadding } from '../cpu/packed-matmul.ts';
import { JsRangeKernels, type RangeKernels } from '../cpu/range-kernels.ts';
import { instantiateKernels, type KernelExports } from './load.ts';

/** Elements of the right operand copied into wasm memory at once (256 KiB of float64: staging, packed copy and output stay in L2). */
const CHUNK = 1 << 15;
/** Rows of op(A) packed at once in gemm. */
const ROW_BLOCK = 128;
/** Products with fewer multiply-adds than this, or fewer than 4 rows, stay in JavaScript. */
const MIN_WASM_GEMM = 4096;
/** Bytes at the bottom of wasm memory kept for scratch once arrays have been allocated in it. */
const SCRATCH_RESERVE = 8 << 20;
const PAGE = 65536;

export interface WasmKernelOptions {
  /**
   * Float32Array problems: 'f64x2' (default) converts to float64 and gives the same bits
   * as the pure-JS backend; 'f32x4' computes in float32 with four lanes (about twice the
   * throughput, float32 accumulation).
   */
  float32?: 'f64x2' | 'f32x4';
}

/** Byte offsets of the working regions in wasm memory for one problem shape. */
interface Layout {
  key: string;
  buffer: ArrayBuffer;
  L: number;
  scale: number;
  diag: number;
  diagRows: number;
  /** staging: the right operand's block copied in row-major (native copies) */
  T: number;
  /** the right operand packed in strips (by the wasm packStrips routine) */
  R: number;
  O: number;
  Lv: Arr;
  scaleV: Arr;
  diagV: Arr;
  diagRowsV: Int32Array;
  Tv: Arr;
  /** the output region, row stride w */
  Ov: Arr;
}

/**
 * The range kernels on the WebAssembly SIMD matmul (assembly/kernels.ts). The JavaScript
 * side packs the left operand into wasm memory exactly as the pure-JS kernels do, copies
 * a chunk of the right operand in, calls the SIMD routine, and copies the result out
 * (adding beta·C there). With float64 arithmetic the sums are in the canonical order, so
 * results are bit-identical to JsRangeKernels. Blocks too small to pay for the copies run
 * on the pure-JS kernels. One instance per thread (it owns its wasm memory).
 *
 * Arrays from `alloc` live in that memory: the trace kernel packs them straight from there
 * and writes its result straight into them, and row-vector products (the trace contraction)
 * stream them in place, with no copy in or out.
 */
export class WasmRangeKernels implements RangeKernels {
  private readonly js = new JsRangeKernels();
  private readonly exports: KernelExports;
  private readonly f32x4: boolean;
  private layout: Layout | null = null;
  /**
   * Start of the region that `alloc` hands out (−1 until the first allocation). Once it is
   * set the memory never grows again, so views into it never detach; scratch stays below it.
   */
  private userBase = -1;
  private userNext = 0;
  private rows = new Float64Array(0);

  constructor(module: WebAssembly.Module, options: WasmKernelOptions = {}) {
    this.exports = instantiateKernels(module);
    this.f32x4 = options.float32 === 'f32x4';
  }

  gemmRange(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr, r0: number, r1: number, c0: number, c1: number): void {
    const rows = r1 - r0;
    const cols = c1 - c0;
    // Decided on the whole product, not on the block, so that every block of one product
    // takes the same path (the float32 path differs from the JS kernels in its last bits).
    if (M < 4 && !transB && alpha !== 0 && K > 0 && rows >= 1 && cols >= 1 && this.inMemory(B) && this.gemvRows(transA, M, N, K, alpha, A, B, beta, C, r0, r1, c0, c1)) return;
    if (M < 4 || M * N * K < MIN_WASM_GEMM || alpha === 0 || K === 0 || rows < 1 || cols < 1) {
      this.js.gemmRange(transA, transB, M, N, K, alpha, A, B, beta, C, r0, r1, c0, c1);
      return;
    }
    const single = this.f32x4 && A instanceof Float32Array && B instanceof Float32Array && C instanceof Float32Array;
    const matmul = single ? this.exports.matmulF32 : this.exports.matmulF64;
    const pack = single ? this.exports.packStripsF32 : this.exports.packStripsF64;
    const S = single ? 8 : 4;
    // at least 64 columns per chunk, so that repacking op(A) per chunk stays cheap
    const width = Math.min(roundUp(cols, S), Math.max(64, Math.floor(CHUNK / K / S) * S));
    const rowBlock = Math.min(rows, ROW_BLOCK);
    const lay = this.prepare(single ? 4 : 8, rowBlock, K, K, width);
    if (lay === null) {
      this.js.gemmRange(transA, transB, M, N, K, alpha, A, B, beta, C, r0, r1, c0, c1);
      return;
    }
    // L ← rows ic..ic+m−1 of op(A), in panels
    const packLeft = (ic: number, m: number): void => {
      if (transA) packColumns(A, 0, M, ic, m, K, lay.Lv, 0);
      else packRows(A, ic * K, K, m, K, lay.Lv, 0);
      zeroPadding(m, K, lay.Lv);
      lay.scaleV.fill(alpha, 0, paddedRows(m));
    };
    const oneBlock = rows <= ROW_BLOCK;
    if (oneBlock) packLeft(r0, rows);
    for (let jc = c0; jc < c1; jc += width) {
      const w = Math.min(width, c1 - jc);
      const strips = Math.ceil(w / S);
      // T ← the rows of B that hold columns jc..jc+w−1 of op(B); R ← those columns (K rows)
      // in strips of S columns
      if (transB) {
        lay.Tv.set(B.subarray(jc * K, (jc + w) * K));
        pack(lay.T, 1, K, K, w, lay.R);
      } else {
        stageRows(B, jc, N, K, w, lay.Tv);
        pack(lay.T, w, 1, K, w, lay.R);
      }
      for (let ic = r0; ic < r1; ic += rowBlock) {
        const m = Math.min(rowBlock, r1 - ic);
        if (!oneBlock) packLeft(ic, m);
        matmul(m, K, lay.L, lay.R, K, lay.O, strips * S, strips, lay.scale, 0, 0);
        copyOut(lay.Ov, strips * S, m, C, ic * N + jc, N, w, beta);
      }
    }
  }

  jacobianMatmulRange(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number, b0: number, b1: number, c0: number, c1: number): void {
    const n = J.n;
    if (alpha === 0 || n === 0 || b1 <= b0 || c1 <= c0) {
      this.js.jacobianMatmulRange(J, X, Y, cols, alpha, beta, b0, b1, c0, c1);
      return;
    }
    const single = this.f32x4 && X instanceof Float32Array && Y instanceof Float32Array;
    const matmul = single ? this.exports.matmulF32 : this.exports.matmulF64;
    const pack = single ? this.exports.packStripsF32 : this.exports.packStripsF64;
    const S = single ? 8 : 4;
    const np = paddedRows(n);
    const plan = J.kind === 'structured' ? planJacobian(J) : null;
    const K = plan === null ? n : plan.K;
    const width = Math.min(roundUp(c1 - c0, S), Math.max(2 * S, Math.floor(CHUNK / n / S) * S));
    const lay = this.prepare(single ? 4 : 8, n, K, n, width);
    if (lay === null) {
      this.js.jacobianMatmulRange(J, X, Y, cols, alpha, beta, b0, b1, c0, c1);
      return;
    }
    // Arrays that live in this memory (from `alloc`) are read and written in place, whole
    // strips of S columns at a time; the remaining columns go through the staged path.
    const esz = single ? 4 : 8;
    const direct = beta === 0 && this.inMemory(X) && this.inMemory(Y) && (single || (X instanceof Float64Array && Y instanceof Float64Array));
    const wMain = direct ? Math.floor((c1 - c0) / S) * S : 0;
    const directMatmul = single ? this.exports.matmulDirectF32 : this.exports.matmulDirectF64;
    const { Lv, scaleV, diagV, diagRowsV } = lay;
    const per = n * cols;
    // Per-row scale, packed left operand and diagonal term, as in cpu/jacobian-range.ts.
    zeroPadding(n, K, Lv);
    scaleV.fill(plan === null ? alpha : 0, 0, np);
    let diagAt = 0;
    if (plan !== null && plan.hasDiagonal) {
      diagRowsV.set(plan.diagRows);
      diagRowsV.fill(0, n, np);
      diagV.fill(0, n, np);
      diagAt = lay.diag;
    }
    const rows = plan === null ? null : this.rowsScratch(n * K);
    if (plan !== null && rows !== null && plan.shared) {
      jacobianLeft(J as StructuredJacobian, plan, 0, rows);
      packRows(rows, 0, K, n, K, Lv, 0);
    }
    for (let b = b0; b < b1; b++) {
      if (plan === null || rows === null) {
        packRows((J as DenseJacobian).data, b * n * n, n, n, n, Lv, 0);
      } else {
        const JS = J as StructuredJacobian;
        if (!plan.shared) {
          jacobianLeft(JS, plan, b, rows);
          packRows(rows, 0, K, n, K, Lv, 0);
        }
        jacobianRowScale(JS, plan, b, alpha, scaleV);
        if (diagAt !== 0) jacobianDiagonal(JS, plan, b, diagV);
      }
      // whole strips: packed straight from X (no staging copy), written straight into Y
      for (let cs = c0; cs < c0 + wMain; cs += width) {
        const w = Math.min(width, c0 + wMain - cs);
        const off = (b * per + cs) * esz;
        pack(X.byteOffset + off, cols, 1, n, w, lay.R);
        directMatmul(n, K, lay.L, lay.R, n * 32, 32, Y.byteOffset + off, cols, w / S, lay.scale, diagAt, lay.diagRows);
      }
      for (let cs = c0 + wMain; cs < c1; cs += width) {
        const w = Math.min(width, c1 - cs);
        const strips = Math.ceil(w / S);
        // R ← X_b[:, cs..cs+w−1], all n rows (the diagonal term may read any of them)
        stageRows(X, b * per + cs, cols, n, w, lay.Tv);
        pack(lay.T, w, 1, n, w, lay.R);
        matmul(n, K, lay.L, lay.R, n, lay.O, strips * S, strips, lay.scale, diagAt, lay.diagRows);
        copyOut(lay.Ov, strips * S, n, Y, b * per + cs, cols, w, beta);
      }
    }
  }

  /**
   * A zeroed array of `length` elements inside wasm memory, which the kernels read and write
   * in place. The first call grows the memory once, for this array and as much again (the
   * learners' double buffers); the memory never grows after that, so the views stay valid.
   * When it is full (or cannot grow) the result is an ordinary typed array.
   */
  alloc(dtype: DType, length: number): Arr {
    const esz = dtype === 'float32' ? 4 : 8;
    const bytes = Math.ceil((length * esz) / 16) * 16;
    const memory = this.exports.memory;
    if (this.userBase < 0) {
      const base = roundUp(Math.max(memory.buffer.byteLength, SCRATCH_RESERVE), PAGE);
      if (!tryGrow(memory, base + 2 * bytes) && !tryGrow(memory, base + bytes)) return plainAlloc(dtype, length);
      this.userBase = base;
      this.userNext = base;
    }
    if (this.userNext + bytes > memory.buffer.byteLength) return plainAlloc(dtype, length);
    const at = this.userNext;
    this.userNext += bytes;
    const buffer = memory.buffer as ArrayBuffer;
    const view = esz === 4 ? new Float32Array(buffer, at, length) : new Float64Array(buffer, at, length);
    view.fill(0);
    return view;
  }

  /** A float64 scratch of at least `length` elements for a structured Jacobian's left operand (JS memory). */
  private rowsScratch(length: number): Float64Array {
    if (this.rows.length < length) this.rows = new Float64Array(length);
    return this.rows;
  }

  /** Whether the array is a view of this instance's memory (so the kernels can use it in place). */
  private inMemory(a: Arr): boolean {
    return this.userBase >= 0 && a.buffer === this.exports.memory.buffer;
  }

  /** Rows r0..r1−1 of a product with fewer than 4 rows whose B lives in wasm memory; false if the scratch does not fit. */
  private gemvRows(transA: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr, r0: number, r1: number, c0: number, c1: number): boolean {
    const w = c1 - c0;
    const aAt = 0;
    const outAt = roundUp(K * 8, 16);
    if (outAt + w * 8 > this.userBase) return false;
    const buffer = this.exports.memory.buffer as ArrayBuffer;
    const a = new Float64Array(buffer, aAt, K);
    const acc = new Float64Array(buffer, outAt, w);
    const f32 = B instanceof Float32Array ? 1 : 0;
    const bAt = B.byteOffset + c0 * (f32 ? 4 : 8);
    for (let i = r0; i < r1; i++) {
      if (transA) for (let k = 0; k < K; k++) a[k] = A[k * M + i];
      else for (let k = 0; k < K; k++) a[k] = A[i * K + k];
      this.exports.gemvF64(K, aAt, bAt, N, w, outAt, f32);
      const o = i * N + c0;
      // the epilogue of the JS row kernel
      if (beta === 0) for (let j = 0; j < w; j++) C[o + j] = alpha * acc[j];
      else for (let j = 0; j < w; j++) C[o + j] = alpha * acc[j] + beta * C[o + j];
    }
    return true;
  }

  /**
   * Regions for a block of M rows (padded to whole panels), K columns of L, rRows×w of R
   * and M×w of output (w a multiple of the strip width), in elements of `esz` bytes;
   * grows the memory when needed. The views are cached, so repeated calls with one shape
   * allocate nothing.
   */
  private prepare(esz: number, M: number, K: number, rRows: number, w: number): Layout | null {
    const memory = this.exports.memory;
    const key = `${esz},${M},${K},${rRows},${w}`;
    const cached = this.layout;
    if (cached !== null && cached.key === key && cached.buffer === memory.buffer) return cached;
    const np = paddedRows(M);
    let at = 0;
    const region = (bytes: number): number => {
      const start = at;
      at += (bytes + 15) & ~15;
      return start;
    };
    const L = region(np * K * esz);
    const scale = region(np * esz);
    const diag = region(np * esz);
    const diagRows = region(np * 4);
    const T = region(rRows * w * esz);
    const R = region(rRows * w * esz);
    const O = region(np * w * esz);
    if (this.userBase >= 0) {
      // the memory holds allocated arrays: it must not grow (their views would detach)
      if (at > this.userBase) return null;
    } else {
      const need = at - memory.buffer.byteLength;
      if (need > 0) memory.grow(Math.ceil(need / PAGE));
    }
    const buffer = memory.buffer as ArrayBuffer;
    const view = (offset: number, length: number): Arr => (esz === 4 ? new Float32Array(buffer, offset, length) : new Float64Array(buffer, offset, length));
    const lay: Layout = {
      key,
      buffer,
      L,
      scale,
      diag,
      diagRows,
      T,
      R,
      O,
      Lv: view(L, np * K),
      scaleV: view(scale, np),
      diagV: view(diag, np),
      diagRowsV: new Int32Array(buffer, diagRows, np),
      Tv: view(T, rRows * w),
      Ov: view(O, np * w),
    };
    this.layout = lay;
    return lay;
  }
}

/** Grows the memory to at least `bytes`; false where it cannot (over 4 GiB, out of memory). */
function tryGrow(memory: WebAssembly.Memory, bytes: number): boolean {
  const pages = Math.ceil((bytes - memory.buffer.byteLength) / PAGE);
  if (pages <= 0) return true;
  if (memory.buffer.byteLength / PAGE + pages > 65536) return false;
  try {
    memory.grow(pages);
    return true;
  } catch {
    return false;
  }
}

function roundUp(v: number, m: number): number {
  return Math.ceil(v / m) * m;
}

/** T (rows×w, row-major) ← src[off + k·ld + j] for k < rows, j < w, by native copies. */
function stageRows(src: Arr, off: number, ld: number, rows: number, w: number, T: Arr): void {
  if (w === ld) T.set(src.subarray(off, off + rows * w));
  else for (let k = 0; k < rows; k++) T.set(src.subarray(off + k * ld, off + k * ld + w), k * w);
}

/**
 * C[c + i·ldc + j] ← O[i·ldo + j] (+ beta·C) for i < rows, j < w: the wasm result is
 * s·acc, and adding beta·C here is the same arithmetic as the pure-JS epilogue.
 */
function copyOut(O: Arr, ldo: number, rows: number, C: Arr, c: number, ldc: number, w: number, beta: number): void {
  for (let i = 0; i < rows; i++) {
    const o = i * ldo;
    const t = c + i * ldc;
    if (beta === 0) C.set(O.subarray(o, o + w), t);
    else for (let j = 0; j < w; j++) C[t + j] = O[o + j] + beta * C[t + j];
  }
}
