import type { Arr } from './dtype.ts';
import type { Backend } from './backend.ts';
import type { Jacobian } from './jacobian.ts';

/**
 * The naive reference: plain i-k-j loops over typed arrays, accumulating in place in the
 * arrays' own element type. Kept as the baseline of the micro-benchmarks (bench/kernels.ts)
 * and as a readable statement of what the kernels compute; the fast backends are tested
 * against an independent float64 loop (test/tensor/reference.ts).
 */
export class NaiveBackend implements Backend {
  readonly name = 'naive';

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: Arr, B: Arr, beta: number, C: Arr): void {
    scaleInto(C, M * N, beta);
    if (alpha === 0 || K === 0) return;
    if (!transA && !transB) {
      // C[i,:] += alpha·A[i,k]·B[k,:]
      for (let i = 0; i < M; i++) {
        const ci = i * N;
        const ai = i * K;
        for (let k = 0; k < K; k++) {
          const a = alpha * A[ai + k];
          if (a === 0) continue;
          const bk = k * N;
          for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j];
        }
      }
    } else if (transA && !transB) {
      // A is K×M: C[i,:] += alpha·A[k,i]·B[k,:]
      for (let k = 0; k < K; k++) {
        const ak = k * M;
        const bk = k * N;
        for (let i = 0; i < M; i++) {
          const a = alpha * A[ak + i];
          if (a === 0) continue;
          const ci = i * N;
          for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j];
        }
      }
    } else if (!transA && transB) {
      // B is N×K: C[i,j] += alpha·Σ_k A[i,k]·B[j,k]
      for (let i = 0; i < M; i++) {
        const ai = i * K;
        const ci = i * N;
        for (let j = 0; j < N; j++) {
          const bj = j * K;
          let acc = 0;
          for (let k = 0; k < K; k++) acc += A[ai + k] * B[bj + k];
          C[ci + j] += alpha * acc;
        }
      }
    } else {
      // A is K×M, B is N×K
      for (let i = 0; i < M; i++) {
        const ci = i * N;
        for (let j = 0; j < N; j++) {
          const bj = j * K;
          let acc = 0;
          for (let k = 0; k < K; k++) acc += A[k * M + i] * B[bj + k];
          C[ci + j] += alpha * acc;
        }
      }
    }
  }

  jacobianMatmul(J: Jacobian, X: Arr, Y: Arr, cols: number, alpha: number, beta: number): void {
    const { batch, n } = J;
    const per = n * cols;
    scaleInto(Y, batch * per, beta);
    if (alpha === 0) return;
    switch (J.kind) {
      case 'dense':
        for (let b = 0; b < batch; b++) {
          const jb = b * n * n;
          const off = b * per;
          for (let i = 0; i < n; i++) {
            const yi = off + i * cols;
            for (let k = 0; k < n; k++) {
              const a = alpha * J.data[jb + i * n + k];
              if (a === 0) continue;
              const xk = off + k * cols;
              for (let c = 0; c < cols; c++) Y[yi + c] += a * X[xk + c];
            }
          }
        }
        return;
      case 'diag-shared':
        for (let b = 0; b < batch; b++) {
          const off = b * per;
          for (let i = 0; i < n; i++) {
            const di = alpha * J.d[b * n + i];
            if (di === 0) continue;
            const yi = off + i * cols;
            for (let k = 0; k < n; k++) {
              const a = di * J.W[i * n + k];
              if (a === 0) continue;
              const xk = off + k * cols;
              for (let c = 0; c < cols; c++) Y[yi + c] += a * X[xk + c];
            }
          }
        }
        return;
      case 'lstm': {
        const H = n / 2;
        for (let b = 0; b < batch; b++) {
          const off = b * per;
          for (let r = 0; r < H; r++) {
            const yh = off + r * cols; // row r of the h block
            const yc = off + (H + r) * cols; // row r of the c block
            for (let k = 0; k < H; k++) {
              const a = alpha * J.A[(b * H + r) * H + k];
              const cc = alpha * J.C[(b * H + r) * H + k];
              const xk = off + k * cols;
              if (a !== 0) for (let c = 0; c < cols; c++) Y[yh + c] += a * X[xk + c];
              if (cc !== 0) for (let c = 0; c < cols; c++) Y[yc + c] += cc * X[xk + c];
            }
            const d1 = alpha * J.D1[b * H + r];
            const d2 = alpha * J.D2[b * H + r];
            const xc = off + (H + r) * cols;
            for (let c = 0; c < cols; c++) {
              const x = X[xc + c];
              Y[yh + c] += d1 * x;
              Y[yc + c] += d2 * x;
            }
          }
        }
        return;
      }
    }
  }
}

function scaleInto(C: Arr, len: number, beta: number): void {
  if (beta === 0) C.fill(0, 0, len);
  else if (beta !== 1) for (let i = 0; i < len; i++) C[i] *= beta;
}
