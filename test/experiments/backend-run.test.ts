import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRun } from '../../src/cli/run.ts';
import { wasmKernelsSupported } from '../../src/tensor/wasm/load.ts';
import { getBackend } from '../../src/tensor/ops.ts';
import { WasmBackend } from '../../src/tensor/wasm-backend.ts';

/** Counts the calls of the WebAssembly kernels while `fn` runs. */
async function wasmKernelCalls(fn: () => Promise<void>): Promise<number> {
  const proto = WasmBackend.prototype;
  const { gemm, jacobianMatmul } = proto;
  let calls = 0;
  proto.gemm = function (...args: Parameters<typeof gemm>) {
    calls++;
    return gemm.apply(this, args);
  };
  proto.jacobianMatmul = function (...args: Parameters<typeof jacobianMatmul>) {
    calls++;
    return jacobianMatmul.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.gemm = gemm;
    proto.jacobianMatmul = jacobianMatmul;
  }
  return calls;
}

test('run picks the wasm backend by default, and every backend writes the log of the pure-JS kernels; the backend is restored afterwards', async () => {
  const before = getBackend();
  const logs: string[] = [];
  const starts: string[] = [];
  const kernelCalls: number[] = [];
  for (const backend of ['js', 'wasm', null]) {
    const out = join(mkdtempSync(join(tmpdir(), 'bpl-run-')), backend ?? 'default');
    let printed = '';
    const argv = ['toy', '--lambda', '0.5,1', '--steps', '6', '--hidden', '6', '--gain', '1.6', '--pairs', '1', '--batches', '4', '--eval-every', '2', '--out', out, ...(backend ? ['--backend', backend] : [])];
    kernelCalls.push(await wasmKernelCalls(() => runRun(argv, (s) => (printed += s))));
    starts.push(printed.split('\n')[0]);
    // everything but the wall-clock seconds must agree
    logs.push(
      readFileSync(join(out, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.stringify({ ...JSON.parse(l), seconds: 0 }))
        .join('\n'),
    );
  }
  assert.match(starts[0], /, backend js, /);
  assert.match(starts[1], /, backend wasm, /);
  assert.ok(wasmKernelsSupported(), 'WebAssembly SIMD runs in this Node');
  assert.match(starts[2], /, backend wasm, /, 'the default is the fastest backend available');
  // the logs compared were computed by the WebAssembly kernels (not by a JS fallback under the name)
  assert.equal(kernelCalls[0], 0);
  assert.ok(kernelCalls[1] > 100 && kernelCalls[2] > 100, `WebAssembly kernel calls: ${kernelCalls.join(', ')}`);
  assert.equal(logs[1], logs[0]);
  assert.equal(logs[2], logs[0]);
  assert.equal(getBackend(), before);
  await assert.rejects(runRun(['toy', '--backend', 'tpu'], () => {}), /run: --backend: expected one of "auto", "js", "wasm", "workers", received "tpu"/);
});
