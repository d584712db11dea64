// AssemblyScript source of the WebAssembly SIMD kernel used by src/tensor/wasm/. Not part of
// the TypeScript build: `node scripts/build-wasm.mjs` compiles it with asc and embeds the
// bytes as base64 in src/tensor/wasm/kernels.wasm.ts.
//
// One routine per element type. Pointers are byte addresses in this module's memory; every
// buffer is laid out by the JavaScript side (src/tensor/wasm/wasm-kernels.ts):
//
//   O[i, c] = s[i]·(Σ_k L[i,k]·R[k,c] + g[i]·R[dr[i], c])   for i < M (rounded up to 4), c < S·nStrips
//
// - L (M×K) is packed in panels of 4 rows: row i, column k at (i >> 2)·4K + 4k + (i & 3).
// - R is packed in strips of S columns (S = 4 for float64, 8 for float32): column c of row k
//   at (c / S)·rRows·S + k·S + (c mod S), so the inner loop reads memory sequentially.
// - O is row-major with row stride ldo (≥ S·nStrips).
// - s, g, dr cover M rounded up to 4 (padding rows are computed and ignored); the diagonal
//   term is present when `diag` is not 0. A 4-row block whose four scales are all zero is
//   written as zeros without being computed.
//
// Summation order: acc = 0, then acc += L[i,k]·R[k,c] for k = 0..K−1, then the diagonal
// term, then the scale: the canonical order of the JavaScript kernels, so the float64
// routine gives the same bits as they do (wasm SIMD has no fused multiply-add).

/** float64: 4 rows × 4 columns per block, two f64x2 accumulators per row. */
export function matmulF64(M: i32, K: i32, L: usize, R: usize, rRows: i32, O: usize, ldo: i32, nStrips: i32, scale: usize, diag: usize, diagRows: usize): void {
  const stripBytes = <usize>rRows * 32;
  const outBytes = <usize>ldo * 8;
  const panelBytes = <usize>K * 32;
  const zero = f64x2.splat(0);
  let rs = R;
  for (let strip = 0; strip < nStrips; strip++, rs += stripBytes) {
    const colBytes = <usize>strip * 32;
    let lp0 = L;
    for (let i = 0; i < M; i += 4, lp0 += panelBytes) {
      const sp = scale + <usize>i * 8;
      const s0 = load<f64>(sp), s1 = load<f64>(sp, 8), s2 = load<f64>(sp, 16), s3 = load<f64>(sp, 24);
      const op = O + <usize>i * outBytes + colBytes;
      if (s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0) {
        for (let r = 0; r < 4; r++) {
          v128.store(op + <usize>r * outBytes, zero);
          v128.store(op + <usize>r * outBytes, zero, 16);
        }
        continue;
      }
      // a<row><lo|hi>: the block's accumulators, lanes = columns
      let a0l = zero, a0h = zero, a1l = zero, a1h = zero, a2l = zero, a2h = zero, a3l = zero, a3h = zero;
      let xp = rs;
      let lp = lp0;
      for (let k = 0; k < K; k++) {
        const xl = v128.load(xp);
        const xh = v128.load(xp, 16);
        let l = v128.load64_splat(lp);
        a0l = f64x2.add(a0l, f64x2.mul(l, xl));
        a0h = f64x2.add(a0h, f64x2.mul(l, xh));
        l = v128.load64_splat(lp, 8);
        a1l = f64x2.add(a1l, f64x2.mul(l, xl));
        a1h = f64x2.add(a1h, f64x2.mul(l, xh));
        l = v128.load64_splat(lp, 16);
        a2l = f64x2.add(a2l, f64x2.mul(l, xl));
        a2h = f64x2.add(a2h, f64x2.mul(l, xh));
        l = v128.load64_splat(lp, 24);
        a3l = f64x2.add(a3l, f64x2.mul(l, xl));
        a3h = f64x2.add(a3h, f64x2.mul(l, xh));
        xp += 32;
        lp += 32;
      }
      if (diag != 0) {
        // + g[i]·R[dr[i], strip] for the four rows
        const gp = diag + <usize>i * 8;
        const dp = diagRows + (<usize>i << 2);
        let g = v128.load64_splat(gp);
        let d = rs + <usize>load<i32>(dp) * 32;
        a0l = f64x2.add(a0l, f64x2.mul(g, v128.load(d)));
        a0h = f64x2.add(a0h, f64x2.mul(g, v128.load(d, 16)));
        g = v128.load64_splat(gp, 8);
        d = rs + <usize>load<i32>(dp, 4) * 32;
        a1l = f64x2.add(a1l, f64x2.mul(g, v128.load(d)));
        a1h = f64x2.add(a1h, f64x2.mul(g, v128.load(d, 16)));
        g = v128.load64_splat(gp, 16);
        d = rs + <usize>load<i32>(dp, 8) * 32;
        a2l = f64x2.add(a2l, f64x2.mul(g, v128.load(d)));
        a2h = f64x2.add(a2h, f64x2.mul(g, v128.load(d, 16)));
        g = v128.load64_splat(gp, 24);
        d = rs + <usize>load<i32>(dp, 12) * 32;
        a3l = f64x2.add(a3l, f64x2.mul(g, v128.load(d)));
        a3h = f64x2.add(a3h, f64x2.mul(g, v128.load(d, 16)));
      }
      let s = f64x2.splat(s0);
      v128.store(op, f64x2.mul(s, a0l));
      v128.store(op, f64x2.mul(s, a0h), 16);
      s = f64x2.splat(s1);
      v128.store(op + outBytes, f64x2.mul(s, a1l));
      v128.store(op + outBytes, f64x2.mul(s, a1h), 16);
      s = f64x2.splat(s2);
      v128.store(op + 2 * outBytes, f64x2.mul(s, a2l));
      v128.store(op + 2 * outBytes, f64x2.mul(s, a2h), 16);
      s = f64x2.splat(s3);
      v128.store(op + 3 * outBytes, f64x2.mul(s, a3l));
      v128.store(op + 3 * outBytes, f64x2.mul(s, a3h), 16);
    }
  }
}

