#!/usr/bin/env node
import { readFileSync, writeSync } from 'node:fs';
import { fsErrorText } from '../io/atomic.ts';
import { runConvert } from './convert.ts';
import { runGrads } from './grads.ts';
import { runPredict } from './predict.ts';
import { runRun } from './run.ts';

const COMMANDS: Record<string, { run: (argv: string[], write: (s: string) => void) => void | Promise<void>; summary: string }> = {
  grads: { run: runGrads, summary: 'gradients JSON of one batch (bptt, tbptt, sg, bp-lambda, lambda-sg, rtrl)' },
  run: { run: runRun, summary: 'train on an experiment: toy | line-draw | seq-mnist | copy-repeat (logs, checkpoints, plots)' },
  convert: { run: runConvert, summary: 'convert a model: model JSON ⇄ PyTorch state_dict (JSON or .safetensors; nn.RNN, nn.LSTM, nn.GRU)' },
  predict: { run: runPredict, summary: 'outputs and states of a model over input sequences (JSON)' },
};

/** The package version, from the package.json two folders up (src/cli/ and dist/cli/ alike). */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

function help(): string {
  const lines = ['Usage: bp-lambda <command> [options]', '       bp-lambda --version', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)}${c.summary}`);
  lines.push('', 'Run `bp-lambda <command> --help` for the options of a command.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(help());
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`bp-lambda: unknown command ${JSON.stringify(cmd)} (known: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  try {
    await c.run(rest, (s) => process.stdout.write(s));
    return 0;
  } catch (e) {
    process.stderr.write(`bp-lambda ${cmd}: error: ${(e as Error).message}\n`);
    return 1;
  }
}

/**
 * A reader that closed our standard output or error early (`bp-lambda grads … | head -c 100`)
 * ends the command quietly, as a Unix filter ends on SIGPIPE: no stack trace, exit code 0
 * (`run` stops first with its own line and exit code 141, see runner.ts: an unfinished run is
 * not a success). Any
 * other write error (`> /dev/full`: ENOSPC) ends it with one line on standard error, exit code 1.
 */
function onWriteError(stream: NodeJS.WriteStream, name: string): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    try {
      writeSync(2, `bp-lambda: error: cannot write to ${name}: ${fsErrorText(e)}\n`);
    } catch {
      // standard error itself cannot be written
    }
    process.exit(1);
  });
}
onWriteError(process.stdout, 'standard output');
onWriteError(process.stderr, 'standard error');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
