import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  mkdirp,
  mkdirpSync,
  writeFileAtomic,
  writeFileAtomicSync,
  writeJsonAtomic,
  writeJsonAtomicSync,
} from '../../src/io/atomic.ts';

function withTempDir(fn: (dir: string) => Promise<void> | void) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-lambda-atomic-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('writeFileAtomic: writes and replaces the content, leaves no temp files', withTempDir(async (dir) => {
  const path = join(dir, 'out.txt');
  await writeFileAtomic(path, 'first');
  assert.equal(readFileSync(path, 'utf8'), 'first');
  await writeFileAtomic(path, Uint8Array.from([104, 105]));
  assert.equal(readFileSync(path, 'utf8'), 'hi');
  writeFileAtomicSync(path, 'third ✓');
  assert.equal(readFileSync(path, 'utf8'), 'third ✓');
  assert.deepEqual(readdirSync(dir), ['out.txt']);
}));

test('writeJsonAtomic: JSON with a trailing newline; sync variant too', withTempDir(async (dir) => {
  const path = join(dir, 'state.json');
  await writeJsonAtomic(path, { a: 1, b: [true, null] });
  assert.equal(readFileSync(path, 'utf8'), '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}\n');
  writeJsonAtomicSync(path, [1, 2]);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), [1, 2]);
  assert.deepEqual(readdirSync(dir), ['state.json']);
}));

test('writeJsonAtomic: an existing file survives a value JSON cannot serialise', withTempDir(async (dir) => {
  const path = join(dir, 'checkpoint.json');
  writeFileSync(path, '{"ok":true}\n');
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  for (const bad of [{ big: 10n }, circular, undefined]) {
    await assert.rejects(writeJsonAtomic(path, bad), /writeJsonAtomic: value: expected a JSON-serialisable value/);
    assert.throws(() => writeJsonAtomicSync(path, bad), /writeJsonAtomicSync: value: expected a JSON-serialisable value/);
  }
  assert.equal(readFileSync(path, 'utf8'), '{"ok":true}\n');
  assert.deepEqual(readdirSync(dir), ['checkpoint.json']);
}));

test('writeFileAtomic: a failed rename removes the temp file and leaves the target as it was', withTempDir(async (dir) => {
  const target = join(dir, 'occupied');
  mkdirSync(target);
  writeFileSync(join(target, 'keep.txt'), 'kept');
  await assert.rejects(writeFileAtomic(target, 'new'));
  assert.throws(() => writeFileAtomicSync(target, 'new'));
  assert.deepEqual(readdirSync(dir), ['occupied']);
  assert.ok(statSync(target).isDirectory());
  assert.equal(readFileSync(join(target, 'keep.txt'), 'utf8'), 'kept');
}));

test('writeFileAtomic: a missing folder is an error, not a partial file', withTempDir(async (dir) => {
  await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x.txt'), 'data'), { code: 'ENOENT' });
  assert.deepEqual(readdirSync(dir), []);
}));

test('writeJsonAtomic: concurrent writers — the file always holds one whole value', withTempDir(async (dir) => {
  const path = join(dir, 'race.json');
  const values = Array.from({ length: 20 }, (_, i) => ({ writer: i, payload: 'x'.repeat(10000 + i) }));
  await Promise.all(values.map((v) => writeJsonAtomic(path, v)));
  const final = JSON.parse(readFileSync(path, 'utf8')) as { writer: number; payload: string };
  assert.equal(final.payload.length, 10000 + final.writer);
  assert.deepEqual(readdirSync(dir), ['race.json']);
}));

test('mkdirp: creates nested folders, idempotent', withTempDir(async (dir) => {
  const nested = join(dir, 'a', 'b', 'c');
  await mkdirp(nested);
  await mkdirp(nested);
  mkdirpSync(join(dir, 'a', 'd'));
  assert.ok(statSync(nested).isDirectory());
  assert.deepEqual(readdirSync(join(dir, 'a')).sort(), ['b', 'd']);
}));

test('atomic: arguments are validated', async () => {
  await assert.rejects(writeFileAtomic('', 'x'), { message: 'writeFileAtomic: path: expected a non-empty string, received ""' });
  await assert.rejects(writeFileAtomic('/tmp/x', 5 as never), { message: 'writeFileAtomic: data: expected a string or a Uint8Array, received number' });
  await assert.rejects(mkdirp(undefined as never), { message: 'mkdirp: path: expected a non-empty string, received undefined' });
});
