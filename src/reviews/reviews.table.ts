import { sql } from 'drizzle-orm';
import { doublePrecision, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { tasks } from '../task-units/tasks.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const issueStatuses = ['open', 'for_review', 'resolved'] as const;
export type IssueStatus = (typeof issueStatuses)[number];

/**
 * An issue a reviewer opened on one annotation. It counts on the annotation's task item (and
 * through it on the assignment, the task and the project summary) and, when it was opened from
 * a QA task, on the review task's unit for the same item too. `assigneeId` is the annotation's
 * author: the person who must fix it (`GET /me/issues`).
 */
export const issues = pgTable(
  'issues',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    /** The labeling (source) task the annotation belongs to. */
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    taskItemId: uuid('task_item_id').notNull(),
    itemId: uuid('item_id').notNull(),
    annotationId: uuid('annotation_id').notNull(),
    /** The QA task (and its unit for this item) the issue was raised from, if any. */
    reviewTaskId: uuid('review_task_id'),
    reviewTaskItemId: uuid('review_task_item_id'),
    assigneeId: uuid('assignee_id'),
    openedBy: uuid('opened_by').notNull(),
    status: text('status').$type<IssueStatus>().notNull(),
    /** The reviewer's opening comment (later discussion lives in comments on the issue). */
    comment: text('comment').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    resolvedAt: ts('resolved_at'),
  },
  (t) => [
    index('issues_task_idx').on(t.taskId, t.id),
    index('issues_review_task_idx').on(t.reviewTaskId, t.id).where(sql`${t.reviewTaskId} is not null`),
    index('issues_assignee_idx').on(t.assigneeId, t.id),
    index('issues_annotation_idx').on(t.annotationId),
    index('issues_task_item_idx').on(t.taskItemId),
  ],
);

export const commentSubjects = ['task', 'item', 'annotation', 'issue'] as const;
export type CommentSubject = (typeof commentSubjects)[number];

/** Free text on a task, an item, an annotation or an issue. `kind` tells review failures apart. */
export const comments = pgTable(
  'comments',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    subjectKind: text('subject_kind').$type<CommentSubject>().notNull(),
    subjectId: uuid('subject_id').notNull(),
    authorId: uuid('author_id'),
    /** `comment` (written by a person), `review_failure` (the fail-review comment), `issue_status` (said while moving an issue). */
    kind: text('kind').$type<'comment' | 'review_failure' | 'issue_status'>().notNull().default('comment'),
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('comments_subject_idx').on(t.subjectKind, t.subjectId, t.id)],
);

/**
 * A QA task's link to the labeling task it reviews: items flow in as they are done in the
 * source (status listener), kept when `sampleRate` is 1 or when the item's deterministic hash
 * falls under it, so re-deciding an item always gives the same answer.
 */
export const qaTasks = pgTable(
  'qa_tasks',
  {
    reviewTaskId: uuid('review_task_id')
      .primaryKey()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    sourceTaskId: uuid('source_task_id').notNull(),
    projectId: uuid('project_id').notNull(),
    sampleRate: doublePrecision('sample_rate').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('qa_tasks_source_idx').on(t.sourceTaskId)],
);
