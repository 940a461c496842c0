import { z } from 'zod';
import { maintainTables } from '../db/vacuum.ts';
import { appendJobLog } from './job-logs.ts';
import { defineJob } from './jobs.ts';

/** `LOUPE_DB_VACUUM`: `auto` (default) vacuums only where autovacuum does not run; `off` never. */
export function vacuumMode(env: NodeJS.ProcessEnv = process.env): 'auto' | 'off' {
  return env.LOUPE_DB_VACUUM === 'off' ? 'off' : 'auto';
}

/**
 * Every minute (autovacuum's own default interval): vacuum and analyze the tables past their
 * thresholds when the database has no autovacuum of its own (docs/deployment.md, "Vacuum when
 * autovacuum does not run"). One process runs it at a time: pg-boss schedules a cron job once.
 */
export const vacuumJob = defineJob({
  name: 'maintenance.vacuum',
  schema: z.object({}).passthrough(),
  cron: '* * * * *',
  retryLimit: 0,
  handler: async (ctx, _data, job) => {
    if (vacuumMode() === 'off') return;
    const done = await maintainTables(ctx.db);
    if (done.length && job)
      await appendJobLog(ctx.db, job.id, `${done.length} table(s) vacuumed or analyzed (no autovacuum runs)`, { tables: done });
  },
});
