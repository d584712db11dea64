import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

const golden = (c: string, f: string) => new URL(`../fixtures/golden/state-dict/${c}/${f}`, import.meta.url);
const CELLS = ['rnn', 'lstm', 'gru'];

test('safetensors: reads the files PyTorch wrote, F64 exactly the state_dict JSON, F32 its float32 rounding', () => {
  for (const c of CELLS) {
    const json = JSON.parse(readFileSync(golden(c, 'state_dict.json'), 'utf8')) as Record<string, unknown>;
    for (const [file, dtype, round] of [['model.f64.safetensors', 'float64', (v: number) => v], ['model.f32.safetensors', 'float32', Math.fround]] as const) {
      const { tensors, metadata } = readSafetensors(readFileSync(golden(c, file)), file);
      assert.deepEqual(metadata, { format: 'pt' });
      assert.deepEqual(Object.keys(tensors), Object.keys(json), `${c} ${file}: the keys in the header's order`);
      for (const [k, v] of Object.entries(json)) {
        const flat = [v].flat(2) as number[];
        assert.equal(tensors[k].dtype, dtype);
        assert.deepEqual(tensors[k].shape, Array.isArray((v as unknown[])[0]) ? [(v as unknown[]).length, ((v as unknown[])[0] as unknown[]).length] : [(v as unknown[]).length]);
        assert.deepEqual([...tensors[k].data], flat.map(round), `${c} ${file} ${k}`);
      }
    }
  }
});

test('safetensors: writing what was read gives back the bytes safetensors.torch.save_file wrote', () => {
  for (const c of CELLS) {
    for (const file of ['model.f64.safetensors', 'model.f32.safetensors']) {
      const bytes = readFileSync(golden(c, file));
      const { tensors, metadata } = readSafetensors(bytes);
      assert.deepEqual(Buffer.from(writeSafetensors(tensors, metadata)), bytes, `${c} ${file}`);
    }
  }
});

const tensorArb = fc
  .record({ shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }), f32: fc.boolean(), seed: fc.integer() })
  .map(({ shape, f32, seed }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = f32 ? new Float32Array(size) : new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = Math.sin(seed + i) * 10 ** ((i % 7) - 3);
    return new Tensor(shape, data);
  });
const fileArb = fc.record({
  tensors: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__metadata__'), tensorArb, { minKeys: 1, maxKeys: 4 }),
  metadata: fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 })), { nil: undefined }),
});

test('safetensors: write then read is the identity (names, order, shapes, dtypes, values, metadata); the data starts 8-byte aligned', () => {
  fc.assert(
    fc.property(fileArb, ({ tensors, metadata }) => {
      const bytes = writeSafetensors(tensors, metadata);
      const N = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      assert.equal((8 + N) % 8, 0);
      const back = readSafetensors(bytes);
      assert.deepEqual(Object.keys(back.tensors), Object.keys(tensors));
      for (const [k, t] of Object.entries(tensors)) {
        assert.equal(back.tensors[k].dtype, t.dtype);
        assert.deepEqual(back.tensors[k].shape, t.shape);
        assert.deepEqual(back.tensors[k].data, t.data);
      }
      assert.deepEqual(back.metadata, { ...metadata });
    }),
    { numRuns: 200 },
  );
});

/** A file with one F64 tensor "a" of shape [2] and the given header (as an object or raw text), data `data` bytes long. */
function file(header: unknown, data = 16): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}
const A = { dtype: 'F64', shape: [2], data_offsets: [0, 16] };