/** float32: 4 rows × 8 columns per block, two f32x4 accumulators per row (float32 sums). */
export function matmulF32(M: i32, K: i32, L: usize, R: usize, rRows: i32, O: usize, ldo: i32, nStrips: i32, scale: usize, diag: usize, diagRows: usize): void {
  const stripBytes = <usize>rRows * 32;
  const outBytes = <usize>ldo * 4;
  const panelBytes = <usize>K * 16;
  const zero = f32x4.splat(0);
  let rs = R;
  for (let strip = 0; strip < nStrips; strip++, rs += stripBytes) {
    const colBytes = <usize>strip * 32;
    let lp0 = L;
    for (let i = 0; i < M; i += 4, lp0 += panelBytes) {
      const sp = scale + <usize>i * 4;
      const s0 = load<f32>(sp), s1 = load<f32>(sp, 4), s2 = load<f32>(sp, 8), s3 = load<f32>(sp, 12);
      const op = O + <usize>i * outBytes + colBytes;
      if (s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0) {
        for (let r = 0; r < 4; r++) {
          v128.store(op + <usize>r * outBytes, zero);
          v128.store(op + <usize>r * outBytes, zero, 16);
        }
        continue;
      }
      // a<row><lo|hi>: the block's accumulators, lanes = columns
      let a0l = zero, a0h = zero, a1l = zero, a1h = zero, a2l = zero, a2h = zero, a3l = zero, a3h = zero;
      let xp = rs;
      let lp = lp0;
      for (let k = 0; k < K; k++) {
        const xl = v128.load(xp);
        const xh = v128.load(xp, 16);
        let l = v128.load32_splat(lp);
        a0l = f32x4.add(a0l, f32x4.mul(l, xl));
        a0h = f32x4.add(a0h, f32x4.mul(l, xh));
        l = v128.load32_splat(lp, 4);
        a1l = f32x4.add(a1l, f32x4.mul(l, xl));
        a1h = f32x4.add(a1h, f32x4.mul(l, xh));
        l = v128.load32_splat(lp, 8);
        a2l = f32x4.add(a2l, f32x4.mul(l, xl));
        a2h = f32x4.add(a2h, f32x4.mul(l, xh));
        l = v128.load32_splat(lp, 12);
        a3l = f32x4.add(a3l, f32x4.mul(l, xl));
        a3h = f32x4.add(a3h, f32x4.mul(l, xh));
        xp += 32;
        lp += 16;
      }
      if (diag != 0) {
        // + g[i]·R[dr[i], strip] for the four rows
        const gp = diag + <usize>i * 4;
        const dp = diagRows + (<usize>i << 2);
        let g = v128.load32_splat(gp);
        let d = rs + <usize>load<i32>(dp) * 32;
        a0l = f32x4.add(a0l, f32x4.mul(g, v128.load(d)));
        a0h = f32x4.add(a0h, f32x4.mul(g, v128.load(d, 16)));
        g = v128.load32_splat(gp, 4);
        d = rs + <usize>load<i32>(dp, 4) * 32;
        a1l = f32x4.add(a1l, f32x4.mul(g, v128.load(d)));
        a1h = f32x4.add(a1h, f32x4.mul(g, v128.load(d, 16)));
        g = v128.load32_splat(gp, 8);
        d = rs + <usize>load<i32>(dp, 8) * 32;
        a2l = f32x4.add(a2l, f32x4.mul(g, v128.load(d)));
        a2h = f32x4.add(a2h, f32x4.mul(g, v128.load(d, 16)));
        g = v128.load32_splat(gp, 12);
        d = rs + <usize>load<i32>(dp, 12) * 32;
        a3l = f32x4.add(a3l, f32x4.mul(g, v128.load(d)));
        a3h = f32x4.add(a3h, f32x4.mul(g, v128.load(d, 16)));
      }
      let s = f32x4.splat(s0);
      v128.store(op, f32x4.mul(s, a0l));
      v128.store(op, f32x4.mul(s, a0h), 16);
      s = f32x4.splat(s1);
      v128.store(op + outBytes, f32x4.mul(s, a1l));
      v128.store(op + outBytes, f32x4.mul(s, a1h), 16);
      s = f32x4.splat(s2);
      v128.store(op + 2 * outBytes, f32x4.mul(s, a2l));
      v128.store(op + 2 * outBytes, f32x4.mul(s, a2h), 16);
      s = f32x4.splat(s3);
      v128.store(op + 3 * outBytes, f32x4.mul(s, a3l));
      v128.store(op + 3 * outBytes, f32x4.mul(s, a3h), 16);
    }
  }
}

