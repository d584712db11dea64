import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRun } from '../../src/cli/run.ts';
import { getBackend } from '../../src/tensor/ops.ts';

test('run --backend wasm gives the same log as the pure-JS kernels, and restores the backend afterwards', async () => {
  const before = getBackend();
  const logs: string[] = [];
  for (const backend of ['js', 'wasm']) {
    const out = join(mkdtempSync(join(tmpdir(), 'bpl-run-')), backend);
    await runRun(['toy', '--lambda', '0.5,1', '--steps', '6', '--hidden', '6', '--gain', '1.6', '--pairs', '1', '--batches', '4', '--eval-every', '2', '--out', out, '--backend', backend, '--quiet'], () => {});
    // everything but the wall-clock seconds must agree
    logs.push(
      readFileSync(join(out, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.stringify({ ...JSON.parse(l), seconds: 0 }))
        .join('\n'),
    );
  }
  assert.equal(logs[1], logs[0]);
  assert.equal(getBackend(), before);
  await assert.rejects(runRun(['toy', '--backend', 'tpu'], () => {}), /run: --backend: expected one of "js", "wasm", "workers", received "tpu"/);
});
