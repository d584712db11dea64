// QuickJS (a script, no module loader): the report, or the error, is left on globalThis for the host to read.
import { runEngineChecks } from './program.ts';

const g = globalThis as { bpLambdaReport?: string };
runEngineChecks().then(
  (report) => {
    g.bpLambdaReport = JSON.stringify(report);
  },
  (e: unknown) => {
    g.bpLambdaReport = `ERROR ${e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)}`;
  },
);
