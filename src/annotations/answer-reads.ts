import { sql, type SQL } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import { annotations } from './annotations.table.ts';

/**
 * What other modules may read of annotations (the current answer of one task unit), as a
 * subquery they join: its unit, task, item, author, shapes, version, invalid mark. The planner
 * flattens it, so a join costs what a join on `annotations` costs.
 */
export const answerFacts = new QueryBuilder()
  .select({
    id: annotations.id,
    projectId: annotations.projectId,
    taskId: annotations.taskId,
    itemId: annotations.itemId,
    taskItemId: annotations.taskItemId,
    authorId: annotations.authorId,
    shapes: annotations.shapes,
    version: annotations.version,
    updatedAt: annotations.updatedAt,
    invalidAt: annotations.invalidAt,
  })
  .from(annotations)
  .as('answer_facts');

/** A scalar subquery: the author or the shapes of a unit's answer (null without one), for statements built elsewhere. */
export function unitAnswerField(field: 'author_id' | 'shapes', taskItemId: SQL): SQL {
  return sql`(select ${sql.identifier(field)} from ${annotations} where task_item_id = ${taskItemId} limit 1)`;
}

/** A condition: the unit has no answer with at least one shape (no annotation, or an empty one). */
export function unitAnswerIsEmpty(taskItemId: SQL): SQL {
  return sql`not exists (select 1 from ${annotations} where task_item_id = ${taskItemId} and jsonb_array_length(shapes) > 0)`;
}
