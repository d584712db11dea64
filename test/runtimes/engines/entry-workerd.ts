// Cloudflare workerd: `workerd test` calls the module's test() handler; the report goes to the log.
import { runEngineChecks } from './program.ts';

export default {
  async test(): Promise<void> {
    const report = await runEngineChecks();
    console.log(`BP_LAMBDA_REPORT ${JSON.stringify(report)}`);
  },
};
