import { sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { jobQueueState } from './jobs-admin.table.ts';
import { readJobLogs } from './job-logs.ts';

/**
 * The job queue's admin actions (docs/jobs.md). Counts are read live from pg-boss's job table:
 * pg-boss's own queue statistics are refreshed by its maintenance loop and can be a minute old.
 * Raw SQL on `pgboss.job` / `pgboss.queue` is deliberate and stays inside `src/jobs/`: pg-boss is
 * this module's own dependency (its tables are ours to read, like a `*.table.ts`), and no other
 * module touches them.
 */

export const jobStates = ['waiting', 'delayed', 'active', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof jobStates)[number];

const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: unknown[] }).rows ?? (result as unknown[])) as T[];

/** Our state name from pg-boss's: created and retry split by `start_after` into waiting and delayed. */
const stateSql = sql`case when j.state in ('created','retry') then (case when j.start_after > now() then 'delayed' else 'waiting' end) else j.state::text end`;

export interface QueueCounts {
  name: string;
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
}

export async function isPaused(db: Db): Promise<boolean> {
  const rows = rowsOf<{ paused: boolean }>(await db.execute(sql`select paused from job_queue_state where id = 1`));
  return rows[0]?.paused ?? false;
}

/** Live counts per queue and state, and whether the queue is paused (pg-boss's internal `__pgboss__*` queues left out). */
export async function jobStats(ctx: Ctx) {
  const rows = rowsOf<{ name: string; state: string; n: number }>(
    await ctx.db.execute(sql`select j.name, ${stateSql} as state, count(*)::int as n from pgboss.job j where left(j.name, 10) <> '__pgboss__' group by 1, 2`),
  );
  const queueNames = rowsOf<{ name: string }>(await ctx.db.execute(sql`select name from pgboss.queue where left(name, 10) <> '__pgboss__' order by name`)).map((r) => r.name);
  const byName = new Map<string, QueueCounts>();
  const entry = (name: string) => {
    let found = byName.get(name);
    if (!found) byName.set(name, (found = { name, waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 }));
    return found;
  };
  for (const name of queueNames) entry(name);
  for (const row of rows) {
    const counts = entry(row.name);
    if (row.state in counts && row.state !== 'name') (counts as unknown as Record<string, number>)[row.state] = Number(row.n);
  }
  return { paused: await isPaused(ctx.db), queues: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)) };
}

/**
 * Pauses or resumes every worker. The flag is stored, so other processes (which poll it every
 * 2 s) and restarts follow it; this process switches at once. Running jobs finish.
 */
export async function setPaused(ctx: Ctx, paused: boolean) {
  await ctx.db
    .insert(jobQueueState)
    .values({ id: 1, paused, updatedAt: new Date() })
    .onConflictDoUpdate({ target: jobQueueState.id, set: { paused, updatedAt: new Date() } });
  await ctx.jobs.applyPaused?.(paused);
  return { paused };
}

/** Deletes waiting and delayed jobs of every queue (or one); active and finished jobs are untouched. */
export async function clearQueued(ctx: Ctx, queue?: string) {
  const rows = rowsOf<{ name: string; n: number }>(
    await ctx.db.execute(sql`with gone as (delete from pgboss.job where state in ('created','retry') ${queue ? sql`and name = ${queue}` : sql``} returning name)
      select name, count(*)::int as n from gone group by name`),
  );
  return { deleted: rows.reduce((sum, r) => sum + Number(r.n), 0) };
}

/** Deletes completed and failed jobs that finished more than 24 hours ago. */
export async function cleanFinished(ctx: Ctx, olderThanHours = 24) {
  const rows = rowsOf<{ n: number }>(
    await ctx.db.execute(sql`with gone as (delete from pgboss.job where state in ('completed','failed')
      and completed_on < now() - make_interval(hours => ${olderThanHours}) returning 1) select count(*)::int as n from gone`),
  );
  return { deleted: Number(rows[0]?.n ?? 0) };
}

