import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Ctx } from '../context.ts';
import { defineJob } from '../jobs/jobs.ts';
import { ensureSpanPartitions, forgetSpanPartitions } from './ingest.service.ts';
import { readTracesSettings } from './traces.settings.ts';
import { traces } from './traces.table.ts';

const DAY_MS = 86_400_000;

/**
 * Span retention and partition upkeep (docs/traces.md): creates the daily partitions of the next
 * two days ahead of ingestion, drops the partitions whose day ended `retentionDays` or more ago
 * (a DROP TABLE per day, no row deletes), and deletes the trace rows that started before the cut.
 */
export async function applySpanRetention(ctx: Ctx, retentionDays = readTracesSettings().retentionDays) {
  const now = ctx.clock.now();
  await ensureSpanPartitions(ctx.db, [now, new Date(now.getTime() + DAY_MS), new Date(now.getTime() + 2 * DAY_MS)]);
  const cut = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - retentionDays * DAY_MS);
  const day = cut.toISOString().slice(0, 10);
  const result = await ctx.db.execute<{ dropped: number }>(sql`select loupe_spans_drop_partitions(${day}::date) as dropped`);
  const dropped = Number((result as unknown as { rows: Array<{ dropped: number }> }).rows[0]?.dropped ?? 0);
  if (dropped > 0) forgetSpanPartitions(ctx.db);
  await ctx.db.execute(sql`delete from ${traces} where ${traces.startTime} < ${cut.toISOString()}::timestamptz`);
  return { droppedPartitions: dropped, cutoff: cut };
}

/** Daily at 00:05 UTC. */
export const spanRetentionJob = defineJob({
  name: 'traces.retention',
  schema: z.object({}).passthrough(),
  cron: '5 0 * * *',
  handler: async (ctx) => {
    await applySpanRetention(ctx);
  },
});
