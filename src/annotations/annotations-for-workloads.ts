import { and, eq, inArray } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { taskItems } from '../task-units/task-items.table.ts';
import { markHistory } from '../task-units/task-units.ts';
import { annotations, annotationVersions } from './annotations.table.ts';

/**
 * The current annotations of the given tasks (item, author, shapes, version), for reports that
 * aggregate answers (workload scorecards). Reads the shapes column: callers ask for the tasks of
 * one report, not for a list page.
 */
export async function currentAnnotationsOfTasks(db: Db, taskIds: string[]) {
  if (!taskIds.length) return [];
  return db
    .select({ taskId: annotations.taskId, itemId: annotations.itemId, authorId: annotations.authorId, shapes: annotations.shapes, version: annotations.version })
    .from(annotations)
    .where(inArray(annotations.taskId, taskIds));
}

/**
 * Writes an answer by a machine (AutoQA) on an item of a task, authored by nobody (`authorId`
 * null marks it as the AI's), unless the item already has an answer: a person's answer is never
 * overwritten, and a retried job writes nothing. Locks the unit row. Returns whether it wrote.
 */
export async function prefillAnnotation(tx: Tx, input: { projectId: string; taskId: string; itemId: string; shapes: unknown[]; at: Date }): Promise<boolean> {
  const [unit] = await tx
    .select({ id: taskItems.id })
    .from(taskItems)
    .where(and(eq(taskItems.taskId, input.taskId), eq(taskItems.itemId, input.itemId)))
    .orderBy(taskItems.copy)
    .limit(1)
    .for('update');
  if (!unit) return false;
  const id = newId();
  const inserted = await tx
    .insert(annotations)
    .values({ id, projectId: input.projectId, taskId: input.taskId, itemId: input.itemId, taskItemId: unit.id, authorId: null, shapes: input.shapes, version: 1, createdAt: input.at, updatedAt: input.at })
    .onConflictDoNothing()
    .returning({ id: annotations.id });
  if (!inserted.length) return false;
  await tx.insert(annotationVersions).values({ annotationId: id, version: 1, projectId: input.projectId, authorId: null, shapes: input.shapes, createdAt: input.at });
  await markHistory(tx, input.taskId);
  await recordAudit(tx, { projectId: input.projectId, actorId: null, action: 'annotation.create', subjectKind: 'annotation', subjectId: id, after: { version: 1, taskId: input.taskId, itemId: input.itemId, source: 'auto_qa' } }, input.at);
  return true;
}

/** Whether any of the tasks has an annotation (one index probe per task). */
export async function tasksHaveAnnotations(db: Db, taskIds: string[]): Promise<boolean> {
  if (!taskIds.length) return false;
  const [row] = await db.select({ id: annotations.id }).from(annotations).where(inArray(annotations.taskId, taskIds)).limit(1);
  return Boolean(row);
}
