import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { bumpProjectCounters } from '../projects/projects.service.ts';
import { taskAssignees } from '../assignments/assignments.table.ts';
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
export async function moveTaskCounters(tx: Db, taskId: string, assignmentId: string | null, delta: UnitDelta) {
  if (isZero(delta)) return;
  await tx.update(tasks).set(setDelta(tasks, delta)).where(eq(tasks.id, taskId));
  if (assignmentId) await moveAssignmentCounters(tx, assignmentId, delta);
}

export async function moveAssignmentCounters(tx: Db, assignmentId: string, delta: UnitDelta) {
  if (isZero(delta)) return;
  await tx.update(taskAssignees).set(setDelta(taskAssignees, delta)).where(eq(taskAssignees.id, assignmentId));
}

/** Records net finished items in the task's (and assignment's) hourly bucket: the ETA's rate. */
export async function recordDone(tx: Db, task: { id: string; projectId: string }, assignmentId: string | null, at: Date, done: number) {
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
