/**
 * Browser side of test/tensor/gpu-webgl2.test.ts: bundled with esbuild (gpu.js resolves to
 * its browser build) and run in headless Chromium. Runs the problems it is given through
 * the gpu.js backend and returns the outputs; the checking happens in Node.
 */
import { createGpuBackend, type GpuMode } from '../../../src/tensor/gpu-backend.ts';
import type { Arr } from '../../../src/tensor/dtype.ts';
import type { Jacobian } from '../../../src/tensor/jacobian.ts';

export interface WireArray {
  dtype: 'float64' | 'float32';
  values: number[];
}

export type WireCase =
  | { op: 'gemm'; transA: boolean; transB: boolean; M: number; N: number; K: number; alpha: number; beta: number; A: WireArray; B: WireArray; C: WireArray }
  | { op: 'jacobian'; J: unknown; X: WireArray; Y: WireArray; cols: number; alpha: number; beta: number };

function arr(w: WireArray): Arr {
  return w.dtype === 'float32' ? Float32Array.from(w.values) : Float64Array.from(w.values);
}

/** A Jacobian sent as JSON: every typed array became a WireArray (see the test's `toWire`). */
function fromWire(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromWire);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.values) && (o.dtype === 'float32' || o.dtype === 'float64')) return arr(o as unknown as WireArray);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromWire(x)]));
  }
  return v;
}

async function runGpuCases(mode: GpuMode, cases: WireCase[]): Promise<{ mode: string; outputs: number[][] }> {
  const gpu = await createGpuBackend({ mode });
  const outputs: number[][] = [];
  for (const c of cases) {
    if (c.op === 'gemm') {
      const C = arr(c.C);
      gpu.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, arr(c.A), arr(c.B), c.beta, C);
      outputs.push(Array.from(C));
    } else {
      const J = fromWire(c.J) as Jacobian;
      const Y = arr(c.Y);
      gpu.jacobianMatmul(J, arr(c.X), Y, c.cols, c.alpha, c.beta);
      outputs.push(Array.from(Y));
    }
  }
  const used = gpu.mode;
  gpu.dispose();
  return { mode: used, outputs };
}

(globalThis as unknown as { runGpuCases: typeof runGpuCases }).runGpuCases = runGpuCases;
