import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

test('npm run example:api (examples/api.ts) runs every part of the API tour and reports what it checks', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/api.ts'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.map((l) => l.slice(0, 2)), ['1.', '2.', '3.', '4.', '5.']);
  assert.match(lines[2], /agree on the last output: true/);
  assert.match(lines[3], /bit-identical: true/);
  assert.match(lines[4], /\(ok\)/);
});
