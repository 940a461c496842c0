import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { tasks } from './tasks.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export type AssigneeKind = 'user' | 'group';
export type AssignmentRole = 'annotator' | 'reviewer';

/**
 * An assignment: one assignee's (person's or group's) share of a task, with counters moved in
 * the same transaction as the task items they count. Every member of a group assignee can work
 * the group's share. The derived status is a generated column over the counters (docs/workflow.md, Task units and the derived status).
 */
export const taskAssignees = pgTable(
  'task_assignees',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    role: text('role').$type<AssignmentRole>().notNull(),
    assigneeKind: text('assignee_kind').$type<AssigneeKind>().notNull(),
    assigneeId: uuid('assignee_id').notNull(),
    /** Share of the task's items in percent (distribution by percentages), null for balanced. */
    workload: integer('workload'),
    itemCount: integer('item_count').notNull().default(0),
    doneCount: integer('done_count').notNull().default(0),
    statusCount: integer('status_count').notNull().default(0),
    openIssues: integer('open_issues').notNull().default(0),
    forReview: integer('for_review').notNull().default(0),
    status: text('status').generatedAlwaysAs(sql`case
  when status_count = 0 then 'open'
  when status_count < item_count then 'in_progress'
  when open_issues + for_review > 0 then 'completed_with_issues'
  else 'completed' end`),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('task_assignees_uq').on(t.taskId, t.role, t.assigneeId),
    index('task_assignees_assignee_idx').on(t.assigneeId, t.taskId),
    // A person's tasks in one project, in id order (the task list's `assignee` filter).
    index('task_assignees_assignee_project_idx').on(t.assigneeId, t.projectId, t.taskId),
  ],
);
