import { Tensor } from '../tensor/tensor.ts';
import type { Arr } from '../tensor/dtype.ts';
import { checkParamGroup } from '../tensor/params.ts';
import { describe } from '../validate.ts';

/**
 * The safetensors format (Hugging Face's `safetensors`, what `safetensors.torch.save_file`
 * writes), for float32 and float64 tensors:
 *
 *   bytes [0, 8)       N, the header's length: unsigned 64-bit little-endian
 *   bytes [8, 8 + N)   the header: a UTF-8 JSON object starting with "{", possibly padded
 *                      with spaces: { name: { "dtype": "F32" | "F64", "shape": [d…],
 *                      "data_offsets": [begin, end] }, …, "__metadata__"?: { key: string } }
 *   bytes [8 + N, …)   the data: each tensor's values row-major, little-endian, at
 *                      [begin, end) counted from the start of the data
 *
 * Reading is strict: the header length within the file, valid UTF-8 JSON, every entry with
 * exactly those three fields, a supported dtype, a shape of non-negative integers, end − begin
 * = (product of the shape) × (4 or 8 bytes), and the tensors tiling the data exactly (sorted
 * by offset, the first at 0, each starting where the previous one ends, the last ending at the
 * end of the file: no gap, no overlap, no trailing bytes). Every error is an `Error` naming the
 * file (`name`), the tensor or field, the expected and the received value.
 */

/** The element types read and written: F32 (float32) and F64 (float64). */
export type SafetensorsDType = 'F32' | 'F64';

/** A parsed file: tensors by name, in the header's order, and the header's `__metadata__`. */
export interface Safetensors {
  readonly tensors: Record<string, Tensor>;
  readonly metadata: Record<string, string>;
}

/** The largest header accepted (100 MB, the limit of the reference implementation). */
export const MAX_HEADER_BYTES = 100_000_000;

const BYTES: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F64: 8 };
const ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'];