test('safetensors: malformed files are refused with an error naming the file, the field, the expected and the received value', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /^f: expected at least 8 bytes \(the header length\), received 5 bytes$/],
    ['header length past the end', (() => { const b = file({ a: A }); new DataView(b.buffer).setBigUint64(0, 10n ** 12n, true); return b; })(), /^f: header length: expected at most \d+ bytes .*received 1000000000000/],
    ['header length 2^64 − 1', (() => { const b = file({ a: A }); new DataView(b.buffer).setBigUint64(0, 2n ** 64n - 1n, true); return b; })(), /header length: expected at most/],
    ['no "{"', file(' {"a":' + JSON.stringify(A) + '}'), /^f: header: expected a JSON object starting with "\{" .* byte 0x20/],
    ['not UTF-8', file(new TextDecoder('latin1').decode(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))), /^f: header: expected UTF-8 JSON/],
    ['not JSON', file('{"a": '), /^f: header: expected UTF-8 JSON, received bytes that do not parse/],
    ['not an object', file('{'.slice(0, 0) + '[1]'), /^f: header: expected a JSON object starting with "\{"/],
    ['entry not an object', file({ a: [1] }), /^f: tensor "a": expected an object \{ dtype, shape, data_offsets \}, received an array of length 1$/],
    ['missing field', file({ a: { dtype: 'F64', shape: [2] } }), /^f: tensor "a": missing field "data_offsets"/],
    ['unknown field', file({ a: { ...A, strides: [1] } }), /^f: tensor "a": unknown field "strides"/],
    ['F16', file({ a: { ...A, dtype: 'F16' } }), /^f: tensor "a": dtype: expected "F32" or "F64" .*received "F16"$/],
    ['dtype not a string', file({ a: { ...A, dtype: 8 } }), /dtype: expected "F32" or "F64" .*received 8$/],
    ['negative dimension', file({ a: { ...A, shape: [-2] } }), /^f: tensor "a": shape: expected an array of non-negative integers, received \[-2\]$/],
    ['fractional dimension', file({ a: { ...A, shape: [1.5] } }), /shape: expected an array of non-negative integers, received \[1.5\]$/],
    ['offsets reversed', file({ a: { ...A, data_offsets: [16, 0] } }), /^f: tensor "a": data_offsets: expected \[begin, end\] with integers 0 ≤ begin ≤ end, received \[16,0\]$/],
    ['three offsets', file({ a: { ...A, data_offsets: [0, 8, 16] } }), /data_offsets: expected \[begin, end\]/],
    ['size ≠ shape × dtype', file({ a: { ...A, shape: [3] } }), /^f: tensor "a": data_offsets: expected 3 × 8 bytes \(shape \[3\], F64\), received \[0, 16\] \(16 bytes\)$/],
    ['a huge shape', file({ a: { ...A, shape: [2 ** 40, 2 ** 40] } }), /^f: tensor "a": data_offsets: expected 1099511627776 × 1099511627776 × 8 bytes/],
    ['past the data', file({ a: { ...A, data_offsets: [8, 24] } }), /^f: tensor "a": data_offsets: \[8, 24\] reach past the data section, which holds 16 bytes/],
    ['gap at the start', file({ a: { ...A, shape: [1], data_offsets: [8, 16] } }), /^f: tensor "a": data_offsets \[8, 16\] leave a gap: the data starts at 0/],
    ['overlap', file({ a: A, b: { ...A, shape: [1], data_offsets: [8, 16] } }), /^f: tensor "b": data_offsets \[8, 16\] overlap: the previous tensor "a" ends at 16/],
    ['gap between', file({ a: { ...A, shape: [1], data_offsets: [0, 8] }, b: { ...A, shape: [0], data_offsets: [16, 16] } }), /^f: tensor "b": data_offsets \[16, 16\] leave a gap: the previous tensor "a" ends at 8/],
    ['trailing bytes', file({ a: A }, 24), /^f: the data section holds 24 bytes, the tensors cover 16: 8 trailing bytes$/],
    ['metadata not strings', file({ a: A, __metadata__: { format: 1 } }), /^f: __metadata__.format: expected a string, received 1$/],
    ['metadata an array', file({ a: A, __metadata__: ['pt'] }), /^f: __metadata__: expected an object of strings, received an array of length 1$/],
  ];
  for (const [what, bytes, message] of cases) assert.throws(() => readSafetensors(bytes, 'f'), (e: Error) => e.constructor === Error && message.test(e.message), what);
  assert.throws(() => readSafetensors('abc' as never, 'f'), /^Error: f: expected the file's bytes as a Uint8Array or an ArrayBuffer, received "abc"$/);
  // the same checks accept the well-formed variants: an ArrayBuffer, zero-size tensors, an empty file
  assert.deepEqual(readSafetensors(file({ a: A }).buffer as ArrayBuffer).tensors.a.shape, [2]);
  assert.deepEqual(Object.keys(readSafetensors(file({ a: A, z: { dtype: 'F32', shape: [0, 3], data_offsets: [16, 16] } })).tensors), ['a', 'z']);
  assert.deepEqual(readSafetensors(file({}, 0)).tensors, {});
});

test('safetensors: the writer refuses what the format cannot hold, naming it', () => {
  const t = new Tensor([1], new Float64Array(1));
  assert.throws(() => writeSafetensors({ __metadata__: t }), /^Error: writeSafetensors: tensors: the name "__metadata__" is reserved/);
  assert.throws(() => writeSafetensors({ a: [1] as never }), /^Error: writeSafetensors: tensors.a: expected a Tensor, received an array of length 1$/);
  assert.throws(() => writeSafetensors({ a: t }, { format: 1 as never }), /^Error: writeSafetensors: metadata.format: expected a string, received 1$/);
  assert.throws(() => writeSafetensors(null as never), /^Error: writeSafetensors: tensors: expected an object of Tensors by name, received null$/);
});

/** Reads `bytes`; returns 'ok', or the error if it is a clear one (an Error naming the file), else rethrows. */
function readOrClearError(bytes: Uint8Array): 'ok' | 'refused' {
  try {
    readSafetensors(bytes, 'fuzzed.safetensors');
    return 'ok';
  } catch (e) {
    if (e instanceof Error && e.constructor === Error && e.message.startsWith('fuzzed.safetensors: ')) return 'refused';
    throw e;
  }
}

test('safetensors fuzz: every truncation of a valid file is refused with a clear error', () => {
  fc.assert(
    fc.property(fileArb, fc.nat(), ({ tensors, metadata }, cut) => {
      const bytes = writeSafetensors(tensors, metadata);
      assert.equal(readOrClearError(bytes.subarray(0, cut % bytes.length)), 'refused');
    }),
    { numRuns: 300 },
  );
});

test('safetensors fuzz: flipped bits and random bytes are read or refused with a clear error, never anything else', () => {
  let refused = 0;
  fc.assert(
    fc.property(fileArb, fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), ({ tensors, metadata }, flips) => {
      const bytes = writeSafetensors(tensors, metadata).slice();
      for (const f of flips) bytes[(f >> 3) % bytes.length] ^= 1 << (f & 7);
      if (readOrClearError(bytes) === 'refused') refused++;
    }),
    { numRuns: 500 },
  );
  assert.ok(refused > 50, `bit flips in the length or the header must be caught (${refused} of 500 refused)`);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => void readOrClearError(bytes)), { numRuns: 300 });
  // a valid length in front of random header bytes
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 48 }), fc.nat({ max: 16 }), (header, extra) => {
      const b = new Uint8Array(8 + header.length + extra);
      new DataView(b.buffer).setBigUint64(0, BigInt(header.length), true);
      b.set(header, 8);
      b[8] = 0x7b;
      readOrClearError(b);
    }),
    { numRuns: 300 },
  );
});
