/**
 * An arbitrary-precision oracle for the accuracy tests of src/math: binary floating point on
 * BigInt significands (value = m·2^e, |m| < 2^PREC, truncated after every operation), and the
 * elementary functions by their textbook series, evaluated far beyond float64 precision
 * (PREC = 200 bits). Independent of src/math: no tables, no double-double tricks, other
 * series (atanh for ln, Maclaurin for exp, sin and cos), other reductions.
 */

const PREC = 200;

export interface Big {
  m: bigint;
  e: number;
}

function bitLength(m: bigint): number {
  return (m < 0n ? -m : m).toString(2).length;
}

function norm(m: bigint, e: number): Big {
  if (m === 0n) return { m, e: 0 };
  const s = bitLength(m) - PREC;
  return s > 0 ? { m: m >> BigInt(s), e: e + s } : { m, e };
}

export function big(x: number): Big {
  if (!Number.isFinite(x)) throw new Error(`reference: not finite: ${x}`);
  if (x === 0) return { m: 0n, e: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e = -1074;
  if (biased !== 0) {
    m |= 1n << 52n;
    e = biased - 1075;
  }
  return { m: x < 0 ? -m : m, e };
}

export const bigInt = (n: number | bigint): Big => norm(BigInt(n), 0);

/** Exact sum (no truncation), for error measurement. */
function exactSub(a: Big, b: Big): Big {
  const e = Math.min(a.e, b.e);
  return { m: (a.m << BigInt(a.e - e)) - (b.m << BigInt(b.e - e)), e };
}

export function add(a: Big, b: Big): Big {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  // an addend below 2^-(PREC+64) of the other cannot change the truncated result
  const ta = bitLength(a.m) + a.e;
  const tb = bitLength(b.m) + b.e;
  if (ta - tb > PREC + 64) return a;
  if (tb - ta > PREC + 64) return b;
  const e = Math.min(a.e, b.e);
  return norm((a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e)), e);
}

export const neg = (a: Big): Big => ({ m: -a.m, e: a.e });
export const sub = (a: Big, b: Big): Big => add(a, neg(b));
export const mul = (a: Big, b: Big): Big => norm(a.m * b.m, a.e + b.e);
export const scale2 = (a: Big, k: number): Big => ({ m: a.m, e: a.e + k });

export function div(a: Big, b: Big): Big {
  if (b.m === 0n) throw new Error('reference: division by zero');
  const shift = PREC + bitLength(b.m) + 2;
  return norm((a.m << BigInt(shift)) / b.m, a.e - b.e - shift);
}

/** floor(log2 |a|) for a ≠ 0. */
export const log2Floor = (a: Big): number => bitLength(a.m) - 1 + a.e;

const tiny = (term: Big, sum: Big) => term.m === 0n || (sum.m !== 0n && log2Floor(term) < log2Floor(sum) - PREC - 8);

/** atanh(t) = Σ t^(2k+1)/(2k+1), |t| ≤ 1/2. */
function atanh(t: Big): Big {
  const t2 = mul(t, t);
  let power = t;
  let sum = t;
  for (let k = 3; ; k += 2) {
    power = mul(power, t2);
    const term = div(power, bigInt(k));
    if (tiny(term, sum)) return sum;
    sum = add(sum, term);
  }
}

/** atan(1/d) = Σ (−1)^k / ((2k+1) d^(2k+1)). */
function atanInv(d: number): Big {
  const inv = div(bigInt(1), bigInt(d));
  const inv2 = mul(inv, inv);
  let power = inv;
  let sum = inv;
  for (let k = 3, sign = -1; ; k += 2, sign = -sign) {
    power = mul(power, inv2);
    const term = div(power, bigInt(sign * k));
    if (tiny(term, sum)) return sum;
    sum = add(sum, term);
  }
}

export const LN2 = scale2(atanh(div(bigInt(1), bigInt(3))), 1);
export const PI = sub(scale2(atanInv(5), 4), scale2(atanInv(239), 2));

/** Σ_{n ≥ n0} r^n/n! for |r| ≤ 1. */
function expSeries(r: Big, n0: number): Big {
  let term = bigInt(1);
  for (let n = 1; n <= n0; n++) term = div(mul(term, r), bigInt(n));
  let sum = term;
  for (let n = n0 + 1; ; n++) {
    term = div(mul(term, r), bigInt(n));
    if (tiny(term, sum)) return sum;
    sum = add(sum, term);
  }
}

