import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { taskItems } from './task-items.table.ts';
import { moveTaskCounters } from './task-counters.ts';

/**
 * For the review module: moves the open-issue / for-review counts of a QA task's unit, its
 * assignment and its task, in the caller's transaction. Unlike `moveIssueCounters`, the project
 * summary does not move: it counts an issue once, on the annotation's own unit.
 */
export async function moveReviewUnitCounters(tx: Tx, unitId: string, d: { openIssues: number; forReview: number }) {
  if (!d.openIssues && !d.forReview) return;
  const [unit] = await tx
    .update(taskItems)
    .set({ openIssues: sql`${taskItems.openIssues} + ${d.openIssues}`, forReview: sql`${taskItems.forReview} + ${d.forReview}` })
    .where(eq(taskItems.id, unitId))
    .returning({ taskId: taskItems.taskId, assignmentId: taskItems.assignmentId });
  if (unit) await moveTaskCounters(tx, unit.taskId, unit.assignmentId, d);
}
