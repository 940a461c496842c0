import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';
import { outboxTick, webhookSettings } from './delivery.ts';

/**
 * A once-a-minute turn of the outbox relay and webhook sender, for processes that run jobs but
 * not the in-process poller (`startOutboxWorker`, started by the server every second).
 */
export const outboxTickJob = defineJob({
  name: 'outbox.tick',
  schema: z.object({}).passthrough(),
  cron: '* * * * *',
  retryLimit: 0,
  handler: async (ctx) => {
    await outboxTick(ctx, webhookSettings());
  },
});