export function expRef(x: number): Big {
  const k = Math.round(x / Math.LN2);
  const r = sub(big(x), mul(bigInt(k), LN2));
  return scale2(expSeries(r, 0), k);
}

export function expm1Ref(x: number): Big {
  if (Math.abs(x) < 0.5) return expSeries(big(x), 1);
  return sub(expRef(x), bigInt(1));
}

/** ln a for a > 0, with a = 2^E·s, s ∈ [√2/2, √2): E·ln2 + 2·atanh((s − 1)/(s + 1)). */
export function logBig(a: Big): Big {
  if (a.m <= 0n) throw new Error('reference: ln of a number ≤ 0');
  let E = log2Floor(a);
  let s = scale2(a, -E);
  if (compare(mul(s, s), bigInt(2)) > 0) {
    s = scale2(s, -1);
    E += 1;
  }
  const t = div(sub(s, bigInt(1)), add(s, bigInt(1)));
  return add(mul(bigInt(E), LN2), scale2(atanh(t), 1));
}

export function compare(a: Big, b: Big): number {
  const d = sub(a, b).m;
  return d === 0n ? 0 : d > 0n ? 1 : -1;
}

export const logRef = (x: number): Big => logBig(big(x));

export function log1pRef(x: number): Big {
  if (Math.abs(x) < 0.5) return scale2(atanh(div(big(x), add(bigInt(2), big(x)))), 1);
  return logBig(add(bigInt(1), big(x)));
}

export function tanhRef(x: number): Big {
  const u = expm1Ref(2 * x);
  return div(u, add(u, bigInt(2)));
}

export const sigmoidRef = (z: number): Big => div(bigInt(1), add(bigInt(1), expRef(-z)));

/** sin θ or cos θ by Maclaurin series (|θ| ≤ 4). */
function sinCosSeries(theta: Big, first: number): Big {
  const t2 = neg(mul(theta, theta));
  let term = first === 1 ? theta : bigInt(1);
  let sum = term;
  for (let n = first; ; n += 2) {
    term = div(mul(term, t2), bigInt((n + 1) * (n + 2)));
    if (term.m === 0n || (sum.m !== 0n && log2Floor(term) < log2Floor(sum) - PREC - 8) || log2Floor(term) < -PREC - 1100) return sum;
    sum = add(sum, term);
  }
}

/** x mod 2 in [−1, 1] as an exact Big (x is a double; n = round(x/2) is exact in BigInt). */
function halfTurns(x: number): Big {
  const n = BigInt(Math.round(x / 2));
  return sub(big(x), bigInt(2n * n));
}

export const sinPiRef = (x: number): Big => sinCosSeries(mul(PI, halfTurns(x)), 1);
export const cosPiRef = (x: number): Big => sinCosSeries(mul(PI, halfTurns(x)), 0);

export function powIntRef(x: number, n: number): Big {
  let result = bigInt(1);
  let base = big(x);
  for (let e = BigInt(Math.abs(n)); e > 0n; e >>= 1n) {
    if (e & 1n) result = mul(result, base);
    base = mul(base, base);
  }
  return n < 0 ? div(bigInt(1), result) : result;
}

/**
 * |y − ref| in ulps of the float64 nearest ref (the subnormal spacing 2^-1074 below 2^-1022).
 * A reference at or beyond the overflow threshold (2^1024 − 2^970) expects ±Infinity.
 */
export function ulpError(y: number, ref: Big): number {
  if (ref.m === 0n) return y === 0 ? 0 : Infinity;
  const E = log2Floor(ref);
  if (!Number.isFinite(y)) {
    const overflows = compare(ref.m > 0n ? ref : neg(ref), sub(scale2(bigInt(1), 1024), scale2(bigInt(1), 970))) >= 0;
    return overflows && Math.sign(y) === (ref.m > 0n ? 1 : -1) ? 0 : Infinity;
  }
  const ulpExp = Math.max(E - 52, -1074);
  const d = exactSub(big(y), ref);
  if (d.m === 0n) return 0;
  const len = bitLength(d.m);
  const s = Math.max(0, len - 64);
  const dm = Number((d.m < 0n ? -d.m : d.m) >> BigInt(s));
  return dm * 2 ** (d.e + s - ulpExp);
}
