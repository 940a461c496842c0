import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { projects } from '../projects/projects.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

import type { TaskType } from '../core/shared/task-workflow.ts';
/** Task types live with the workflow in `core/shared/task-workflow.ts`; re-exported for old imports. */
export { taskTypes, type TaskType } from '../core/shared/task-workflow.ts';
import type { Priority } from './priorities.ts';
export { priorities, priorityRank, type Priority } from './priorities.ts';

export interface Allocation {
  method: 'distribution' | 'pulling';
  batchSize: number;
  maxWorkload: number;
  leaseSeconds: number;
  /** Per-assignee share in percent, keyed by assignment id once resolved. */
  workload?: Record<string, number>;
}

export interface ReviewNote {
  body: string;
  authorId: string;
  at: string;
}

export const tasks = pgTable(
  'tasks',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type').$type<TaskType>().notNull(),
    datasetId: uuid('dataset_id'),
    recipeId: uuid('recipe_id'),
    ownerId: uuid('owner_id'),
    priority: text('priority').$type<Priority | null>(),
    priorityRank: smallint('priority_rank').notNull().default(3),
    dueDate: ts('due_date'),
    lockAfterDueDate: boolean('lock_after_due_date').notNull().default(false),
    locked: boolean('locked').notNull().default(false),
    /** The due date whose automatic lock `POST /unlock` lifted; a new due date locks again (docs/hardening.md). */
    autoLockLiftedFor: ts('auto_lock_lifted_for'),
    archived: boolean('archived').notNull().default(false),
    workflowState: text('workflow_state').notNull(),
    description: text('description'),
    allocation: jsonb('allocation').$type<Allocation>().notNull(),
    consensus: jsonb('consensus').$type<{ annotatorsPerItem: number } | null>(),
    honeypot: jsonb('honeypot').$type<{ goldItemIds: string[]; ratio: number } | null>(),
    sourceTaskId: uuid('source_task_id'),
    /** The last review-failure comment, shown to annotators until the next review. */
    reviewNote: jsonb('review_note').$type<ReviewNote | null>(),
    /** Set once any status or annotation was ever written: such a task is archived, not deleted. */
    hasHistory: boolean('has_history').notNull().default(false),
    // Counters, moved in the same transaction as the change (never recomputed from items).
    // `statusCount` and `doneCount` are a base: item status writes move a counter shard instead
    // (`task_counter_shards`); the exact value is the base plus the shards (`exactStatusCount`).
    itemCount: integer('item_count').notNull().default(0),
    doneCount: integer('done_count').notNull().default(0),
    statusCount: integer('status_count').notNull().default(0),
    openIssues: integer('open_issues').notNull().default(0),
    forReview: integer('for_review').notNull().default(0),
    /**
     * The derived status (`derivedStatus`) of the row's base counters alone. It is the task's
     * status whenever the task has no counter shard, which is most tasks: `foldCounterShards`
     * moves a task's shards into its base every minute. The list's `status` filter reads its
     * indexes for those tasks and checks the few with shards on their exact counters
     * (docs/workflow.md, "A status filter reads an index").
     */
    baseStatus: text('base_status')
      .$type<'open' | 'in_progress' | 'completed' | 'completed_with_issues'>()
      .generatedAlwaysAs(
        sql`case when status_count = 0 then 'open' when status_count < item_count then 'in_progress' when open_issues + for_review > 0 then 'completed_with_issues' else 'completed' end`,
      ),
    /** Datasets in the task (rows of `task_datasets`), moved with them. */
    datasetCount: integer('dataset_count').notNull().default(0),
    /** Current annotations marked invalid (docs/robotics.md), moved by invalidate / re-annotate. */
    invalidCount: integer('invalid_count').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('tasks_project_idx').on(t.projectId, t.archived, t.id),
    index('tasks_project_name_idx').on(t.projectId, t.archived, t.name, t.id),
    index('tasks_project_priority_idx').on(t.projectId, t.archived, t.priorityRank, t.id),
    index('tasks_project_due_idx').on(t.projectId, t.archived, sql`coalesce(${t.dueDate}, 'infinity'::timestamptz)`, t.id),
    index('tasks_project_updated_idx').on(t.projectId, t.archived, t.updatedAt, t.id),
    index('tasks_project_owner_idx').on(t.projectId, t.ownerId),
    // `type=` / `workflowState=` lists in list order: a rare type or state (a few qualification
    // tasks among 100,000) otherwise scanned the whole project (docs/benchmarks.md).
    index('tasks_project_type_idx').on(t.projectId, t.archived, t.type, t.id),
    index('tasks_project_workflow_idx').on(t.projectId, t.archived, t.workflowState, t.id),
    // `status=` lists, one per sort: the base status in list order. A rare status (20 tasks in
    // progress among 100,000 finished) otherwise walked the project summing every row's shards.
    index('tasks_project_status_idx').on(t.projectId, t.archived, t.baseStatus, t.id),
    index('tasks_project_status_name_idx').on(t.projectId, t.archived, t.baseStatus, t.name, t.id),
    index('tasks_project_status_priority_idx').on(t.projectId, t.archived, t.baseStatus, t.priorityRank, t.id),
    index('tasks_project_status_due_idx').on(t.projectId, t.archived, t.baseStatus, sql`coalesce(${t.dueDate}, 'infinity'::timestamptz)`, t.id),
    index('tasks_project_status_updated_idx').on(t.projectId, t.archived, t.baseStatus, t.updatedAt, t.id),
    // `forReview=true` / `openIssues=true` lists: few tasks match, so walking the id index and
    // filtering read most of the project; these hold only the matching tasks, in list order.
    index('tasks_project_for_review_idx').on(t.projectId, t.archived, t.id).where(sql`${t.forReview} > 0`),
    index('tasks_project_open_issues_idx').on(t.projectId, t.archived, t.id).where(sql`${t.openIssues} > 0`),
    // `q=` lists: the name's trigrams (pg_trgm), so a rare term reads its few tasks instead of
    // walking the project (docs/workflow.md, "A search term reads the name's trigrams"). Migration
    // 0033 creates it only where the extension can be created (docs/deployment.md).
    index('tasks_name_trgm_idx').using('gin', t.name.op('gin_trgm_ops')),
    index('tasks_dataset_idx').on(t.datasetId),
    index('tasks_source_idx').on(t.sourceTaskId),
  ],
);

