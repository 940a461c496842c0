import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf, preloadOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import { progressOut, countsOut, taskItemOut } from '../tasks/tasks.schema.ts';
import { heartbeat, pullItems } from './pull.service.ts';
import { listTaskAssignments, myAssignments } from './assignments.service.ts';
import { rebalanceTask, reassignItems } from '../task-units/reassign.service.ts';

const tags = ['assignments'];
const taskParams = z.object({ taskId: z.string() });

const assignmentOut = z.object({
  id: z.string(),
  taskId: z.string(),
  role: z.enum(['annotator', 'reviewer']),
  assigneeKind: z.enum(['user', 'group']),
  assigneeId: z.string(),
  workload: z.number().nullable(),
  status: z.enum(['open', 'in_progress', 'completed', 'completed_with_issues']),
  progress: progressOut,
  counts: countsOut,
  createdAt: z.date(),
});

/** A pulled unit with what the workspace shows (docs/hardening.md); never the gold answer. */
const pulledItemOut = taskItemOut.extend({
  externalId: z.string().nullable(),
  kind: z.string().nullable(),
  payload: z.unknown(),
});

export async function assignmentRoutes(app: App, ctx: Ctx) {
  app.get('/api/v1/tasks/:taskId/assignments', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'Assignments with per-assignee status, progress and ETA', params: taskParams, response: { 200: z.object({ data: z.array(assignmentOut) }) } },
  }, async (request) => listTaskAssignments(ctx, callerOf(request), request.params.taskId));

  app.get('/api/v1/me/assignments', {
    config: { access: 'user' },
    schema: {
      tags,
      summary: 'Your assignments (and your groups’) on tasks that are not archived',
      querystring: pageQuery,
      response: { 200: page(assignmentOut.extend({ projectId: z.string(), taskName: z.string(), taskType: z.string(), workflowState: z.string() })) },
    },
  }, async (request) => myAssignments(ctx, callerOf(request), request.query));

  app.post('/api/v1/tasks/:taskId/pull', {
    config: { access: { project: 'taskId', minRole: 'annotator', preload: 'taskActor' } },
    schema: {
      tags,
      summary: 'Claim your next items of a pulling task (leased)',
      params: taskParams,
      body: z.object({ count: z.number().int().min(1).max(100).optional() }).strict().default({}),
      response: { 200: z.object({ items: z.array(pulledItemOut) }) },
    },
  }, async (request) => pullItems(ctx, callerOf(request), request.params.taskId, request.body ?? {}, preloadOf(request)));

  app.post('/api/v1/tasks/:taskId/items/:itemId/heartbeat', {
    config: { access: { project: 'taskId', minRole: 'annotator' } },
    schema: {
      tags,
      summary: 'Renew your lease on an item you are working on',
      params: taskParams.extend({ itemId: z.string() }),
      response: { 200: z.object({ itemId: z.string(), leaseExpiresAt: z.date().nullable() }) },
    },
  }, async (request) => heartbeat(ctx, callerOf(request), request.params.taskId, request.params.itemId));

  app.post('/api/v1/tasks/:taskId/reassign', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Move items (default: all unfinished) from one assignee to another',
      description: 'Items with a status never move, nor do honeypot gold units (gold stays with the person it was mixed in for). A consensus item the target already has is skipped. `moved` counts what moved.',
      params: taskParams,
      body: z.object({ fromId: z.string().min(1).max(320), toId: z.string().min(1).max(320), itemIds: z.array(z.uuid()).max(100_000).optional() }).strict(),
      response: { 200: z.object({ moved: z.number().int() }) },
    },
  }, async (request) => reassignItems(ctx, callerOf(request), request.params.taskId, request.body));

  app.post('/api/v1/tasks/:taskId/rebalance', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: { tags, summary: 'Redistribute items with no status among the annotators', params: taskParams, response: { 200: z.object({ moved: z.number().int() }) } },
  }, async (request) => rebalanceTask(ctx, callerOf(request), request.params.taskId));
}
