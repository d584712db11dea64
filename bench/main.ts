/**
 * `npm run bench [-- --quick]`: the benchmark suite (writes bench/RESULTS.md).
 * `npm run --silent bench -- step …`: one configuration, one JSON line.
 * `npm run --silent bench -- math [--quick]`: the cost of src/math against Math.* (markdown).
 */
import { stepCommand } from './step.ts';

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'step') return stepCommand(argv.slice(1));
  if (argv[0] === 'math') return (await import('./math.ts')).mathBench(argv.slice(1));
  const { suite } = await import('./suite.ts');
  return suite(argv);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`bench: error: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
