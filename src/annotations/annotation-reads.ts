import { eq } from 'drizzle-orm';
import { DomainError } from '../core/errors.ts';
import { refusesEmptyAnswer } from '../core/shared/answers.ts';
import type { Db } from '../db/client.ts';
import { annotations } from './annotations.table.ts';

/** The shapes of one task item's annotation, or null when it has none (read in the caller's transaction). */
export async function annotationShapesOf(db: Db, taskItemId: string) {
  const [annotation] = await db.select({ shapes: annotations.shapes }).from(annotations).where(eq(annotations.taskItemId, taskItemId));
  return annotation?.shapes ?? null;
}

/**
 * Refuses (422 `empty_annotation`) a done status on an item whose answer has no shapes, where
 * the answer is the work and the recipe does not allow empty answers (docs/workflow.md).
 * `shapes` is the unit's annotation (null when it has none).
 */
export function assertAnswered(fact: { taskType: string; allowEmpty: boolean; status: string; countsAsDone: boolean; shapes: readonly unknown[] | null }) {
  if (refusesEmptyAnswer({ ...fact, shapeCount: fact.shapes?.length ?? 0 })) {
    throw new DomainError('empty_annotation', `The item has no answer: add shapes before setting "${fact.status}" (or discard it)`, { status: fact.status });
  }
}
