import { KERNELS_WASM_BASE64 } from './kernels.wasm.ts';

/** The exports of assembly/kernels.ts (see that file for the contract). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  matmulF64: MatmulExport;
  matmulF32: MatmulExport;
  packStripsF64: PackExport;
  packStripsF32: PackExport;
  matmulDirectF64: MatmulDirectExport;
  matmulDirectF32: MatmulDirectExport;
  gemvF64: GemvExport;
}

/** (M, K, L, X, xStrip, xRow, O, ldo, nStrips, scale, diag, diagRows): addresses and xStrip, xRow in bytes, ldo in elements. */
export type MatmulDirectExport = (M: number, K: number, L: number, X: number, xStrip: number, xRow: number, O: number, ldo: number, nStrips: number, scale: number, diag: number, diagRows: number) => void;

/** (K, a, B, ldb, N, out, f32): byte addresses, strides in elements; B float32 when f32 ≠ 0. */
export type GemvExport = (K: number, a: number, B: number, ldb: number, N: number, out: number, f32: number) => void;

/** (src, sk, sj, rows, w, dst): byte addresses, strides in elements. */
export type PackExport = (src: number, sk: number, sj: number, rows: number, w: number, dst: number) => void;

/** (M, K, L, R, rRows, O, ldo, nStrips, scale, diag, diagRows): byte addresses, strides in elements. */
export type MatmulExport = (M: number, K: number, L: number, R: number, rRows: number, O: number, ldo: number, nStrips: number, scale: number, diag: number, diagRows: number) => void;

let bytes: Uint8Array<ArrayBuffer> | null = null;
let compiled: Promise<WebAssembly.Module> | null = null;

/** The module's bytes, decoded once from the embedded base64 (atob: Node ≥ 16 and browsers). */
function kernelBytes(): Uint8Array<ArrayBuffer> {
  if (bytes === null) {
    const text = atob(KERNELS_WASM_BASE64);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    bytes = out;
  }
  return bytes;
}

/** Whether this runtime can run the kernel: WebAssembly with the SIMD proposal. */
export function wasmKernelsSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(kernelBytes());
  } catch {
    return false;
  }
}

/** The compiled module, compiled once per thread (it can be posted to workers as is). */
export function compileKernels(): Promise<WebAssembly.Module> {
  if (compiled === null) compiled = WebAssembly.compile(kernelBytes());
  return compiled;
}

/** A fresh instance (its own memory) of a compiled kernel module. */
export function instantiateKernels(module: WebAssembly.Module): KernelExports {
  const instance = new WebAssembly.Instance(module, {});
  return instance.exports as unknown as KernelExports;
}
