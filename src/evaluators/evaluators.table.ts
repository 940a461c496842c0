import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export type CodeCheck = 'exact_match' | 'contains' | 'regex' | 'json_valid' | 'json_schema' | 'length' | 'latency';
export type EvalTaskStatus = 'active' | 'paused' | 'blocked';
export type EvalRunStatus = 'queued' | 'running' | 'completed' | 'stopped' | 'failed';
export type EvalRunKind = 'backfill' | 'continuous' | 'dataset';
export const DECISIONS = ['scored', 'error', 'filtered_out', 'sampled_out', 'draft', 'duplicate', 'rate_limited'] as const;
export type Decision = (typeof DECISIONS)[number];

/** A reusable scorer of a project: a built-in code check or an LLM judge (docs/evaluators.md). */
export const evaluators = pgTable(
  'evaluators',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    name: text('name').notNull(),
    kind: text('kind').$type<'code' | 'llm'>().notNull(),
    check: text('check').$type<CodeCheck>(),
    params: jsonb('params').$type<Record<string, unknown>>().notNull().default({}),
    model: text('model'),
    template: text('template'),
    /** LLM judge: label → score. */
    labels: jsonb('labels').$type<Record<string, number>>(),
    baseUrl: text('base_url'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('evaluators_project_idx').on(t.projectId, t.id)],
);

export interface EvalTaskFilter {
  spanKind?: string;
  model?: string;
  attributes?: Record<string, string | number | boolean>;
}

/** What to evaluate, with which evaluators, how often (docs/evaluators.md). */
export const evalTasks = pgTable(
  'eval_tasks',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    name: text('name').notNull(),
    evaluatorIds: uuid('evaluator_ids').array().notNull(),
    targetKind: text('target_kind').$type<'spans' | 'dataset'>().notNull(),
    datasetId: uuid('dataset_id'),
    filter: jsonb('filter').$type<EvalTaskFilter>().notNull().default({}),
    samplingRate: real('sampling_rate').notNull(),
    mapping: jsonb('mapping').$type<Record<string, string>>().notNull().default({}),
    continuous: boolean('continuous').notNull().default(false),
    quietSeconds: integer('quiet_seconds').notNull().default(30),
    blockAfterErrors: integer('block_after_errors').notNull().default(20),
    status: text('status').$type<EvalTaskStatus>().notNull().default('active'),
    blockedReason: text('blocked_reason'),
    /** Evaluator failures in a row, across runs; reset by a success or a resume. */
    consecutiveErrors: integer('consecutive_errors').notNull().default(0),
    /** Continuous mode: the latest span arrival already handed to a run. */
    watermark: ts('watermark'),
    createdBy: uuid('created_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('eval_tasks_project_idx').on(t.projectId, t.id),
    index('eval_tasks_continuous_idx').on(t.id).where(sql`${t.continuous} and ${t.status} = 'active'`),
  ],
);

/** Where a run stands after its last committed batch: subjects considered and the keyset position. */
export interface RunProgress {
  seen: number;
  /** Dataset runs: the last item id; backfills: the last span's (startTime, traceId, spanId). */
  after?: string | { startTime: string; traceId: string; spanId: string };
  /** Continuous runs: spans of the run's traces already considered, in their read order. */
  offset?: number;
}

/** One pass of a task over spans or items; counts move once per batch, in the batch's transaction. */
export const evalRuns = pgTable(
  'eval_runs',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => evalTasks.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<EvalRunKind>().notNull(),
    status: text('status').$type<EvalRunStatus>().notNull().default('queued'),
    params: jsonb('params').$type<{ from?: string; to?: string; max?: number; traceIds?: string[] }>().notNull().default({}),
    scored: integer('scored').notNull().default(0),
    error: integer('error').notNull().default(0),
    filteredOut: integer('filtered_out').notNull().default(0),
    sampledOut: integer('sampled_out').notNull().default(0),
    draft: integer('draft').notNull().default(0),
    duplicate: integer('duplicate').notNull().default(0),
    rateLimited: integer('rate_limited').notNull().default(0),
    /**
     * Crash recovery (docs/evaluators.md, "Runs that lose their process"): which execution owns a
     * running run (each resume adds one; a batch commits only under the attempt that started it),
     * when its process last showed life, and where it stands after its last committed batch.
     */
    attempt: integer('attempt').notNull().default(0),
    heartbeatAt: ts('heartbeat_at'),
    progress: jsonb('progress').$type<RunProgress>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    startedAt: ts('started_at'),
    endedAt: ts('ended_at'),
  },
  (t) => [index('eval_runs_task_idx').on(t.taskId, t.id)],
);

export const evalRunLogs = pgTable(
  'eval_run_logs',
  {
    id: uuid('id').primaryKey(),
    runId: uuid('run_id')
      .notNull()
      .references(() => evalRuns.id, { onDelete: 'cascade' }),
    level: text('level').$type<'info' | 'warn' | 'error'>().notNull(),
    message: text('message').notNull(),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('eval_run_logs_run_idx').on(t.runId, t.id)],
);

/** Why a run did or did not score one span or item (per evaluator once it got that far). */
export const evalDecisions = pgTable(
  'eval_decisions',
  {
    id: uuid('id').primaryKey(),
    runId: uuid('run_id')
      .notNull()
      .references(() => evalRuns.id, { onDelete: 'cascade' }),
    subjectKind: text('subject_kind').$type<'span' | 'item'>().notNull(),
    traceId: text('trace_id'),
    spanId: text('span_id'),
    itemId: uuid('item_id'),
    evaluatorId: uuid('evaluator_id'),
    decision: text('decision').$type<Decision>().notNull(),
    message: text('message'),
    resultId: uuid('result_id'),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('eval_decisions_run_idx').on(t.runId, t.id), index('eval_decisions_run_decision_idx').on(t.runId, t.decision, t.id)],
);

/**
 * A score on a span or an item. At most one per (evaluator, task, subject): the unique index is
 * what makes concurrent runs and retries unable to score twice (inserts use ON CONFLICT DO NOTHING).
 */
export const evalResults = pgTable(
  'eval_results',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => evalTasks.id, { onDelete: 'cascade' }),
    runId: uuid('run_id').notNull(),
    evaluatorId: uuid('evaluator_id').notNull(),
    subjectKind: text('subject_kind').$type<'span' | 'item'>().notNull(),
    /** `traceId:spanId` for spans, the item id for items. */
    subjectKey: text('subject_key').notNull(),
    traceId: text('trace_id'),
    spanId: text('span_id'),
    itemId: uuid('item_id'),
    label: text('label').notNull(),
    score: real('score').notNull(),
    passed: boolean('passed').notNull(),
    explanation: text('explanation').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('eval_results_once_uq').on(t.evaluatorId, t.taskId, t.subjectKey),
    index('eval_results_run_idx').on(t.runId, t.itemId, t.id),
    index('eval_results_span_idx').on(t.projectId, t.traceId, t.spanId),
    index('eval_results_label_idx').on(t.projectId, t.label, t.evaluatorId),
  ],
);

/** Continuous mode: a trace handed to a task once (the claim is the primary key). */
export const evalTaskTraces = pgTable(
  'eval_task_traces',
  {
    taskId: uuid('task_id')
      .notNull()
      .references(() => evalTasks.id, { onDelete: 'cascade' }),
    traceId: text('trace_id').notNull(),
    runId: uuid('run_id').notNull(),
  },
  (t) => [uniqueIndex('eval_task_traces_pk').on(t.taskId, t.traceId)],
);
