import { z } from 'zod';
import { defineJob } from '../jobs/jobs.ts';
import { runExport } from './export-runner.ts';
import { applyRetention } from './export-retention.ts';

/** Writes one export's file (docs/exports.md). Safe to run again: it starts from the first row. */
export const exportJob = defineJob({
  name: 'exports.run',
  schema: z.object({ exportId: z.string() }),
  retryLimit: 2,
  handler: async (ctx, data, job) => runExport(ctx, data.exportId, job?.id ?? `direct-${data.exportId}`),
});

/** Daily: removes export files older than `LOUPE_EXPORT_RETENTION_DAYS`. */
export const exportRetentionJob = defineJob({
  name: 'exports.retention',
  schema: z.object({}).passthrough(),
  cron: '41 3 * * *',
  handler: async (ctx) => {
    await applyRetention(ctx);
  },
});
