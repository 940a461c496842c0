import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';
import { FOLD_BATCH, foldCounterShards } from './counter-fold.ts';

/**
 * Every minute: tasks' counter shards move into their task rows (`foldCounterShards`), so that
 * the task list's `status` filter has few tasks to check on their exact counters. Folds
 * `FOLD_BATCH` (500) tasks a statement until fewer are left, at most 40 statements a run
 * (20,000 tasks written within a minute); the rest wait for the next run, which changes only
 * speed, never a count.
 */
export const foldCounterShardsJob = defineJob({
  name: 'counters.fold-shards',
  schema: z.object({}).passthrough(),
  cron: '* * * * *',
  retryLimit: 0,
  handler: async (ctx) => {
    for (let round = 0; round < 40; round++) if ((await foldCounterShards(ctx.db)) < FOLD_BATCH) break;
  },
});
