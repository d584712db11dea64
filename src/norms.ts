/**
 * Scaled Euclidean norms (the scheme of LAPACK's dlassq/dnrm2): values are divided by the
 * largest magnitude seen so far before they are squared, so ‖x‖₂ is exact to rounding for
 * entries anywhere in the float64 range, where a plain √(Σ x²) overflows to Infinity for
 * |x| ≳ 1e154 and underflows to 0 for |x| ≲ 1e-162. Every Σx² of the library goes through here.
 *
 * A NaN anywhere gives NaN; otherwise an infinite entry gives Infinity.
 */
export class NormAccumulator {
  private scale = 0;
  private ssq = 1;
  private nan = false;
  private inf = false;

  /** Adds one value x (‖·‖² grows by x²). */
  add(x: number): void {
    if (x === 0) return;
    const a = x < 0 ? -x : x;
    if (!(a < Infinity)) {
      if (a === Infinity) this.inf = true;
      else this.nan = true;
      return;
    }
    if (a > this.scale) {
      const r = this.scale / a;
      this.ssq = 1 + this.ssq * r * r;
      this.scale = a;
    } else {
      const r = a / this.scale;
      this.ssq += r * r;
    }
  }

  /** Adds every value of `xs`. */
  addAll(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.add(xs[i]);
  }

  /** √(Σ x²) of everything added (0 when nothing non-zero was added). */
  value(): number {
    if (this.nan) return NaN;
    if (this.inf) return Infinity;
    return this.scale * Math.sqrt(this.ssq);
  }
}

/** ‖x‖₂ of one array, without overflow or underflow of the squares. */
export function l2Norm(xs: ArrayLike<number>): number {
  const acc = new NormAccumulator();
  acc.addAll(xs);
  return acc.value();
}

/**
 * cos(a, b) = Σ (a_i/‖a‖)(b_i/‖b‖), each factor at most 1 in magnitude, so the dot product
 * neither overflows nor underflows; 0 when either vector is zero (the library's convention).
 * `a` and `b` are read at [off, off + len).
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>, off = 0, len = a.length - off): number {
  const na = new NormAccumulator();
  const nb = new NormAccumulator();
  for (let i = off; i < off + len; i++) {
    na.add(a[i]);
    nb.add(b[i]);
  }
  const A = na.value();
  const B = nb.value();
  if (A === 0 || B === 0) return 0;
  let dot = 0;
  for (let i = off; i < off + len; i++) dot += (a[i] / A) * (b[i] / B);
  return dot;
}

/** Scales `xs` in place so that ‖xs‖₂ ≤ c; returns the factor applied (1 when already inside). */
export function clipToNorm(xs: { [i: number]: number; length: number }, c: number): number {
  const norm = l2Norm(xs);
  if (!(norm > c)) return 1;
  const f = c / norm;
  for (let i = 0; i < xs.length; i++) xs[i] *= f;
  return f;
}
