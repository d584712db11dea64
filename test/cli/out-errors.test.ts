import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConvert } from '../../src/cli/convert.ts';
import { runGrads } from '../../src/cli/grads.ts';
import { runPredict } from '../../src/cli/predict.ts';
import { mkdirp, mkdirpSync } from '../../src/io/atomic.ts';
import { withTempDir } from '../experiments/run-helpers.ts';

/**
 * Output paths that cannot be written: every command names its option, the path and what is
 * wrong (no raw Node error, no endless loop, no device replaced by a regular file). The tests
 * never write to /dev: a device target is exercised with a named pipe of their own.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const golden = join(root, 'test/fixtures/golden/lstm-mse');
const MODEL = join(golden, 'model.json');
const BATCH = join(golden, 'batch.json');
const noop = () => {};

function cli(args: string[], stdout: 'pipe' | number = 'pipe') {
  return spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', stdout, 'pipe'] });
}


test('grads, predict, convert: an --out (--to) that cannot be written is an error naming the option, the path and the reason', withTempDir((dir) => {
  mkdirSync(join(dir, 'folder'));
  const missing = join(dir, 'nope', 'x.json');
  const cases: [string, RegExp][] = [
    [missing, new RegExp(`--out "${missing}": cannot write: the folder ${join(dir, 'nope')} does not exist`)],
    [join(dir, 'folder'), /--out ".*folder": is a folder; give a file name/],
    ['', /--out: expected a file path, received ""/],
  ];
  if (existsSync('/proc/self')) cases.push(['/proc/nope', /--out "\/proc\/nope": cannot write: \/proc exists, but no file can be created in it \(ENOENT\)/]);
  for (const [out, want] of cases) {
    assert.throws(() => runGrads(['--model', MODEL, '--batch', BATCH, '--method', 'bptt', '--out', out], noop), (e: Error) => want.test(e.message) && e.message.startsWith('grads: --out'), `grads ${out}`);
    assert.throws(() => runPredict(['--model', MODEL, '--input', BATCH, '--out', out], noop), (e: Error) => want.test(e.message) && e.message.startsWith('predict: --out'), `predict ${out}`);
  }
  assert.throws(() => runConvert(['--from', MODEL, '--to', missing], noop), new RegExp(`convert: --to "${missing}": cannot write: the folder .* does not exist`));
  assert.throws(() => runConvert(['--from', MODEL, '--to', join(dir, 'folder'), '--to-format', 'model-json'], noop), /convert: --to ".*folder": is a folder; give a file name/);
  assert.deepEqual(readdirNames(join(dir, 'folder')), [], 'nothing written');
}));

function readdirNames(dir: string): string[] {
  return spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
}

test('grads --out a named pipe writes into the pipe, which stays a pipe (a device is written as it is, not replaced)', { skip: process.platform === 'win32' }, withTempDir((dir) => {
  const fifo = join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // the reader: a child that copies the pipe into a file
  const copy = join(dir, 'copy.json');
  // (every stream of the background reader redirected, so that spawnSync does not wait for it)
  const reader = spawnSync('sh', ['-c', `cat "${fifo}" > "${copy}" 2>/dev/null </dev/null &`], { encoding: 'utf8' });
  assert.equal(reader.status, 0);
  const r = cli(['grads', '--model', MODEL, '--batch', BATCH, '--method', 'bptt', '--out', fifo]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(statSync(fifo).isFIFO(), 'the pipe is still a pipe');
  for (let i = 0; i < 50 && !(existsSync(copy) && readFileSync(copy, 'utf8').endsWith('\n')); i++) spawnSync('sleep', ['0.1']);
  assert.ok(Object.keys(JSON.parse(readFileSync(copy, 'utf8'))).includes('loss'));
}));

test('grads > /dev/full: one line on standard error and exit 1, no stack trace', { skip: !existsSync('/dev/full') }, () => {
  const fd = openSync('/dev/full', 'w');
  try {
    const r = cli(['grads', '--model', MODEL, '--batch', BATCH, '--method', 'bptt'], fd);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'bp-lambda: error: cannot write to standard output: no space left on the device (ENOSPC)\n');
  } finally {
    closeSync(fd);
  }
});

test('run --out: a path that cannot be a run folder fails at once, naming --out (no endless mkdir loop)', withTempDir((dir) => {
  const file = join(dir, 'file');
  spawnSync('touch', [file]);
  const cases: [string, RegExp][] = [
    [file, /run: --out ".*file": exists and is a regular file, not a folder; give a folder for the run/],
    ['', /run: --out "": expected a folder path, received ""/],
  ];
  if (existsSync('/proc/self')) cases.push(['/proc/nope', /run: --out "\/proc\/nope": cannot create the run folder: \/proc exists, but no folder can be made in it \(ENOENT\)/]);
  for (const [out, want] of cases) {
    const r = cli(['run', 'toy', '--batches', '5', '--eval-every', '5', '--out', out]);
    assert.equal(r.status, 1, `${out}: ${r.signal ?? ''} ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
}));

test('run --jobs 2 into a closed standard output (EPIPE): stops with exit 141 and the line to resume, no stack trace, the lock removed', withTempDir((dir) => {
  const out = join(dir, 'run');
  return new Promise<void>((done, fail) => {
    const args = ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', 'toy', '--batches', '20', '--eval-every', '10', '--seeds', '1,2,3', '--jobs', '2', '--out', out];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader goes away before the start line
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      try {
        assert.match(stderr, /^\nrun: standard output closed: stopped: continue with --resume .*\n$/);
        assert.equal(code, 141);
        assert.ok(!existsSync(join(out, 'run.lock')), 'the lock is removed');
        done();
      } catch (e) {
        fail(e);
      }
    });
  });
}));

test('mkdirp, mkdirpSync: a folder that cannot be made below an existing parent is an error at once (no retry loop)', { skip: !existsSync('/proc/self') }, async () => {
  assert.throws(() => mkdirpSync('/proc/nope/deeper'), { code: 'ENOENT' });
  await assert.rejects(mkdirp('/proc/nope/deeper'), { code: 'ENOENT' });
});
