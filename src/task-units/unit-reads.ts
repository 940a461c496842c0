import { sql, type Placeholder, type SQL } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import { taskItems } from './task-items.table.ts';
import { tasks } from './tasks.table.ts';

/**
 * What other modules may read of task units (one row per item copy in a task), as a subquery
 * they join: which task and item, who works it, whether it is done or gold, its status. Writes
 * go through this module's functions. The planner flattens the subquery, so a join on it costs
 * what a join on `task_items` costs.
 */
export const unitFacts = new QueryBuilder()
  .select({
    id: taskItems.id,
    projectId: taskItems.projectId,
    taskId: taskItems.taskId,
    itemId: taskItems.itemId,
    copy: taskItems.copy,
    isGold: taskItems.isGold,
    assignmentId: taskItems.assignmentId,
    workerId: taskItems.workerId,
    status: taskItems.status,
    done: taskItems.done,
  })
  .from(taskItems)
  .as('unit_facts');

/**
 * What other modules may read of a task's row without loading it whole (`findTask` does that):
 * its project, type, source task, archived and locked flags, workflow state, whether it has
 * analytics history (then it is archived, never deleted), creation time. A subquery to join.
 */
export const taskFacts = new QueryBuilder()
  .select({
    id: tasks.id,
    projectId: tasks.projectId,
    type: tasks.type,
    sourceTaskId: tasks.sourceTaskId,
    archived: tasks.archived,
    locked: tasks.locked,
    workflowState: tasks.workflowState,
    hasHistory: tasks.hasHistory,
    createdAt: tasks.createdAt,
  })
  .from(tasks)
  .as('task_facts');

/**
 * The ids of the units one worker holds of an item in a task, as a subquery for SQL other modules
 * write (`x in ${unitIdsOfWorker(...)}`); the arguments may be columns of the outer query.
 */
export function unitIdsOfWorker(taskId: SQL, itemId: SQL, workerId: SQL): SQL {
  return sql`(select ${taskItems.id} from ${taskItems} where ${taskItems.taskId} = ${taskId} and ${taskItems.itemId} = ${itemId} and ${taskItems.workerId} = ${workerId})`;
}

/** The ids of an item's units in a task, as a subquery for SQL other modules write (`x in ${unitIdsOfItem(...)}`). */
export function unitIdsOfItem(taskId: SQL, itemId: SQL): SQL {
  return sql`(select ${taskItems.id} from ${taskItems} where ${taskItems.taskId} = ${taskId} and ${taskItems.itemId} = ${itemId})`;
}

/** A task's recipe id and project id, as scalar subqueries of `taskId` (SQL of the outer statement). */
export const recipeIdOfTaskSql = (taskId: SQL): SQL => sql`(select ${tasks.recipeId} from ${tasks} where ${tasks.id} = ${taskId})`;
export const projectIdOfTaskSql = (taskId: SQL): SQL => sql`(select ${tasks.projectId} from ${tasks} where ${tasks.id} = ${taskId})`;

/** The project of a task, as a statement for the API's access check (`tasksProjectOf`). */
export const projectOfTaskSql = (id: string | Placeholder): SQL => sql`select ${tasks.projectId} from ${tasks} where ${tasks.id} = ${id}::uuid`;
