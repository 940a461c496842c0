import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';
import { foldCounterShards } from './counter-fold.ts';

/**
 * Every minute: tasks' counter shards move into their task rows (`foldCounterShards`), so that
 * the task list's `status` filter has few tasks to check on their exact counters. Runs until no
 * task with shards is left, or for at most 20 rounds of 500 tasks.
 */
export const foldCounterShardsJob = defineJob({
  name: 'counters.fold-shards',
  schema: z.object({}).passthrough(),
  cron: '* * * * *',
  handler: async (ctx) => {
    for (let round = 0; round < 20; round++) if ((await foldCounterShards(ctx.db)) < 500) break;
  },
});
