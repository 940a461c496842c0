import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { items } from '../datasets/datasets.table.ts';
import { tasks } from './tasks.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One unit of work: an item in a task. Consensus tasks hold `annotatorsPerItem` copies of each
 * item (`copy` 0..N-1), each worked by a different annotator; honeypot gold units are created
 * per annotator (`isGold`, owned from the start).
 *
 * This is the pull queue. The claim path updates `worker_id`, `assignment_id` and
 * `lease_expires_at`; heartbeats and annotation saves only touch `lease_expires_at`, which no
 * index covers, so they are HOT updates. The table has aggressive autovacuum and fillfactor 80
 * (migration `queue_autovacuum`) so dead tuples at the head of the queue do not pile up.
 */
export const taskItems = pgTable(
  'task_items',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id')
      .notNull()
      .references(() => items.id, { onDelete: 'cascade' }),
    copy: smallint('copy').notNull().default(0),
    isGold: boolean('is_gold').notNull().default(false),
    /** Queue order: the item's order in its dataset. */
    position: bigint('position', { mode: 'number' }).notNull(),
    /** The share this unit belongs to (a person's or a group's), null while queued. */
    assignmentId: uuid('assignment_id'),
    /** The person working it: the puller, or whoever set its status or annotated it. */
    workerId: uuid('worker_id'),
    leaseExpiresAt: ts('lease_expires_at'),
    status: text('status'),
    done: boolean('done').notNull().default(false),
    statusBy: uuid('status_by'),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    openIssues: integer('open_issues').notNull().default(0),
    forReview: integer('for_review').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('task_items_unit_uq').on(t.taskId, t.itemId, t.copy).where(sql`not ${t.isGold}`),
    uniqueIndex('task_items_gold_uq').on(t.taskId, t.itemId, t.workerId).where(sql`${t.isGold}`),
    // The claim's index holds free units only: a held unit leaves it the moment it is claimed and
    // comes back only when its lease is swept (pull.service.ts), so a claim never walks past held
    // units and throughput does not decay as they pile up.
    index('task_items_free_idx').on(t.taskId, t.position, t.copy).where(sql`${t.workerId} is null and ${t.status} is null and not ${t.isGold}`),
    index('task_items_worker_idx').on(t.taskId, t.workerId).where(sql`${t.workerId} is not null`),
    // The workload check counts a person's unfinished units: finished ones must not be scanned.
    index('task_items_held_idx').on(t.taskId, t.workerId).where(sql`${t.workerId} is not null and ${t.status} is null`),
    index('task_items_assignment_idx').on(t.assignmentId, t.position),
    index('task_items_task_idx').on(t.taskId, t.position, t.id),
    // (item, task) rather than item alone: a unit is looked up by task and item (the status and
    // annotation paths lock it so), and with both columns in one index the planner picks it even
    // before autovacuum has analyzed a freshly created task's units (it used to scan the task's
    // queue index instead: 16 ms per status write on a 100k-unit task).
    index('task_items_item_idx').on(t.itemId, t.taskId),
  ],
);

/**
 * Where a pulling task's queue starts (docs/allocation.md, "Where the queue starts"): no unit
 * before `free_from` is free or can become free without lowering it. Every unit with no status
 * sits at or after it: the pull raises it to the first such unit (`raiseQueueStart`), and the
 * triggers of migration 0026 lower it in the transaction that gives a unit its status back to
 * none or inserts units. The claim starts its walk of `task_items_free_idx` there, past the
 * entries of units claimed since, which VACUUM alone removes.
 */
export const taskQueueHeads = pgTable('task_queue_heads', {
  taskId: uuid('task_id')
    .primaryKey()
    .references(() => tasks.id, { onDelete: 'cascade' }),
  freeFrom: bigint('free_from', { mode: 'number' }).notNull(),
});
