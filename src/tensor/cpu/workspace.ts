/**
 * Grow-only scratch buffers owned by one kernel engine (one per thread). Each accessor
 * returns a buffer of at least the requested length; it is reallocated only when a larger
 * size is asked for, so steady-state calls allocate nothing. Contents are not preserved
 * across growth and are not cleared: callers write before they read.
 */
export class Workspace {
  private f64: Float64Array[] = [];
  private i32: Int32Array[] = [];

  /** Float64 scratch number `slot` with at least `length` elements. */
  float64(slot: number, length: number): Float64Array {
    let buf = this.f64[slot];
    if (buf === undefined || buf.length < length) {
      buf = new Float64Array(grownLength(buf === undefined ? 0 : buf.length, length));
      this.f64[slot] = buf;
    }
    return buf;
  }

  /** Int32 scratch number `slot` with at least `length` elements. */
  int32(slot: number, length: number): Int32Array {
    let buf = this.i32[slot];
    if (buf === undefined || buf.length < length) {
      buf = new Int32Array(grownLength(buf === undefined ? 0 : buf.length, length));
      this.i32[slot] = buf;
    }
    return buf;
  }
}

/** Grow geometrically so that slowly increasing sizes do not reallocate every call. */
function grownLength(current: number, needed: number): number {
  return Math.max(needed, Math.min(current * 2, needed + (1 << 20)), 64);
}

/** Scratch slots used by the CPU kernels (one engine never nests two users of a slot). */
export const SLOT = {
  /** the packed left operand (panels of 4 rows, float64) */
  left: 0,
  /** per-row output scale */
  scale: 1,
  /** per-row diagonal coefficient (structured Jacobians) */
  diag: 2,
  /** a transposed chunk of the right operand (gemm with transB) */
  right: 3,
  /** one row of op(A) (gemm vector path) */
  row: 4,
  /** float64 accumulator row (gemm vector path) */
  acc: 5,
  /** a structured Jacobian's left operand, row-major, before packing */
  rows: 6,
} as const;