// R ← the rows×w block whose element (k, j) is src[k·sk + j·sj] (element strides), packed
// in strips of S columns as matmulF64/matmulF32 read it, the last strip padded with zeros.

/** Strip packing for matmulF64 (S = 4). */
export function packStripsF64(src: usize, sk: i32, sj: i32, rows: i32, w: i32, dst: usize): void {
  const skBytes = <usize>sk << 3;
  const sjBytes = <usize>sj << 3;
  if (sj == 1) {
    // row by row: the source is read sequentially (it may be far larger than the caches)
    const full = w >> 2;
    const stripBytes = <usize>rows * 32;
    let row = src;
    for (let k = 0; k < rows; k++, row += skBytes) {
      let out = dst + <usize>k * 32;
      let p = row;
      for (let q = 0; q < full; q++, p += 32, out += stripBytes) {
        v128.store(out, v128.load(p));
        v128.store(out, v128.load(p, 16), 16);
      }
      if (full << 2 < w) for (let q = 0; q < 4; q++) store<f64>(out + (<usize>q << 3), q < w - (full << 2) ? load<f64>(p + (<usize>q << 3)) : 0);
    }
    return;
  }
  let out = dst;
  for (let j0 = 0; j0 < w; j0 += 4) {
    const jn = min(4, w - j0);
    let row = src + <usize>j0 * sjBytes;
    for (let k = 0; k < rows; k++, row += skBytes, out += 32) {
      if (jn == 4 && sj == 1) {
        v128.store(out, v128.load(row));
        v128.store(out, v128.load(row, 16), 16);
      } else if (jn == 4) {
        store<f64>(out, load<f64>(row));
        store<f64>(out, load<f64>(row + sjBytes), 8);
        store<f64>(out, load<f64>(row + 2 * sjBytes), 16);
        store<f64>(out, load<f64>(row + 3 * sjBytes), 24);
      } else {
        for (let q = 0; q < 4; q++) store<f64>(out + (<usize>q << 3), q < jn ? load<f64>(row + <usize>q * sjBytes) : 0);
      }
    }
  }
}

