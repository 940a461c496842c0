import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { tasks } from './tasks.table.ts';

/** The named tasks that belong to `projectId` (others are simply absent from the answer). */
export async function tasksForExport(db: Db, projectId: string, taskIds: string[]) {
  if (!taskIds.length) return [];
  return db
    .select({ id: tasks.id, name: tasks.name, recipeId: tasks.recipeId })
    .from(tasks)
    .where(and(eq(tasks.projectId, projectId), inArray(tasks.id, taskIds)));
}
