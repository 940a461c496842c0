import { z } from 'zod';
import { sql } from 'drizzle-orm';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { statusOf } from '../api/problem.ts';
import { callerOf, preloadOf } from '../api/access.ts';
import { page } from '../core/pagination.ts';
import { compiledSerializer } from '../core/compiled-serializer.ts';
import { itemFilterField } from '../datasets/item-filter.ts';
import type { ProjectOf } from '../projects/permissions.ts';
import { createTask } from './create-task.ts';
import * as service from './tasks.service.ts';
import { listTasks } from './list-tasks.ts';
import { batchTasks } from './task-batch.ts';
import { addTaskItems } from './add-items.ts';
import { listTaskItems, removeItemStatus, setItemStatus } from './task-items.service.ts';
import { batchBody, batchOut, createTaskBody, listTasksQuery, patchTaskBody, taskItemOut, taskOut, transitionBody } from './tasks.schema.ts';
import { projectOfTaskSql } from '../task-units/unit-reads.ts';

const tags = ['tasks'];
const projectParams = z.object({ projectId: z.string() });
const taskParams = z.object({ taskId: z.string() });
const unitParams = taskParams.extend({ itemId: z.string() });
const workerQuery = z.object({ workerId: z.uuid().optional().describe('Whose copy (consensus), for managers') });

/** Moved to `tasks.schema.ts` (other modules' routes use it); re-exported for old imports. */
export { taskItemOut };

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const tasksProjectOf: ProjectOf = {
  taskId: projectOfTaskSql,
};

export async function taskRoutes(app: App, ctx: Ctx) {

  app.post('/api/v1/projects/:projectId/tasks', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Create a task over items of a dataset (or a ticket)', params: projectParams, body: createTaskBody, response: { 201: taskOut } },
  }, async (request, reply) => reply.code(201).send(await createTask(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/tasks', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'List, search and filter tasks', params: projectParams, querystring: listTasksQuery, response: { 200: page(taskOut) } },
    serializerCompiler: compiledSerializer,
  }, async (request) => listTasks(ctx, callerOf(request), request.params.projectId, request.query));

  app.post('/api/v1/projects/:projectId/tasks/batch', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Delete, update or reassign many tasks; one outcome per task', params: projectParams, body: batchBody, response: { 200: batchOut } },
  }, async (request) => {
    const { results } = await batchTasks(ctx, callerOf(request), request.params.projectId, request.body);
    return { results: results.map((r) => (r.code === undefined ? r : { ...r, status: statusOf[r.code] })) };
  });

  app.get('/api/v1/tasks/:taskId', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get a task with status, progress and counts', params: taskParams, response: { 200: taskOut } },
  }, async (request) => service.getTask(ctx, callerOf(request), request.params.taskId));

  app.patch('/api/v1/tasks/:taskId', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: { tags, summary: 'Edit a task', params: taskParams, body: patchTaskBody, response: { 200: taskOut } },
  }, async (request) => service.patchTask(ctx, callerOf(request), request.params.taskId, request.body));

  app.delete('/api/v1/tasks/:taskId', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Delete a task (archived instead when it has history)',
      params: taskParams,
      response: { 200: z.object({ archived: z.literal(true) }), 204: z.null() },
    },
  }, async (request, reply) => {
    const outcome = await service.deleteTask(ctx, callerOf(request), request.params.taskId);
    return 'archived' in outcome ? reply.code(200).send({ archived: true }) : reply.code(204).send(null);
  });

  for (const action of ['lock', 'unlock'] as const) {
    app.post(`/api/v1/tasks/:taskId/${action}`, {
      config: { access: { project: 'taskId', minRole: 'manager' } },
      schema: { tags, summary: action === 'lock' ? 'Lock a task: nothing in it can change' : 'Unlock a task', params: taskParams, response: { 200: taskOut } },
    }, async (request) => service.setLocked(ctx, callerOf(request), request.params.taskId, action === 'lock'));
  }

  app.post('/api/v1/tasks/:taskId/transitions', {
    config: { access: { project: 'taskId', minRole: 'annotator' } },
    schema: { tags, summary: 'Move the task through its workflow', params: taskParams, body: transitionBody, response: { 200: taskOut } },
  }, async (request) => service.transitionTask(ctx, callerOf(request), request.params.taskId, request.body));

  app.post('/api/v1/tasks/:taskId/items', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Add items to a task (ids, filter, or every dataset item not yet in it)',
      params: taskParams,
      body: z.object({ itemIds: z.array(z.uuid()).max(100_000).optional(), filter: itemFilterField.optional(), allRemaining: z.boolean().optional() }).strict(),
      response: { 200: z.object({ added: z.number().int() }) },
    },
  }, async (request) => addTaskItems(ctx, callerOf(request), request.params.taskId, request.body));

  app.get('/api/v1/tasks/:taskId/items', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: {
      tags,
      summary: 'A task’s items with their status in the task',
      params: taskParams,
      querystring: z.object({
        status: z.string().max(100).optional().describe('pending, done, or a status name'),
        assigneeId: z.uuid().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        cursor: z.string().max(2000).optional(),
      }),
      response: { 200: page(taskItemOut) },
    },
  }, async (request) => listTaskItems(ctx, callerOf(request), request.params.taskId, request.query));

  // The authenticating statement also reads the task, the caller's standing and the item's units (`taskItemActor`).
  app.put('/api/v1/tasks/:taskId/items/:itemId/status', {
    config: { access: { project: 'taskId', minRole: 'annotator', preload: 'taskItemActor' } },
    schema: { tags, summary: 'Set an item’s status in the task', params: unitParams, querystring: workerQuery, body: z.object({ status: z.string().min(1).max(100) }).strict(), response: { 200: taskItemOut } },
  }, async (request) => setItemStatus(ctx, callerOf(request), request.params.taskId, request.params.itemId, request.body.status, request.query.workerId, preloadOf(request)));

  app.delete('/api/v1/tasks/:taskId/items/:itemId/status', {
    config: { access: { project: 'taskId', minRole: 'annotator', preload: 'taskItemActor' } },
    schema: { tags, summary: 'Remove an item’s status (back to pending)', params: unitParams, querystring: workerQuery, response: { 200: taskItemOut } },
  }, async (request) => removeItemStatus(ctx, callerOf(request), request.params.taskId, request.params.itemId, request.query.workerId, preloadOf(request)));
}