/** Strip packing for matmulF32 (S = 8). */
export function packStripsF32(src: usize, sk: i32, sj: i32, rows: i32, w: i32, dst: usize): void {
  const skBytes = <usize>sk << 2;
  const sjBytes = <usize>sj << 2;
  if (sj == 1) {
    // row by row: the source is read sequentially (it may be far larger than the caches)
    const full = w >> 3;
    const stripBytes = <usize>rows * 32;
    let row = src;
    for (let k = 0; k < rows; k++, row += skBytes) {
      let out = dst + <usize>k * 32;
      let p = row;
      for (let q = 0; q < full; q++, p += 32, out += stripBytes) {
        v128.store(out, v128.load(p));
        v128.store(out, v128.load(p, 16), 16);
      }
      if (full << 3 < w) for (let q = 0; q < 8; q++) store<f32>(out + (<usize>q << 2), q < w - (full << 3) ? load<f32>(p + (<usize>q << 2)) : 0);
    }
    return;
  }
  let out = dst;
  for (let j0 = 0; j0 < w; j0 += 8) {
    const jn = min(8, w - j0);
    let row = src + <usize>j0 * sjBytes;
    for (let k = 0; k < rows; k++, row += skBytes, out += 32) {
      if (jn == 8 && sj == 1) {
        v128.store(out, v128.load(row));
        v128.store(out, v128.load(row, 16), 16);
      } else {
        for (let q = 0; q < 8; q++) store<f32>(out + (<usize>q << 2), q < jn ? load<f32>(row + <usize>q * sjBytes) : 0);
      }
    }
  }
}

// Direct-output variants: O is row-major with row stride ldo and only rows i < M are stored
// (the padding rows of the last 4-row block are computed and dropped), so O can be the
// caller's array in this memory. Strip s of R starts at X + s·xStrip bytes and its row k at
// k·xRow bytes further (packed strips: xStrip = rRows·32, xRow = 32; an unpacked row-major
// array: xStrip = 32, xRow = its row stride in bytes). Same sums, same order, as
// matmulF64/matmulF32.

