/**
 * `npm run bench [-- --quick]`: the benchmark suite (writes bench/RESULTS.md).
 * `npm run --silent bench -- step …`: one configuration, one JSON line.
 */
import { stepCommand } from './step.ts';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'step') return stepCommand(argv.slice(1));
  const { suite } = await import('./suite.ts');
  return suite(argv);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`bench: error: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
