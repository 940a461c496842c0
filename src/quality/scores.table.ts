import { sql } from 'drizzle-orm';
import { doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tasks } from '../task-units/tasks.table.ts';
import type { ScoreFunctionOverrides } from './score-functions.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One score of one annotator's answer on one unit, for one tool (`label` '' for the whole tool,
 * or one label of it), against another annotator's answer on the same item (consensus:
 * `referenceId` is that annotator) or against the item's gold answer (`referenceId` null).
 * Rows of a unit are deleted and rewritten whenever its status is set, changed or removed, in
 * the status-changing transaction. Analytics aggregate these rows in SQL.
 */
export const scores = pgTable(
  'scores',
  {
    id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
    projectId: uuid('project_id').notNull(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id').notNull(),
    taskItemId: uuid('task_item_id').notNull(),
    annotatorId: uuid('annotator_id').notNull(),
    referenceId: uuid('reference_id'),
    tool: text('tool').notNull(),
    label: text('label').notNull().default(''),
    fn: text('fn').notNull(),
    value: doublePrecision('value').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('scores_task_annotator_idx').on(t.taskId, t.annotatorId),
    index('scores_task_item_idx').on(t.taskId, t.itemId),
    index('scores_unit_idx').on(t.taskItemId),
  ],
);

export interface HoneypotPolicy {
  /** An annotator whose mean gold score falls below this is paused from pulling. */
  minAccuracy: number;
  /** Gold answers needed before the threshold applies (default 1). */
  minAnswers: number;
}

/** A task's quality settings: score-function replacements per tool and the honeypot policy. */
export const taskQualitySettings = pgTable('task_quality_settings', {
  taskId: uuid('task_id')
    .primaryKey()
    .references(() => tasks.id, { onDelete: 'cascade' }),
  projectId: uuid('project_id').notNull(),
  scoring: jsonb('scoring').$type<ScoreFunctionOverrides>().notNull().default({}),
  honeypot: jsonb('honeypot').$type<HoneypotPolicy | null>(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

/** Annotators paused from pulling in a task because their gold accuracy fell below its threshold. */
export const annotatorPauses = pgTable(
  'annotator_pauses',
  {
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    projectId: uuid('project_id').notNull(),
    accuracy: doublePrecision('accuracy').notNull(),
    answers: integer('answers').notNull(),
    pausedAt: ts('paused_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.userId] })],
);
