import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8' });

test('bp-lambda --version and -v print the version of package.json, and exit 0', () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.match(version, /^\d+\.\d+\.\d+/);
  for (const flag of ['--version', '-v']) {
    const r = cli(flag);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  }
});

test('bp-lambda without a command prints the usage (exit 2); an unknown command names the known ones (exit 2)', () => {
  const none = cli();
  assert.equal(none.status, 2);
  assert.match(none.stdout, /^Usage: bp-lambda <command> \[options\]\n {7}bp-lambda --version\n/);
  const bad = cli('--versio');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command "--versio" \(known: grads, run, convert, predict\)/);
});