/** float64 direct: 4 rows × 4 columns per block. */
export function matmulDirectF64(M: i32, K: i32, L: usize, X: usize, xStrip: i32, xRow: i32, O: usize, ldo: i32, nStrips: i32, scale: usize, diag: usize, diagRows: usize): void {
  const rowBytes = <usize>xRow;
  const outBytes = <usize>ldo * 8;
  const panelBytes = <usize>K * 32;
  const zero = f64x2.splat(0);
  for (let strip = 0; strip < nStrips; strip++) {
    const colBytes = <usize>strip * 32;
    const rs = X + <usize>strip * <usize>xStrip;
    let lp0 = L;
    for (let i = 0; i < M; i += 4, lp0 += panelBytes) {
      const sp = scale + <usize>i * 8;
      const s0 = load<f64>(sp), s1 = load<f64>(sp, 8), s2 = load<f64>(sp, 16), s3 = load<f64>(sp, 24);
      const op = O + <usize>i * outBytes + colBytes;
      const rows = min(4, M - i);
      if (s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0) {
        for (let r = 0; r < rows; r++) {
          v128.store(op + <usize>r * outBytes, zero);
          v128.store(op + <usize>r * outBytes, zero, 16);
        }
        continue;
      }
      let a0l = zero, a0h = zero, a1l = zero, a1h = zero, a2l = zero, a2h = zero, a3l = zero, a3h = zero;
      let xp = rs;
      let lp = lp0;
      for (let k = 0; k < K; k++) {
        const xl = v128.load(xp);
        const xh = v128.load(xp, 16);
        let l = v128.load64_splat(lp);
        a0l = f64x2.add(a0l, f64x2.mul(l, xl));
        a0h = f64x2.add(a0h, f64x2.mul(l, xh));
        l = v128.load64_splat(lp, 8);
        a1l = f64x2.add(a1l, f64x2.mul(l, xl));
        a1h = f64x2.add(a1h, f64x2.mul(l, xh));
        l = v128.load64_splat(lp, 16);
        a2l = f64x2.add(a2l, f64x2.mul(l, xl));
        a2h = f64x2.add(a2h, f64x2.mul(l, xh));
        l = v128.load64_splat(lp, 24);
        a3l = f64x2.add(a3l, f64x2.mul(l, xl));
        a3h = f64x2.add(a3h, f64x2.mul(l, xh));
        xp += rowBytes;
        lp += 32;
      }
      if (diag != 0) {
        const gp = diag + <usize>i * 8;
        const dp = diagRows + (<usize>i << 2);
        let g = v128.load64_splat(gp);
        let d = rs + <usize>load<i32>(dp) * rowBytes;
        a0l = f64x2.add(a0l, f64x2.mul(g, v128.load(d)));
        a0h = f64x2.add(a0h, f64x2.mul(g, v128.load(d, 16)));
        g = v128.load64_splat(gp, 8);
        d = rs + <usize>load<i32>(dp, 4) * rowBytes;
        a1l = f64x2.add(a1l, f64x2.mul(g, v128.load(d)));
        a1h = f64x2.add(a1h, f64x2.mul(g, v128.load(d, 16)));
        g = v128.load64_splat(gp, 16);
        d = rs + <usize>load<i32>(dp, 8) * rowBytes;
        a2l = f64x2.add(a2l, f64x2.mul(g, v128.load(d)));
        a2h = f64x2.add(a2h, f64x2.mul(g, v128.load(d, 16)));
        g = v128.load64_splat(gp, 24);
        d = rs + <usize>load<i32>(dp, 12) * rowBytes;
        a3l = f64x2.add(a3l, f64x2.mul(g, v128.load(d)));
        a3h = f64x2.add(a3h, f64x2.mul(g, v128.load(d, 16)));
      }
      let s = f64x2.splat(s0);
      v128.store(op, f64x2.mul(s, a0l));
      v128.store(op, f64x2.mul(s, a0h), 16);
      if (rows > 1) {
        s = f64x2.splat(s1);
        v128.store(op + outBytes, f64x2.mul(s, a1l));
        v128.store(op + outBytes, f64x2.mul(s, a1h), 16);
      }
      if (rows > 2) {
        s = f64x2.splat(s2);
        v128.store(op + 2 * outBytes, f64x2.mul(s, a2l));
        v128.store(op + 2 * outBytes, f64x2.mul(s, a2h), 16);
      }
      if (rows > 3) {
        s = f64x2.splat(s3);
        v128.store(op + 3 * outBytes, f64x2.mul(s, a3l));
        v128.store(op + 3 * outBytes, f64x2.mul(s, a3h), 16);
      }
    }
  }
}

