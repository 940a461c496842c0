import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';
import { returnExpiredLeases } from './lease-sweep.ts';

/**
 * Every minute: pulled items whose lease ran out go back to their task's queue (their worker and
 * assignment cleared, counters moved, audited). Pulls also sweep their own task, so this is for
 * tasks nobody is pulling from right now: their lists and progress stop showing the items as held.
 */
export const returnExpiredLeasesJob = defineJob({
  name: 'queue.return-expired-leases',
  schema: z.object({}).passthrough(),
  cron: '* * * * *',
  handler: async (ctx) => {
    await returnExpiredLeases(ctx);
  },
});
