import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import type { ProjectOf } from '../projects/permissions.ts';
import * as service from './workloads.service.ts';
import * as work from './work.service.ts';
import * as report from './report.service.ts';
import {
  assignmentsOut,
  createWorkloadBody,
  cycleOut,
  listWorkloadsQuery,
  patchWorkloadBody,
  reassignBody,
  replaceOut,
  reportOut,
  scorecardOut,
  skipBody,
  skipOut,
  workloadOut,
} from './workloads.schema.ts';

const tags = ['workloads'];
const projectParams = z.object({ projectId: z.string() });
const workloadParams = z.object({ workloadId: z.string() });
const taskItemParams = z.object({ taskId: z.string(), itemId: z.string() });
const manage = { project: 'workloadId', minRole: 'owner' } as const;

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const workloadsProjectOf: ProjectOf = {
  workloadId: (id) => sql`select project_id from workloads where id = ${id}::uuid`,
};

export async function workloadRoutes(app: App, ctx: Ctx) {
  app.post('/api/v1/projects/:projectId/workloads', {
    config: { access: { project: 'projectId', minRole: 'owner' } },
    schema: { tags, summary: 'Create a workload; its first cycle starts at once', params: projectParams, body: createWorkloadBody, response: { 201: workloadOut } },
  }, async (request, reply) => reply.code(201).send(await service.createWorkload(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/workloads', {
    config: { access: { project: 'projectId', minRole: 'owner' } },
    schema: { tags, summary: 'List workloads (archived ones only with ?status=archived)', params: projectParams, querystring: listWorkloadsQuery, response: { 200: page(workloadOut) } },
  }, async (request) => service.listWorkloads(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/workloads/:workloadId', {
    config: { access: manage },
    schema: { tags, summary: 'Get a workload with its current cycle', params: workloadParams, response: { 200: workloadOut } },
  }, async (request) => service.getWorkload(ctx, callerOf(request), request.params.workloadId));

  app.patch('/api/v1/workloads/:workloadId', {
    config: { access: manage },
    schema: { tags, summary: 'Change a workload; a configuration change cancels the running cycle and starts a new one', params: workloadParams, body: patchWorkloadBody, response: { 200: workloadOut } },
  }, async (request) => service.patchWorkload(ctx, callerOf(request), request.params.workloadId, request.body));

  app.post('/api/v1/workloads/:workloadId/duplicate', {
    config: { access: manage },
    schema: { tags, summary: 'Copy a workload (the copy is inactive)', params: workloadParams, response: { 201: workloadOut } },
  }, async (request, reply) => reply.code(201).send(await service.duplicateWorkload(ctx, callerOf(request), request.params.workloadId)));

  for (const action of ['deactivate', 'activate', 'archive', 'restore'] as const) {
    app.post(`/api/v1/workloads/:workloadId/${action}`, {
      config: { access: manage },
      schema: { tags, summary: `${action[0]!.toUpperCase()}${action.slice(1)} a workload`, params: workloadParams, response: { 200: workloadOut } },
    }, async (request) => service.changeWorkloadStatus(ctx, callerOf(request), request.params.workloadId, action));
  }

  app.delete('/api/v1/workloads/:workloadId', {
    config: { access: manage },
    schema: { tags, summary: 'Delete a workload without evaluations (409 workload_has_evaluations otherwise)', params: workloadParams, response: { 204: z.null() } },
  }, async (request, reply) => {
    await service.deleteWorkload(ctx, callerOf(request), request.params.workloadId);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/workloads/:workloadId/cycles', {
    config: { access: manage },
    schema: { tags, summary: 'A workload’s cycles, newest first', params: workloadParams, querystring: pageQuery, response: { 200: page(cycleOut) } },
  }, async (request) => service.listCycles(ctx, callerOf(request), request.params.workloadId, request.query));

  app.get('/api/v1/workloads/:workloadId/assignments', {
    config: { access: { project: 'workloadId', minRole: 'annotator' } },
    schema: {
      tags,
      summary: 'Per-evaluator progress of a cycle (the running one by default); evaluators see their own',
      params: workloadParams,
      querystring: z.object({ cycleId: z.string().optional() }),
      response: { 200: assignmentsOut },
    },
  }, async (request) => work.cycleAssignments(ctx, callerOf(request), request.params.workloadId, request.query.cycleId));

  app.post('/api/v1/workloads/:workloadId/reassign', {
    config: { access: manage },
    schema: {
      tags,
      summary: 'Move unevaluated items between two evaluators of the workload',
      params: workloadParams,
      body: reassignBody.extend({ cycleId: z.string().optional() }),
      response: { 200: z.object({ moved: z.number(), cycleId: z.string(), taskId: z.string() }) },
    },
  }, async (request) => work.reassignInCycle(ctx, callerOf(request), request.params.workloadId, request.body));

  app.get('/api/v1/workloads/:workloadId/report', {
    config: { access: manage },
    schema: { tags, summary: 'Scores per cycle, reviewee and evaluator; AI–human agreement', params: workloadParams, response: { 200: reportOut } },
  }, async (request) => report.workloadReport(ctx, callerOf(request), request.params.workloadId));

  app.post('/api/v1/tasks/:taskId/items/:itemId/skip', {
    config: { access: { project: 'taskId', minRole: 'annotator' } },
    schema: { tags, summary: 'Skip a conversation of a workload cycle, with a reason', params: taskItemParams, body: skipBody, response: { 200: skipOut } },
  }, async (request) => work.skipItem(ctx, callerOf(request), request.params.taskId, request.params.itemId, request.body.reason));

  app.post('/api/v1/tasks/:taskId/items/:itemId/replace', {
    config: { access: { project: 'taskId', minRole: 'annotator' } },
    schema: { tags, summary: 'Replace a skipped conversation with another matching one', params: taskItemParams, response: { 200: replaceOut } },
  }, async (request) => work.replaceItem(ctx, callerOf(request), request.params.taskId, request.params.itemId));

  app.get('/api/v1/tasks/:taskId/items/:itemId/scorecard', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'The item’s scorecard: weighted mean score (0..1) and categories', params: taskItemParams, response: { 200: scorecardOut } },
  }, async (request) => report.itemScorecard(ctx, callerOf(request), request.params.taskId, request.params.itemId));
}
