import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * The queue's paused flag, one row (id 1). Every process polls it and stops or starts its
 * workers, so a pause survives restarts and reaches every process (docs/jobs.md).
 */
export const jobQueueState = pgTable('job_queue_state', {
  id: integer('id').primaryKey(),
  paused: boolean('paused').notNull().default(false),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** Lines a job handler appends while it runs (an export logs its steps); read by the job detail route. */
export const jobLogs = pgTable(
  'job_logs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: text('job_id').notNull(),
    level: text('level').$type<'info' | 'warn' | 'error'>().notNull().default('info'),
    message: text('message').notNull(),
    data: jsonb('data').$type<Record<string, unknown> | null>(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('job_logs_job_idx').on(t.jobId, t.id)],
);
