import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const workloadStatuses = ['active', 'inactive', 'archived'] as const;
export type WorkloadStatus = (typeof workloadStatuses)[number];
export const cycleStatuses = ['in_progress', 'completed', 'uncompleted', 'cancelled'] as const;
export type CycleStatus = (typeof cycleStatuses)[number];
export type Frequency = 'daily' | 'weekly' | 'monthly';
export type AutoQaMode = 'off' | 'copilot' | 'autonomous';

/** A workload's settings: everything whose change cancels the running cycle (docs/workloads.md). */
export interface WorkloadConfig {
  revieweeIds: string[];
  evaluatorIds: string[];
  scorecardRecipeId: string;
  schedule: { frequency: Frequency; timeZone: string; startAt: string | null };
  target: { count: number; per: 'total' | 'reviewee' };
  sampling: { datasetId: string; filter: unknown; revieweeField: string; strategy: 'random' | 'stratified' };
  autoQa: AutoQaMode;
  aiEvaluatorId: string | null;
}

export const workloads = pgTable(
  'workloads',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    name: text('name').notNull(),
    status: text('status').$type<WorkloadStatus>().notNull().default('active'),
    config: jsonb('config').$type<WorkloadConfig>().notNull(),
    /** Not part of the configuration: changing who is notified does not restart a cycle. */
    subscriberIds: uuid('subscriber_ids').array().notNull().default([]),
    createdBy: uuid('created_by').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('workloads_project_idx').on(t.projectId, t.status, t.id), index('workloads_status_idx').on(t.status)],
);

/**
 * One period of a workload. At most one cycle that is not `cancelled` per (workload, period
 * start): the partial unique index is what makes cycle creation exactly-once across processes
 * (an `INSERT … ON CONFLICT DO NOTHING` against it); a cancelled cycle steps aside so that its
 * replacement can take the same period.
 */
export const workloadCycles = pgTable(
  'workload_cycles',
  {
    id: uuid('id').primaryKey(),
    workloadId: uuid('workload_id')
      .notNull()
      .references(() => workloads.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id').notNull(),
    periodStart: ts('period_start').notNull(),
    periodEnd: ts('period_end').notNull(),
    status: text('status').$type<CycleStatus>().notNull().default('in_progress'),
    target: integer('target').notNull(),
    // Counters, moved in the transaction of the change (status writes, skips), never recounted.
    done: integer('done').notNull().default(0),
    skipped: integer('skipped').notNull().default(0),
    taskId: uuid('task_id'),
    /** The sampling seed: the same seed over the same items gives the same sample. */
    seed: text('seed').notNull(),
    config: jsonb('config').$type<WorkloadConfig>().notNull(),
    createdAt: ts('created_at').notNull(),
    closedAt: ts('closed_at'),
  },
  (t) => [
    uniqueIndex('workload_cycles_period_uq').on(t.workloadId, t.periodStart).where(sql`status <> 'cancelled'`),
    index('workload_cycles_workload_idx').on(t.workloadId, t.periodStart),
    index('workload_cycles_task_idx').on(t.taskId),
  ],
);

/** A conversation sampled into a cycle, with its reviewee, skip and AutoQA answer. */
export const workloadCycleItems = pgTable(
  'workload_cycle_items',
  {
    cycleId: uuid('cycle_id')
      .notNull()
      .references(() => workloadCycles.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id').notNull(),
    projectId: uuid('project_id').notNull(),
    revieweeId: text('reviewee_id'),
    /** `sampled` at cycle start, `replacement` when it replaced a skipped one. */
    origin: text('origin').$type<'sampled' | 'replacement'>().notNull().default('sampled'),
    skippedAt: ts('skipped_at'),
    skippedBy: uuid('skipped_by'),
    skipReason: text('skip_reason'),
    replacedBy: uuid('replaced_by'),
    /** AutoQA's answer: category → value, and its explanation. */
    aiValues: jsonb('ai_values').$type<Record<string, number> | null>(),
    aiExplanation: text('ai_explanation'),
  },
  (t) => [primaryKey({ columns: [t.cycleId, t.itemId] })],
);
