import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { newId } from '../core/ids.ts';
import { bumpProjectCounters } from '../projects/projects.service.ts';
import { taskAssignees, type AssignmentRole } from './assignments.table.ts';
import { tasks } from './tasks.table.ts';
import type { Assignee } from './resolve-assignees.ts';
import type { Share } from './distribute.ts';

/**
 * Inserts assignments (skipping ones that exist) and counts them in the project summary, in the
 * caller's transaction. Returns every assignment of that role on the task, in creation order.
 */
export async function ensureAssignments(
  tx: Tx,
  task: { id: string; projectId: string },
  role: AssignmentRole,
  assignees: Assignee[],
  workload: Record<string, number> | undefined,
  now: Date,
) {
  if (assignees.length) {
    const inserted = await tx
      .insert(taskAssignees)
      .values(
        assignees.map((a) => ({
          id: newId(),
          projectId: task.projectId,
          taskId: task.id,
          role,
          assigneeKind: a.kind,
          assigneeId: a.id,
          workload: workload ? Math.round(workload[a.ref] ?? workload[a.id] ?? 0) : null,
          createdAt: now,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: taskAssignees.id });
    await bumpProjectCounters(tx, task.projectId, { assignments: inserted.length });
  }
  return assignmentsOf(tx, task.id, role);
}

export async function assignmentsOf(db: Db, taskId: string, role: AssignmentRole) {
  return db
    .select()
    .from(taskAssignees)
    .where(and(eq(taskAssignees.taskId, taskId), eq(taskAssignees.role, role)))
    .orderBy(asc(taskAssignees.createdAt), asc(taskAssignees.id));
}

export const sharesOf = (rows: Array<{ id: string; workload: number | null }>): Share[] =>
  rows.map((r) => ({ assignmentId: r.id, weight: r.workload }));

/** The people (not groups) assigned to a task in a role. */
export async function userAssigneeIds(db: Db, taskId: string, role: AssignmentRole): Promise<string[]> {
  const rows = await db
    .select({ id: taskAssignees.assigneeId })
    .from(taskAssignees)
    .where(and(eq(taskAssignees.taskId, taskId), eq(taskAssignees.role, role), eq(taskAssignees.assigneeKind, 'user')));
  return rows.map((r) => r.id);
}

/** How many assignments (annotator and reviewer) a task has. */
export async function assigneeCount(db: Db, taskId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(taskAssignees).where(eq(taskAssignees.taskId, taskId));
  return Number(row?.n ?? 0);
}

/** A task's assignments (both roles) with their counters, oldest first. */
export async function taskAssignments(db: Db, taskId: string) {
  return db.select().from(taskAssignees).where(eq(taskAssignees.taskId, taskId)).orderBy(asc(taskAssignees.createdAt), asc(taskAssignees.id));
}

/**
 * Assignments of any of `assigneeIds` (a person and their groups) on tasks that are not
 * archived, with their task's name, project, workflow state and type: in assignment id order
 * after `afterId`, at most `limit`. One statement (assignments joined to their task).
 */
export async function assignmentsOfAssignees(db: Db, assigneeIds: string[], afterId: string | undefined, limit: number) {
  const conditions = [inArray(taskAssignees.assigneeId, assigneeIds), eq(tasks.archived, false)];
  if (afterId !== undefined) conditions.push(gt(taskAssignees.id, afterId));
  return db
    .select({ a: taskAssignees, taskName: tasks.name, projectId: tasks.projectId, workflowState: tasks.workflowState, taskType: tasks.type })
    .from(taskAssignees)
    .innerJoin(tasks, eq(tasks.id, taskAssignees.taskId))
    .where(and(...conditions))
    .orderBy(asc(taskAssignees.id))
    .limit(limit);
}
