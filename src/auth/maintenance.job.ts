import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';
import { purgeExpiredAuth } from './auth.service.ts';
import { purgeIdempotencyKeys } from '../db/idempotency.ts';

/** Hourly: drop expired sessions, old login-failure windows and idempotency keys past 24 hours. */
export const purgeExpiredJob = defineJob({
  name: 'maintenance.purge-expired',
  schema: z.object({}).passthrough(),
  cron: '17 * * * *',
  handler: async (ctx) => {
    await purgeExpiredAuth(ctx);
    await purgeIdempotencyKeys(ctx);
  },
});
