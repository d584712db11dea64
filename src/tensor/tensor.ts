import { alloc, dtypeOf, type Arr, type DType } from './dtype.ts';

/**
 * A shaped, row-major view over a typed array. Shapes are explicit; the data is owned
 * by whoever created the tensor (no hidden copies).
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly data: Arr;

  constructor(shape: readonly number[], data: Arr) {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new Error(`Tensor: shape [${shape.join(', ')}] needs ${size} elements, received ${data.length}`);
    }
    this.shape = [...shape];
    this.data = data;
  }

  static zeros(shape: readonly number[], dtype: DType = 'float64'): Tensor {
    return new Tensor(shape, alloc(dtype, shapeSize(shape)));
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  get size(): number {
    return this.data.length;
  }

  clone(): Tensor {
    return new Tensor(this.shape, this.data.slice() as Arr);
  }

  /** Same values in another element type (a copy, even when the type is the same). */
  as(dtype: DType): Tensor {
    const out = alloc(dtype, this.size);
    out.set(this.data);
    return new Tensor(this.shape, out);
  }

  fill(v: number): this {
    this.data.fill(v);
    return this;
  }

  /** Nested plain arrays (for JSON). */
  toNested(): unknown {
    return toNested(this.data, this.shape, 0, 0).value;
  }
}

function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

function toNested(data: Arr, shape: readonly number[], dim: number, offset: number): { value: unknown; next: number } {
  if (shape.length === 0) return { value: data[0], next: 1 };
  if (dim === shape.length - 1) {
    const row: number[] = new Array(shape[dim]);
    for (let i = 0; i < shape[dim]; i++) row[i] = data[offset + i];
    return { value: row, next: offset + shape[dim] };
  }
  const out: unknown[] = [];
  let o = offset;
  for (let i = 0; i < shape[dim]; i++) {
    const r = toNested(data, shape, dim + 1, o);
    out.push(r.value);
    o = r.next;
  }
  return { value: out, next: o };
}
