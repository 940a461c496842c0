import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';
import { executeRun, recoverStaleRuns } from './eval-runner.ts';
import { continuousTick } from './continuous.ts';

/** Runs one evaluation run (a backfill, a dataset pass, or a continuous batch). */
export const evalRunJob = defineJob({
  name: 'eval.run',
  schema: z.object({ runId: z.uuid() }),
  handler: async (ctx, data) => executeRun(ctx, data.runId),
  retryLimit: 2,
});

/**
 * Every minute: resume (or fail, after too many attempts) runs whose process died, then hand
 * complete traces to active continuous tasks, one run per task and tick.
 */
export const evalContinuousJob = defineJob({
  name: 'eval.continuous',
  schema: z.object({}).passthrough(),
  cron: '* * * * *',
  handler: async (ctx) => {
    await recoverStaleRuns(ctx);
    await continuousTick(ctx);
  },
  retryLimit: 0,
});