/** float32 direct: 4 rows × 8 columns per block (float32 sums). */
export function matmulDirectF32(M: i32, K: i32, L: usize, X: usize, xStrip: i32, xRow: i32, O: usize, ldo: i32, nStrips: i32, scale: usize, diag: usize, diagRows: usize): void {
  const rowBytes = <usize>xRow;
  const outBytes = <usize>ldo * 4;
  const panelBytes = <usize>K * 16;
  const zero = f32x4.splat(0);
  for (let strip = 0; strip < nStrips; strip++) {
    const colBytes = <usize>strip * 32;
    const rs = X + <usize>strip * <usize>xStrip;
    let lp0 = L;
    for (let i = 0; i < M; i += 4, lp0 += panelBytes) {
      const sp = scale + <usize>i * 4;
      const s0 = load<f32>(sp), s1 = load<f32>(sp, 4), s2 = load<f32>(sp, 8), s3 = load<f32>(sp, 12);
      const op = O + <usize>i * outBytes + colBytes;
      const rows = min(4, M - i);
      if (s0 == 0 && s1 == 0 && s2 == 0 && s3 == 0) {
        for (let r = 0; r < rows; r++) {
          v128.store(op + <usize>r * outBytes, zero);
          v128.store(op + <usize>r * outBytes, zero, 16);
        }
        continue;
      }
      let a0l = zero, a0h = zero, a1l = zero, a1h = zero, a2l = zero, a2h = zero, a3l = zero, a3h = zero;
      let xp = rs;
      let lp = lp0;
      for (let k = 0; k < K; k++) {
        const xl = v128.load(xp);
        const xh = v128.load(xp, 16);
        let l = v128.load32_splat(lp);
        a0l = f32x4.add(a0l, f32x4.mul(l, xl));
        a0h = f32x4.add(a0h, f32x4.mul(l, xh));
        l = v128.load32_splat(lp, 4);
        a1l = f32x4.add(a1l, f32x4.mul(l, xl));
        a1h = f32x4.add(a1h, f32x4.mul(l, xh));
        l = v128.load32_splat(lp, 8);
        a2l = f32x4.add(a2l, f32x4.mul(l, xl));
        a2h = f32x4.add(a2h, f32x4.mul(l, xh));
        l = v128.load32_splat(lp, 12);
        a3l = f32x4.add(a3l, f32x4.mul(l, xl));
        a3h = f32x4.add(a3h, f32x4.mul(l, xh));
        xp += rowBytes;
        lp += 16;
      }
      if (diag != 0) {
        const gp = diag + <usize>i * 4;
        const dp = diagRows + (<usize>i << 2);
        let g = v128.load32_splat(gp);
        let d = rs + <usize>load<i32>(dp) * rowBytes;
        a0l = f32x4.add(a0l, f32x4.mul(g, v128.load(d)));
        a0h = f32x4.add(a0h, f32x4.mul(g, v128.load(d, 16)));
        g = v128.load32_splat(gp, 4);
        d = rs + <usize>load<i32>(dp, 4) * rowBytes;
        a1l = f32x4.add(a1l, f32x4.mul(g, v128.load(d)));
        a1h = f32x4.add(a1h, f32x4.mul(g, v128.load(d, 16)));
        g = v128.load32_splat(gp, 8);
        d = rs + <usize>load<i32>(dp, 8) * rowBytes;
        a2l = f32x4.add(a2l, f32x4.mul(g, v128.load(d)));
        a2h = f32x4.add(a2h, f32x4.mul(g, v128.load(d, 16)));
        g = v128.load32_splat(gp, 12);
        d = rs + <usize>load<i32>(dp, 12) * rowBytes;
        a3l = f32x4.add(a3l, f32x4.mul(g, v128.load(d)));
        a3h = f32x4.add(a3h, f32x4.mul(g, v128.load(d, 16)));
      }
      let s = f32x4.splat(s0);
      v128.store(op, f32x4.mul(s, a0l));
      v128.store(op, f32x4.mul(s, a0h), 16);
      if (rows > 1) {
        s = f32x4.splat(s1);
        v128.store(op + outBytes, f32x4.mul(s, a1l));
        v128.store(op + outBytes, f32x4.mul(s, a1h), 16);
      }
      if (rows > 2) {
        s = f32x4.splat(s2);
        v128.store(op + 2 * outBytes, f32x4.mul(s, a2l));
        v128.store(op + 2 * outBytes, f32x4.mul(s, a2h), 16);
      }
      if (rows > 3) {
        s = f32x4.splat(s3);
        v128.store(op + 3 * outBytes, f32x4.mul(s, a3l));
        v128.store(op + 3 * outBytes, f32x4.mul(s, a3h), 16);
      }
    }
  }
}

