import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { bumpProjectCounters } from '../projects/projects.service.ts';
import { taskAssignees } from './assignments.table.ts';
import { taskItems } from './task-items.table.ts';
import { taskDoneHourly, tasks, taskWideKey } from './tasks.table.ts';

/** How a change moves the counters of one task and one of its assignments. */
export interface UnitDelta {
  items?: number;
  statuses?: number;
  done?: number;
  openIssues?: number;
  forReview?: number;
}

const isZero = (d: UnitDelta) => !d.items && !d.statuses && !d.done && !d.openIssues && !d.forReview;

const setDelta = (table: typeof tasks | typeof taskAssignees, d: UnitDelta) => ({
  itemCount: sql`${table.itemCount} + ${d.items ?? 0}`,
  statusCount: sql`${table.statusCount} + ${d.statuses ?? 0}`,
  doneCount: sql`${table.doneCount} + ${d.done ?? 0}`,
  openIssues: sql`${table.openIssues} + ${d.openIssues ?? 0}`,
  forReview: sql`${table.forReview} + ${d.forReview ?? 0}`,
});

/**
 * Moves the task's counters (and, when given, the assignment's) by `delta`, in the caller's
 * transaction. Counters are never recomputed from items: every change that moves one calls this.
 */
export async function moveTaskCounters(tx: Tx, taskId: string, assignmentId: string | null, delta: UnitDelta) {
  if (isZero(delta)) return;
  await tx.update(tasks).set(setDelta(tasks, delta)).where(eq(tasks.id, taskId));
  if (assignmentId) await moveAssignmentCounters(tx, assignmentId, delta);
}

export async function moveAssignmentCounters(tx: Tx, assignmentId: string, delta: UnitDelta) {
  if (isZero(delta)) return;
  await tx.update(taskAssignees).set(setDelta(taskAssignees, delta)).where(eq(taskAssignees.id, assignmentId));
}

/**
 * Moves several assignments' counters in one transaction, locking their rows in assignment-id
 * order. Any transaction that updates more than one assignment row must go through here: two
 * transactions that lock the same rows in opposite orders deadlock (two annotators re-claiming
 * each other's expired items did). Deltas for the same id are summed first.
 */
export async function moveAssignmentCountersInOrder(tx: Tx, deltas: Iterable<readonly [string, UnitDelta]>) {
  const sum = new Map<string, Required<UnitDelta>>();
  for (const [id, d] of deltas) {
    const s = sum.get(id) ?? { items: 0, statuses: 0, done: 0, openIssues: 0, forReview: 0 };
    s.items += d.items ?? 0;
    s.statuses += d.statuses ?? 0;
    s.done += d.done ?? 0;
    s.openIssues += d.openIssues ?? 0;
    s.forReview += d.forReview ?? 0;
    sum.set(id, s);
  }
  // Plain string order of lowercase uuids is PostgreSQL's uuid order; only consistency matters.
  for (const id of [...sum.keys()].sort()) await moveAssignmentCounters(tx, id, sum.get(id)!);
}

/**
 * The counter writes of one item status change, in ONE statement issued just before commit: the
 * task row (counters and `has_history`), then the assignment row, then the hourly done buckets
 * (task-wide, then the assignment's). The task row is every status write's hot row; taking it
 * last holds it for one round trip plus the commit instead of the whole transaction. Lock order
 * task → assignment matches `moveTaskCounters`, so it cannot deadlock with issue counters.
 */
export async function applyStatusCounters(
  tx: Tx,
  task: { id: string; projectId: string },
  assignmentId: string | null,
  at: Date,
  delta: { statuses: number; done: number },
) {
  const moves = delta.statuses !== 0 || delta.done !== 0;
  const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000).toISOString();
  // Each later part references the earlier one, which fixes the order the rows are locked in.
  await tx.execute(sql`
    with t as (
      update tasks set status_count = status_count + ${delta.statuses}, done_count = done_count + ${delta.done}, has_history = true
      where id = ${task.id}::uuid and (${moves} or not has_history)
      returning id
    ), a as (
      update task_assignees set status_count = status_count + ${delta.statuses}, done_count = done_count + ${delta.done}
      where id = ${assignmentId}::uuid and ${moves} and exists (select 1 from t)
      returning id
    ), h as (
      insert into task_done_hourly (task_id, assignment_id, hour, project_id, done)
      select ${task.id}::uuid, k.key, ${hour}::timestamptz, ${task.projectId}::uuid, ${delta.done}
      from (values (${taskWideKey}::uuid, 0), (${assignmentId}::uuid, 1)) as k(key, ord)
      where k.key is not null and ${delta.done} <> 0 and exists (select 1 from t) and (select count(*) from a) >= 0
      order by k.ord
      on conflict (task_id, assignment_id, hour) do update set done = task_done_hourly.done + excluded.done
      returning 1
    )
    select (select count(*) from h)::int as n`);
}

/** Records net finished items in the task's (and assignment's) hourly bucket: the ETA's rate. */
export async function recordDone(tx: Tx, task: { id: string; projectId: string }, assignmentId: string | null, at: Date, done: number) {
  if (!done) return;
  const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
  const keys = assignmentId ? [taskWideKey, assignmentId] : [taskWideKey];
  for (const key of keys) {
    await tx
      .insert(taskDoneHourly)
      .values({ taskId: task.id, assignmentId: key, hour, projectId: task.projectId, done })
      .onConflictDoUpdate({
        target: [taskDoneHourly.taskId, taskDoneHourly.assignmentId, taskDoneHourly.hour],
        set: { done: sql`${taskDoneHourly.done} + ${done}` },
      });
  }
}

/**
 * For the review module: moves the open-issue / for-review counts of one task item, its
 * assignment, its task and (open issues only) the project summary, in the caller's transaction.
 * Locks the task item row. The derived task and assignment statuses follow automatically
 * (`completed` ⇄ `completed_with_issues`).
 *
 * @example await moveIssueCounters(tx, taskItemId, { openIssues: +1 }) // an issue was opened
 * @example await moveIssueCounters(tx, taskItemId, { openIssues: -1, forReview: +1 }) // annotator fixed it
 */
export async function moveIssueCounters(tx: Tx, taskItemId: string, delta: { openIssues?: number; forReview?: number }) {
  const d = { openIssues: delta.openIssues ?? 0, forReview: delta.forReview ?? 0 };
  if (!d.openIssues && !d.forReview) return;
  const [unit] = await tx
    .update(taskItems)
    .set({ openIssues: sql`${taskItems.openIssues} + ${d.openIssues}`, forReview: sql`${taskItems.forReview} + ${d.forReview}` })
    .where(eq(taskItems.id, taskItemId))
    .returning({ taskId: taskItems.taskId, assignmentId: taskItems.assignmentId, projectId: taskItems.projectId });
  if (!unit) return;
  await moveTaskCounters(tx, unit.taskId, unit.assignmentId, d);
  await bumpProjectCounters(tx, unit.projectId, { openIssues: d.openIssues });
}
