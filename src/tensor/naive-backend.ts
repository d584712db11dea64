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
      case 'structured': {
        // Y_b += alpha·Σ_q diag(scale_b)·W_q·X_b[col block] + alpha·Σ_q diag(scale_b)·X_b[col block]
        const m = J.block;
        for (let b = 0; b < batch; b++) {
          const off = b * per;
          for (const q of J.terms) {
            for (let ii = 0; ii < m; ii++) {
              const di = alpha * q.scale[b * m + ii];
              if (di === 0) continue;
              const yi = off + (q.row * m + ii) * cols;
              for (let kk = 0; kk < m; kk++) {
                const a = di * J.weights[q.weight * m * m + ii * m + kk];
                if (a === 0) continue;
                const xk = off + (q.col * m + kk) * cols;
                for (let c = 0; c < cols; c++) Y[yi + c] += a * X[xk + c];
              }
            }
          }
          for (const q of J.diagonals) {
            for (let ii = 0; ii < m; ii++) {
              const a = alpha * q.scale[b * m + ii];
              const yi = off + (q.row * m + ii) * cols;
              const xi = off + (q.col * m + ii) * cols;
              for (let c = 0; c < cols; c++) Y[yi + c] += a * X[xi + c];
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
