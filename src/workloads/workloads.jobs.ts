import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';

/**
 * Every minute, in every process: starts due cycles and runs pending AutoQA. Idempotent
 * (docs/workloads.md). The handler imports its service lazily: services never import jobs.
 */
export const tickJob = defineJob({
  name: 'workloads.tick',
  schema: z.object({ projectId: z.string().optional() }),
  cron: '* * * * *',
  handler: async (ctx, data) => {
    await (await import('./cycles.service.ts')).tickWorkloads(ctx, data.projectId ? { projectId: data.projectId } : {});
  },
  retryLimit: 0,
});
