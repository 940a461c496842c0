import { asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { jobLogs } from './jobs-admin.table.ts';

/** Appends one log line to a job (its own statement: a line stays even when the job later fails). */
export async function appendJobLog(db: Db, jobId: string, message: string, data?: Record<string, unknown>, level: 'info' | 'warn' | 'error' = 'info') {
  await db.insert(jobLogs).values({ jobId, message, data: data ?? null, level });
}

/** A job's log lines, oldest first (at most the last 1000 lines a job wrote are kept readable here). */
export async function readJobLogs(db: Db, jobId: string) {
  return db
    .select({ level: jobLogs.level, message: jobLogs.message, data: jobLogs.data, createdAt: jobLogs.createdAt })
    .from(jobLogs)
    .where(eq(jobLogs.jobId, jobId))
    .orderBy(asc(jobLogs.id))
    .limit(1000);
}