/**
 * Row vector times matrix, float64: out[j] = Σ_k a[k]·B[k, j] for j < N (B row-major, row
 * stride ldb), summed as the JavaScript row kernel does (cpu/gemm-range.ts rowTimesMatrix):
 * acc = 0; per group of four k, acc = acc + a0·b0 + a1·b1 + a2·b2 + a3·b3 (left to right);
 * then acc += a[k]·b[k] for the remaining k. Streams B by rows. a is float64; B is float64
 * (`f32` = 0) or float32 (`f32` ≠ 0, widened exactly).
 */
export function gemvF64(K: i32, a: usize, B: usize, ldb: i32, N: i32, out: usize, f32: i32): void {
  const esz: usize = f32 != 0 ? 4 : 8;
  const rowBytes = <usize>ldb * esz;
  const N2 = N & ~1;
  for (let j = 0; j < N; j++) store<f64>(out + (<usize>j << 3), 0);
  let k = 0;
  let bp = B;
  for (; k + 4 <= K; k += 4, bp += 4 * rowBytes) {
    const ap = a + (<usize>k << 3);
    const a0 = v128.load64_splat(ap), a1 = v128.load64_splat(ap, 8), a2 = v128.load64_splat(ap, 16), a3 = v128.load64_splat(ap, 24);
    const p0 = bp, p1 = bp + rowBytes, p2 = bp + 2 * rowBytes, p3 = bp + 3 * rowBytes;
    if (f32 != 0) {
      for (let j = 0; j < N2; j += 2) {
        const o = out + (<usize>j << 3);
        const c = <usize>j << 2;
        let acc = v128.load(o);
        acc = f64x2.add(acc, f64x2.mul(a0, f64x2.promote_low_f32x4(v128.load64_zero(p0 + c))));
        acc = f64x2.add(acc, f64x2.mul(a1, f64x2.promote_low_f32x4(v128.load64_zero(p1 + c))));
        acc = f64x2.add(acc, f64x2.mul(a2, f64x2.promote_low_f32x4(v128.load64_zero(p2 + c))));
        acc = f64x2.add(acc, f64x2.mul(a3, f64x2.promote_low_f32x4(v128.load64_zero(p3 + c))));
        v128.store(o, acc);
      }
    } else {
      for (let j = 0; j < N2; j += 2) {
        const o = out + (<usize>j << 3);
        const c = <usize>j << 3;
        let acc = v128.load(o);
        acc = f64x2.add(acc, f64x2.mul(a0, v128.load(p0 + c)));
        acc = f64x2.add(acc, f64x2.mul(a1, v128.load(p1 + c)));
        acc = f64x2.add(acc, f64x2.mul(a2, v128.load(p2 + c)));
        acc = f64x2.add(acc, f64x2.mul(a3, v128.load(p3 + c)));
        v128.store(o, acc);
      }
    }
    if (N2 < N) {
      const o = out + (<usize>N2 << 3);
      const c = <usize>N2 * esz;
      const s0 = load<f64>(ap), s1 = load<f64>(ap, 8), s2 = load<f64>(ap, 16), s3 = load<f64>(ap, 24);
      if (f32 != 0) store<f64>(o, load<f64>(o) + s0 * <f64>load<f32>(p0 + c) + s1 * <f64>load<f32>(p1 + c) + s2 * <f64>load<f32>(p2 + c) + s3 * <f64>load<f32>(p3 + c));
      else store<f64>(o, load<f64>(o) + s0 * load<f64>(p0 + c) + s1 * load<f64>(p1 + c) + s2 * load<f64>(p2 + c) + s3 * load<f64>(p3 + c));
    }
  }
  for (; k < K; k++, bp += rowBytes) {
    const ak = load<f64>(a + (<usize>k << 3));
    for (let j = 0; j < N; j++) {
      const o = out + (<usize>j << 3);
      const b: f64 = f32 != 0 ? <f64>load<f32>(bp + <usize>j * 4) : load<f64>(bp + (<usize>j << 3));
      store<f64>(o, load<f64>(o) + ak * b);
    }
  }
}
