import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * SIGINT and SIGTERM during `bp-lambda run`: one line saying how to continue, the locks removed,
 * exit code 130 / 143 (a child process of the CLI, interrupted once its start line is out).
 */
const root = fileURLToPath(new URL('../../', import.meta.url));

function interrupted(extra: string[], signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string; out: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bpl-int-'));
  const out = join(dir, 'run');
  const args = ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', 'toy', '--batches', '200000', '--eval-every', '100000', '--checkpoint-every', '50', '--out', out, ...extra];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    // the first evaluation's line: training is under way
    if (!sent && /batch 0,/.test(stdout)) {
      sent = true;
      setTimeout(() => child.kill(signal), 300);
    }
  });
  // a run that ignores the signal would train for a long time: kill it outright (the test then fails)
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr, out, dir });
    }),
  );
}

/** The run.lock files left under `dir`. */
function locks(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('run.lock'));
}

test('run: SIGINT while training ends with "interrupted: continue with --resume DIR", exit 130, no lock left', async () => {
  const r = await interrupted([], 'SIGINT');
  try {
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, new RegExp(`run: interrupted: continue with --resume ${r.out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(locks(r.out), []);
    assert.ok(existsSync(join(r.out, 'run.json')), 'the run record is there to resume');
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('run --jobs 2: SIGTERM ends the run with exit 143 and the message; the child processes stop and release their entries', async () => {
  const r = await interrupted(['--seeds', '1,2', '--jobs', '2'], 'SIGTERM');
  try {
    assert.equal(r.code, 143, r.stderr);
    assert.match(r.stderr, /run: interrupted: continue with --resume .*\n$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    // the children exit when their channel closes: give them a moment
    for (let i = 0; i < 100 && locks(r.out).length > 0; i++) await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(locks(r.out), []);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('run | head: a closed standard output stops the run with "standard output closed: stopped: continue with --resume DIR", exit 141, not 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpl-pipe-'));
  const out = join(dir, 'run');
  try {
    const args = ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'run', 'toy', '--batches', '200000', '--eval-every', '20', '--checkpoint-every', '50', '--out', out];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // the reader goes away after the first evaluation's line, as `head -2` would
    child.stdout.on('data', (d: Buffer) => {
      if (/batch 0,/.test(d.toString())) child.stdout.destroy();
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(guard);
    assert.equal(code, 141, stderr);
    assert.match(stderr, /run: standard output closed: stopped: continue with --resume .*\n$/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(locks(out), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