/** Subjects a ticket is about: an item (test case) or a finding (evaluation result, scan finding). */
export const taskLinks = pgTable(
  'task_links',
  {
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id').notNull(),
    kind: text('kind').$type<'item' | 'finding' | 'evaluation_result'>().notNull(),
    targetId: uuid('target_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.kind, t.targetId] }), index('task_links_target_idx').on(t.targetId)],
);

/**
 * Net items finished per task (and per assignment) per hour: the recent completion rate behind
 * the ETA. `assignmentId` is the all-zero uuid for the task-wide row.
 */
export const taskDoneHourly = pgTable(
  'task_done_hourly',
  {
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    assignmentId: uuid('assignment_id').notNull(),
    hour: ts('hour').notNull(),
    projectId: uuid('project_id').notNull(),
    done: integer('done').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.assignmentId, t.hour] })],
);

export const taskWideKey = '00000000-0000-0000-0000-000000000000';

/** Shards of a task's status counters: a status write moves one, chosen at random. */
export const TASK_COUNTER_SHARDS = 16;

/**
 * Item status writes' share of a task's `statusCount`/`doneCount`, spread over up to
 * `TASK_COUNTER_SHARDS` rows per task so that concurrent status writes of one task do not queue
 * on one row (the task row was every write's hot row, held until commit). The exact counter is
 * the task row's base plus the sum of its shards, read in the same statement (one snapshot), so
 * it is exact at every read. A task has at most 16 of them. Every minute `foldCounterShards`
 * moves them into the task row's base and deletes them, in one statement, so reads stay exact;
 * only tasks written since have shards. The list's `status` filter relies on that for speed,
 * never for correctness. `projectId` finds a project's tasks with shards.
 */
export const taskCounterShards = pgTable(
  'task_counter_shards',
  {
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    shard: smallint('shard').notNull(),
    projectId: uuid('project_id').notNull(),
    statuses: integer('statuses').notNull().default(0),
    done: integer('done').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.shard] }), index('task_counter_shards_project_idx').on(t.projectId, t.taskId)],
);

