import { QueryBuilder } from 'drizzle-orm/pg-core';
import { taskAssignees } from './assignments.table.ts';

/**
 * What other modules may read of a task's assignees, as a subquery they join: the task, the
 * role (annotator, reviewer) and the person or group. Writes go through this module's functions.
 */
export const assigneeFacts = new QueryBuilder()
  .select({ id: taskAssignees.id, projectId: taskAssignees.projectId, taskId: taskAssignees.taskId, role: taskAssignees.role, assigneeKind: taskAssignees.assigneeKind, assigneeId: taskAssignees.assigneeId })
  .from(taskAssignees)
  .as('assignee_facts');
