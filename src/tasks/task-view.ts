import { and, between, eq, gte, inArray, or, sql, type Placeholder } from 'drizzle-orm';
import type { Caller } from '../context.ts';
import type { Db } from '../db/client.ts';
import { prepared } from '../db/prepared.ts';
import { notFound } from '../core/errors.ts';
import { atLeast } from '../projects/permissions.ts';
import { isId } from '../core/ids.ts';
import { projectMembers } from '../projects/projects.table.ts';
import { taskCounterShards, taskDoneHourly, taskLinks, tasks, taskWideKey } from '../task-units/tasks.table.ts';
import { derivedStatus, exactDoneCount, exactStatusCount, lastTaskWideKey, taskWideDoneSince } from '../task-units/exact-counters.ts';
import { isLocked, type TaskRow } from '../task-units/task-access.ts';

/** The ETA looks at the last day of completions: recent enough to follow a change of pace. */
const RATE_WINDOW_MS = 24 * 3_600_000;

export interface Counted {
  itemCount: number;
  doneCount: number;
  statusCount: number;
  openIssues: number;
  forReview: number;
  createdAt: Date;
}

/**
 * Net completions in the rate window per key (task id or assignment id): one grouped read of at
 * most 24 bucket rows per key. `taskWideKey` stands for the task-wide bucket's shards.
 */
export async function recentDone(db: Db, taskIds: string[], assignmentKeys: string[] = [taskWideKey], now: Date) {
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
      gte(taskDoneHourly.hour, new Date(now.getTime() - RATE_WINDOW_MS)),
    ))
    .groupBy(taskDoneHourly.taskId, key);
  for (const r of rows) out.set(r.key === taskWideKey ? r.taskId : r.key, Number(r.done));
  return out;
}

/**
 * A task row with its exact status counters: the row's base plus its counter shards (one read
 * on the shards' primary key). For rows read without `exactStatusCount`/`exactDoneCount`.
 */
export async function withExactCounters<T extends { id: string; statusCount: number; doneCount: number }>(db: Db, row: T): Promise<T> {
  const [s] = await db
    .select({ statuses: sql<number>`coalesce(sum(${taskCounterShards.statuses}), 0)::int`, done: sql<number>`coalesce(sum(${taskCounterShards.done}), 0)::int` })
    .from(taskCounterShards)
    .where(eq(taskCounterShards.taskId, row.id));
  return { ...row, statusCount: row.statusCount + Number(s?.statuses ?? 0), doneCount: row.doneCount + Number(s?.done ?? 0) };
}

/** The exact counters as select fields, to spread over `getTableColumns(tasks)` (they replace the base). */
export const exactCounterFields = () => ({ statusCount: exactStatusCount(), doneCount: exactDoneCount() });

/** The start of the ETA's rate window at `now`. */
export const rateWindowStart = (now: Date) => new Date(now.getTime() - RATE_WINDOW_MS);

/**
 * `recentDone` of the `tasks` row of the enclosing query as a scalar subquery, so a list or a
 * detail reads the ETA's input in its own statement: at most 24 bucket rows, on the bucket
 * table's primary key. `since` is `rateWindowStart(now)` (or a placeholder for it). The column is
 * spelt out: drizzle leaves `tasks.id` unqualified in a single-table select, where inside a
 * subquery it could bind to another table's `id`.
 */
export const recentDoneSql = (since: Date | Placeholder) => taskWideDoneSince(since);

/** The statement behind `readTaskView`, prepared by name (see `prepared`). */
const taskViewStatement = (db: Db) =>
  prepared(db, 'loupe_task_view', () =>
    db
      .select({
        task: tasks,
        exact: { statusCount: exactStatusCount(), doneCount: exactDoneCount() },
        memberRole: projectMembers.role,
        recent: recentDoneSql(sql.placeholder('since')),
        links: sql<Array<{ kind: 'item' | 'finding' | 'evaluation_result'; id: string }> | null>`case when ${tasks.type} = 'ticket' then coalesce(
          (select json_agg(json_build_object('kind', l.kind, 'id', l.target_id)) from task_links l where l.task_id = "tasks"."id"), '[]'::json) end`,
      })
      .from(tasks)
      .leftJoin(projectMembers, and(eq(projectMembers.projectId, tasks.projectId), eq(projectMembers.userId, sql.placeholder('userId'))))
      .where(eq(tasks.id, sql.placeholder('taskId')))
      .prepare('loupe_task_view'),
  );

