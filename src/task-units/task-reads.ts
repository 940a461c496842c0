import { and, between, eq, getTableColumns, gte, inArray, or, sql, type Placeholder } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.ts';
import { prepared } from '../db/prepared.ts';
import { membershipFacts } from '../projects/member-reads.ts';
import { exactDoneCount, exactStatusCount, lastTaskWideKey, taskWideDoneSince } from './exact-counters.ts';
import { linksJsonSql } from './task-rows.ts';
import { taskDoneHourly, tasks, taskWideKey } from './tasks.table.ts';

/**
 * Reads of task rows and their progress for the modules above (task lists and detail, assignment
 * lists): this module owns `tasks`, `task_counter_shards` and `task_done_hourly`.
 */

/**
 * Every column of the task row, as a subquery named `tasks` that a list statement selects from
 * and filters, sorts and pages on (`taskRecords.name`, …): the planner flattens it, so the
 * project/sort indexes of `tasks` serve it as they serve the table. Named `tasks` so that the
 * counter expressions of `exact-counters.ts` (which name `"tasks"`) bind to it.
 */
export const taskRecords = new QueryBuilder().select(getTableColumns(tasks)).from(tasks).as('tasks');

/** Every column of `taskRecords`, to spread into a select over it. */
export const taskRecordColumns = Object.fromEntries(Object.keys(getTableColumns(tasks)).map((k) => [k, taskRecords[k as keyof typeof taskRecords]])) as {
  [K in keyof ReturnType<typeof getTableColumns<typeof tasks>>]: (typeof taskRecords)[K];
};

/**
 * Net completions in the rate window per key (task id or assignment id): one grouped read of at
 * most 24 bucket rows per key. `taskWideKey` stands for the task-wide bucket's shards.
 */
export async function recentDone(db: Db, taskIds: string[], assignmentKeys: string[] = [taskWideKey], now: Date, windowMs: number) {
  const out = new Map<string, number>();
  if (!taskIds.length) return out;
  const wide = assignmentKeys.includes(taskWideKey);
  const others = assignmentKeys.filter((k) => k !== taskWideKey);
  // Constants inlined (not bound): the select and the GROUP BY must be the same expression.
  const key = sql<string>`case when ${taskDoneHourly.assignmentId} between ${sql.raw(`'${taskWideKey}'`)}::uuid and ${sql.raw(`'${lastTaskWideKey}'`)}::uuid then ${sql.raw(`'${taskWideKey}'`)}::uuid else ${taskDoneHourly.assignmentId} end`;
  const rows = await db
    .select({ taskId: taskDoneHourly.taskId, key, done: sql<number>`sum(${taskDoneHourly.done})::int` })
    .from(taskDoneHourly)
    .where(and(
      inArray(taskDoneHourly.taskId, taskIds),
      or(wide ? between(taskDoneHourly.assignmentId, taskWideKey, lastTaskWideKey) : undefined, others.length ? inArray(taskDoneHourly.assignmentId, others) : undefined),
      gte(taskDoneHourly.hour, new Date(now.getTime() - windowMs)),
    ))
    .groupBy(taskDoneHourly.taskId, key);
  for (const r of rows) out.set(r.key === taskWideKey ? r.taskId : r.key, Number(r.done));
  return out;
}

/**
 * A task row with its exact status counters: the row's base plus its counter shards, both read
 * again in ONE statement (one snapshot). Reading the shards alone beside a row read earlier could
 * miss a fold (`foldCounterShards`) that moved them into the base in between.
 */
export async function withExactCounters<T extends { id: string; statusCount: number; doneCount: number }>(db: Db, row: T): Promise<T> {
  const [s] = await db
    .select({ statuses: exactStatusCount(), done: exactDoneCount() })
    .from(tasks)
    .where(eq(tasks.id, row.id));
  return s ? { ...row, statusCount: Number(s.statuses), doneCount: Number(s.done) } : row;
}

/**
 * `recentDone` of the `tasks` row of the enclosing query as a scalar subquery, so a list or a
 * detail reads the ETA's input in its own statement: at most 24 bucket rows, on the bucket
 * table's primary key. `since` is the start of the rate window (or a placeholder for it).
 */
export const recentDoneSql = (since: Date | Placeholder) => taskWideDoneSince(since);

/** The statement behind `readTaskWithRole`, prepared by name (see `prepared`). */
const taskViewStatement = (db: Db) =>
  prepared(db, 'loupe_task_view', () =>
    db
      .select({
        task: tasks,
        exact: { statusCount: exactStatusCount(), doneCount: exactDoneCount() },
        memberRole: membershipFacts.role,
        recent: recentDoneSql(sql.placeholder('since')),
        links: linksJsonSql(),
      })
      .from(tasks)
      .leftJoin(membershipFacts, and(eq(membershipFacts.projectId, tasks.projectId), eq(membershipFacts.userId, sql.placeholder('userId'))))
      .where(eq(tasks.id, sql.placeholder('taskId')))
      .prepare('loupe_task_view'),
  );

/**
 * A task in ONE statement: the row with its exact counters, the user's membership role in its
 * project (null for a non-member), the completions since `since` (ETA) and, for a ticket, its
 * links. Undefined for an unknown task.
 */
export async function readTaskWithRole(db: Db, taskId: string, userId: string, since: Date) {
  const [row] = await taskViewStatement(db).execute({ taskId, userId, since });
  if (!row) return undefined;
  return { task: { ...row.task, ...row.exact }, memberRole: row.memberRole, recent: row.recent, links: row.links };
}
