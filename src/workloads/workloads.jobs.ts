import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';

/**
 * Job definitions of the workloads module. Handlers import their service lazily: the services
 * import these definitions to enqueue work in their transactions.
 */
export const autoQaJob = defineJob({
  name: 'workloads.auto-qa',
  schema: z.object({ cycleId: z.string() }),
  handler: async (ctx, data) => {
    await (await import('./auto-qa.service.ts')).runAutoQa(ctx, data.cycleId);
  },
  retryLimit: 5,
});

/** Every minute, in every process: starts due cycles. Idempotent (docs/workloads.md). */
export const tickJob = defineJob({
  name: 'workloads.tick',
  schema: z.object({}).passthrough(),
  cron: '* * * * *',
  handler: async (ctx) => {
    await (await import('./cycles.service.ts')).tickWorkloads(ctx);
  },
  retryLimit: 0,
});