interface Entry {
  readonly key: string;
  readonly dtype: SafetensorsDType;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

function fail(name: string, what: string): never {
  throw new Error(`${name}: ${what}`);
}

function asBytes(bytes: unknown, name: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  return fail(name, `expected the file's bytes as a Uint8Array or an ArrayBuffer, received ${describe(bytes)}`);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** One header entry, its sizes checked against the data section of `dataBytes` bytes. */
function parseEntry(key: string, v: unknown, dataBytes: number, name: string): Entry {
  const at = `${name}: tensor ${JSON.stringify(key)}`;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(at, `expected an object { dtype, shape, data_offsets }, received ${describe(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of ENTRY_KEYS) if (!(k in o)) fail(at, `missing field ${JSON.stringify(k)} (expected fields: ${ENTRY_KEYS.join(', ')})`);
  for (const k of Object.keys(o)) if (!ENTRY_KEYS.includes(k)) fail(at, `unknown field ${JSON.stringify(k)} (expected fields: ${ENTRY_KEYS.join(', ')})`);
  if (o.dtype !== 'F32' && o.dtype !== 'F64') {
    fail(at, `dtype: expected "F32" or "F64" (the float types read here; save with tensor.float() or tensor.double()), received ${describe(o.dtype)}`);
  }
  const dtype = o.dtype;
  if (!Array.isArray(o.shape) || !o.shape.every(isCount)) fail(at, `shape: expected an array of non-negative integers, received ${JSON.stringify(o.shape)}`);
  const shape = o.shape as number[];
  const off = o.data_offsets;
  if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount) || off[0] > off[1]) {
    fail(at, `data_offsets: expected [begin, end] with integers 0 ≤ begin ≤ end, received ${JSON.stringify(off)}`);
  }
  const [begin, end] = off as [number, number];
  if (end > dataBytes) fail(at, `data_offsets: [${begin}, ${end}] reach past the data section, which holds ${dataBytes} bytes (a truncated file?)`);
  let bytes = shape.includes(0) ? 0 : BYTES[dtype];
  for (const d of shape) {
    if (bytes > dataBytes) break; // too large already (reported below), and no product overflows
    bytes *= d;
  }
  if (bytes !== end - begin) {
    fail(at, `data_offsets: expected ${shape.length ? `${shape.join(' × ')} × ` : ''}${BYTES[dtype]} bytes (shape [${shape.join(', ')}], ${dtype}), received [${begin}, ${end}] (${end - begin} bytes)`);
  }
  return { key, dtype, shape, begin, end };
}

/** The header's `__metadata__` (`label`): an object of strings. */
function parseMetadata(v: unknown, name: string, label = '__metadata__'): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(name, `${label}: expected an object of strings, received ${describe(v)}`);
  const entries = Object.entries(v as Record<string, unknown>);
  for (const [k, s] of entries) if (typeof s !== 'string') fail(name, `${label}.${k}: expected a string, received ${describe(s)}`);
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Checks that the entries tile [0, dataBytes) exactly: no gap, no overlap, no trailing bytes. */
function checkTiling(entries: readonly Entry[], dataBytes: number, name: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: Entry | null = null;
  for (const e of sorted) {
    if (e.begin !== pos) {
      const where = prev ? `the previous tensor ${JSON.stringify(prev.key)} ends at ${pos}` : 'the data starts at 0';
      const what = e.begin < pos ? 'overlap' : 'leave a gap';
      fail(name, `tensor ${JSON.stringify(e.key)}: data_offsets [${e.begin}, ${e.end}] ${what}: ${where}; the tensors must tile the data contiguously`);
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataBytes) fail(name, `the data section holds ${dataBytes} bytes, the tensors cover ${pos}: ${dataBytes - pos} trailing bytes`);
}

/**
 * Reads a safetensors file (see the format above) into tensors of its own element types
 * (F32 → Float32Array, F64 → Float64Array; the values are copied, so `bytes` may be reused).
 * `name` prefixes every error (a file name, say). Throws an `Error` on any malformed input.
 */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer, name = 'safetensors'): Safetensors {
  const buf = asBytes(bytes, name);
  if (buf.length < 8) fail(name, `expected at least 8 bytes (the header length), received ${buf.length} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(Math.min(MAX_HEADER_BYTES, buf.length - 8))) {
    fail(name, `header length: expected at most ${Math.min(MAX_HEADER_BYTES, buf.length - 8)} bytes (${buf.length - 8 > MAX_HEADER_BYTES ? 'the largest header accepted' : 'what follows the length field'}), received ${n64} (not a safetensors file, or a truncated one)`);
  }
  const N = Number(n64);
  if (N < 2 || buf[8] !== 0x7b) fail(name, `header: expected a JSON object starting with "{" right after the 8-byte length, received ${N} bytes starting with ${N ? `byte 0x${buf[8].toString(16).padStart(2, '0')}` : 'nothing'}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + N)));
  } catch (e) {
    fail(name, `header: expected UTF-8 JSON, received bytes that do not parse (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail(name, `header: expected a JSON object, received ${describe(header)}`);
  const dataStart = 8 + N;
  const dataBytes = buf.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, v] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') metadata = parseMetadata(v, name);
    else entries.push(parseEntry(key, v, dataBytes, name));
  }
  checkTiling(entries, dataBytes, name);
  const tensors: [string, Tensor][] = [];
  for (const e of entries) {
    const size = (e.end - e.begin) / BYTES[e.dtype];
    const at = dataStart + e.begin;
    let data: Arr;
    if (e.dtype === 'F64') {
      data = new Float64Array(size);
      for (let i = 0; i < size; i++) data[i] = view.getFloat64(at + 8 * i, true);
    } else {
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = view.getFloat32(at + 4 * i, true);
    }
    tensors.push([e.key, new Tensor(e.shape, data)]);
  }
  return { tensors: Object.fromEntries(tensors), metadata };
}

/**
 * Writes tensors (in the given order, each in its own element type: Float32Array → F32,
 * Float64Array → F64) and optional string metadata as a safetensors file, laid out as
 * `safetensors.torch.save_file` lays out the same tensors: the header's entries in order, the
 * metadata last, padded with spaces to a multiple of 8 bytes (so the data starts 8-byte
 * aligned), the data in the same order. Throws naming the argument for a tensor that is not a `Tensor`, the
 * reserved name `__metadata__`, or a metadata value that is not a string.
 */
export function writeSafetensors(tensors: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const name = 'writeSafetensors';
  checkParamGroup(tensors, `${name}: tensors`);
  const meta = metadata === undefined ? undefined : parseMetadata(metadata, name, 'metadata');
  const header: [string, unknown][] = [];
  let pos = 0;
  const list: [Tensor, number][] = [];
  for (const [key, t] of Object.entries(tensors)) {
    if (key === '__metadata__') fail(name, `tensors: the name "__metadata__" is reserved for the header's metadata`);
    const dtype: SafetensorsDType = t.data instanceof Float32Array ? 'F32' : 'F64';
    const size = t.size * BYTES[dtype];
    header.push([key, { dtype, shape: [...t.shape], data_offsets: [pos, pos + size] }]);
    list.push([t, pos]);
    pos += size;
  }
  if (meta !== undefined) header.push(['__metadata__', meta]);
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(header)));
  const N = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + N + pos);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(N), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + N);
  for (const [t, at] of list) {
    const base = 8 + N + at;
    const d = t.data;
    if (d instanceof Float32Array) for (let i = 0; i < d.length; i++) view.setFloat32(base + 4 * i, d[i], true);
    else for (let i = 0; i < d.length; i++) view.setFloat64(base + 8 * i, d[i], true);
  }
  return out;
}