/**
 * A task as `GET /tasks/{id}` shows it, in ONE statement: the row, the caller's membership role
 * in its project, the recent completions (ETA) and, for a ticket, its links. 404 for an unknown
 * task or a caller who is not a member of its project (administrators see every task).
 */
export async function readTaskView(db: Db, caller: Caller, taskId: string, now: Date) {
  const [row] = isId(taskId) ? await taskViewStatement(db).execute({ taskId, userId: caller.userId, since: rateWindowStart(now) }) : [];
  if (!row || (!caller.isAdmin && !row.memberRole)) throw notFound('Task');
  return taskView({ ...row.task, ...row.exact }, row.recent, now, row.links ?? undefined, caller.isAdmin || atLeast(row.memberRole!, 'manager'));
}

/** `{total, done, percent, etaSeconds}`: the ETA divides what remains by the recent completion rate. */
export function progressOf(c: Counted, recent: number, now: Date) {
  const total = c.itemCount;
  const done = c.doneCount;
  const remaining = Math.max(0, total - done);
  const windowSeconds = Math.max(60, Math.min(RATE_WINDOW_MS, now.getTime() - c.createdAt.getTime()) / 1000);
  const rate = Math.max(0, recent) / windowSeconds;
  return {
    total,
    done,
    percent: total ? Math.round((done / total) * 1000) / 10 : 0,
    etaSeconds: remaining === 0 ? 0 : rate > 0 ? Math.round(remaining / rate) : null,
  };
}

export const countsOf = (c: Counted) => ({
  items: c.itemCount,
  done: c.doneCount,
  withStatus: c.statusCount,
  pending: c.itemCount - c.statusCount,
  openIssues: c.openIssues,
  forReview: c.forReview,
});

/**
 * A task as the API shows it, from a row whose `statusCount`/`doneCount` are exact (read with
 * `exactCounterFields` or `withExactCounters`). `seesGold`: whether the caller may see `honeypot.goldItemIds`
 * (managers and up); below that the honeypot shows only its ratio, since gold is mixed in
 * unannounced and annotators are scored on it.
 */
export function taskView(task: TaskRow, recent: number, now: Date, links?: Array<{ kind: 'item' | 'finding' | 'evaluation_result'; id: string }>, seesGold = true) {
  return {
    id: task.id,
    projectId: task.projectId,
    name: task.name,
    type: task.type,
    datasetId: task.datasetId,
    datasetCount: task.datasetCount,
    recipeId: task.recipeId,
    ownerId: task.ownerId,
    priority: task.priority,
    dueDate: task.dueDate,
    lockAfterDueDate: task.lockAfterDueDate,
    locked: isLocked(task, now),
    archived: task.archived,
    status: derivedStatus(task),
    workflowState: task.workflowState,
    description: task.description,
    allocation: task.allocation,
    consensus: task.consensus,
    honeypot: task.honeypot && !seesGold ? { ratio: task.honeypot.ratio } : task.honeypot,
    sourceTaskId: task.sourceTaskId,
    reviewNote: task.reviewNote,
    ...(links ? { links } : {}),
    progress: progressOf(task, recent, now),
    counts: { ...countsOf(task), invalid: task.invalidCount },
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

export async function linksOf(db: Db, taskId: string) {
  const rows = await db.select({ kind: taskLinks.kind, id: taskLinks.targetId }).from(taskLinks).where(eq(taskLinks.taskId, taskId));
  return rows;
}
