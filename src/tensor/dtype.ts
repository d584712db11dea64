/** Element types the engine computes in. float64 is the default (and what the checks use). */
export type DType = 'float64' | 'float32';
export type Arr = Float64Array | Float32Array;


export function alloc(dtype: DType, length: number): Arr {
  return dtype === 'float32' ? new Float32Array(length) : new Float64Array(length);
}

export function dtypeOf(a: Arr): DType {
  return a instanceof Float32Array ? 'float32' : 'float64';
}

export function checkDType(value: unknown, argName: string): DType {
  if (value === 'float64' || value === 'float32') return value;
  throw new Error(`${argName}: expected "float64" or "float32", received ${JSON.stringify(value)}`);
}
