import { eq, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { annotations } from './annotations.table.ts';

/** The shapes of one task item's annotation, or null when it has none (read in the caller's transaction). */
export async function annotationShapesOf(tx: Tx, taskItemId: string) {
  const [annotation] = await tx.select({ shapes: annotations.shapes }).from(annotations).where(eq(annotations.taskItemId, taskItemId));
  return annotation?.shapes ?? null;
}

/** The project of an annotation, as a statement for the API's access check (`reviewsProjectOf`). */
export const projectOfAnnotationSql = (id: string | Placeholder): SQL => sql`select ${annotations.projectId} from ${annotations} where ${annotations.id} = ${id}::uuid`;
