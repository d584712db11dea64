// Node, Bun and Deno: run the checks and print the report on one line.
import { runEngineChecks } from './program.ts';

const report = await runEngineChecks();
console.log(`BP_LAMBDA_REPORT ${JSON.stringify(report)}`);