/** Sends up to `limit` (≤ 1000) failed jobs back to the queue, oldest failure first. */
export async function retryFailed(ctx: Ctx, limit: number, queue?: string) {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new DomainError('invalid_request', 'limit must be between 1 and 1000');
  const rows = rowsOf<{ id: string; name: string }>(
    await ctx.db.execute(sql`select id::text, name from pgboss.job where state = 'failed' ${queue ? sql`and name = ${queue}` : sql``}
      order by completed_on, id limit ${limit}`),
  );
  const byQueue = new Map<string, string[]>();
  for (const row of rows) byQueue.set(row.name, [...(byQueue.get(row.name) ?? []), row.id]);
  if (!ctx.jobs.retryFailed) throw new DomainError('not_ready', 'This process cannot retry jobs');
  for (const [name, ids] of byQueue) await ctx.jobs.retryFailed(name, ids);
  return { retried: rows.length };
}

export interface JobSummary {
  id: string;
  queue: string;
  state: string;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  retryCount: number;
}

const summaryColumns = sql`j.id::text as id, j.name as queue, ${stateSql} as state, j.created_on as "createdAt",
  j.started_on as "startedAt", j.completed_on as "completedAt", j.retry_count as "retryCount"`;

const toDate = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));
const toSummary = (r: Record<string, unknown>): JobSummary => ({
  id: String(r.id),
  queue: String(r.queue),
  state: String(r.state),
  createdAt: toDate(r.createdAt)!,
  startedAt: toDate(r.startedAt),
  completedAt: toDate(r.completedAt),
  retryCount: Number(r.retryCount),
});

/** Jobs newest first, keyset by (created_on, id); never reads `data` or `output`. */
export async function listJobs(ctx: Ctx, filter: { state?: JobState; queue?: string }, page: PageQuery) {
  const conditions = [sql`true`];
  if (filter.queue) conditions.push(sql`j.name = ${filter.queue}`);
  if (filter.state === 'waiting') conditions.push(sql`j.state in ('created','retry') and j.start_after <= now()`);
  else if (filter.state === 'delayed') conditions.push(sql`j.state in ('created','retry') and j.start_after > now()`);
  else if (filter.state) conditions.push(sql`j.state = ${filter.state}::pgboss.job_state`);
  if (page.cursor) {
    const [at, id] = decodeCursor(page.cursor, 2) as [string, string];
    if (!isId(id) || Number.isNaN(Date.parse(at))) throw new DomainError('invalid_cursor', 'The cursor is not one this list issued');
    conditions.push(sql`(j.created_on, j.id) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const rows = rowsOf<Record<string, unknown>>(
    await ctx.db.execute(sql`select ${summaryColumns} from pgboss.job j where ${sql.join(conditions, sql` and `)}
      order by j.created_on desc, j.id desc limit ${page.limit + 1}`),
  ).map(toSummary);
  return toPage(rows, page.limit, (r) => [r.createdAt.toISOString(), r.id]);
}

/** One job with its data, output, error and the log lines its handler wrote. */
export async function getJob(ctx: Ctx, jobId: string) {
  if (!isId(jobId)) throw notFound('Job');
  const [row] = rowsOf<Record<string, unknown>>(
    await ctx.db.execute(sql`select ${summaryColumns}, j.data, j.output from pgboss.job j where j.id = ${jobId}::uuid`),
  );
  if (!row) throw notFound('Job');
  const summary = toSummary(row);
  const output = (row.output ?? null) as unknown;
  const error = summary.state === 'failed' ? errorText(output) : null;
  return { ...summary, data: (row.data ?? null) as unknown, output, error, logs: await readJobLogs(ctx.db, jobId) };
}

/** pg-boss stores a handler's thrown error as the output `{ message, stack }`. */
function errorText(output: unknown): string | null {
  if (output && typeof output === 'object' && 'message' in output) return String((output as { message: unknown }).message);
  return output === null || output === undefined ? null : JSON.stringify(output);
}
