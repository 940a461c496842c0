import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page } from '../core/pagination.ts';
import type { ProjectOf } from '../projects/permissions.ts';
import { taskOut } from '../tasks/tasks.schema.ts';
import * as evaluatorsService from './evaluators.service.ts';
import * as tasksService from './eval-tasks.service.ts';
import * as resultsService from './eval-results.service.ts';
import {
  backfillBody,
  createEvalTaskBody,
  createEvaluatorBody,
  decisionOut,
  decisionsQuery,
  evalTaskOut,
  evaluatorOut,
  listQuery,
  logOut,
  patchEvaluatorBody,
  runOut,
  testCaseResultOut,
  successRateOut,
  ticketBody,
} from './evaluators.schema.ts';

const tags = ['evaluators'];
const projectParams = z.object({ projectId: z.string() });
const evaluatorParams = z.object({ evaluatorId: z.string() });
const taskParams = z.object({ evalTaskId: z.string() });
const runParams = z.object({ runId: z.string() });
const resultParams = z.object({ resultId: z.string() });

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const evaluatorsProjectOf: ProjectOf = {
  evaluatorId: (id) => sql`select project_id from evaluators where id = ${id}::uuid`,
  evalTaskId: (id) => sql`select project_id from eval_tasks where id = ${id}::uuid`,
  runId: (id) => sql`select project_id from eval_runs where id = ${id}::uuid`,
  resultId: (id) => sql`select project_id from eval_results where id = ${id}::uuid`,
};

/** Evaluators, evaluation tasks, runs, their logs, decisions and results (docs/evaluators.md). */
export async function evaluatorRoutes(app: App, ctx: Ctx) {

  app.post('/api/v1/projects/:projectId/evaluators', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Create an evaluator: a code check or an LLM judge', params: projectParams, body: createEvaluatorBody, response: { 201: evaluatorOut } },
  }, async (request, reply) => reply.code(201).send(await evaluatorsService.createEvaluator(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/evaluators', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'A project’s evaluators', params: projectParams, querystring: listQuery, response: { 200: page(evaluatorOut) } },
  }, async (request) => evaluatorsService.listEvaluators(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/evaluators/:evaluatorId', {
    config: { access: { project: 'evaluatorId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get an evaluator', params: evaluatorParams, response: { 200: evaluatorOut } },
  }, async (request) => evaluatorsService.getEvaluator(ctx, callerOf(request), request.params.evaluatorId));

  app.patch('/api/v1/evaluators/:evaluatorId', {
    config: { access: { project: 'evaluatorId', minRole: 'manager' } },
    schema: { tags, summary: 'Change an evaluator', params: evaluatorParams, body: patchEvaluatorBody, response: { 200: evaluatorOut } },
  }, async (request) => evaluatorsService.patchEvaluator(ctx, callerOf(request), request.params.evaluatorId, request.body));

  app.delete('/api/v1/evaluators/:evaluatorId', {
    config: { access: { project: 'evaluatorId', minRole: 'manager' } },
    schema: { tags, summary: 'Delete an evaluator no evaluation task uses (409 evaluator_in_use)', params: evaluatorParams, response: { 204: z.null() } },
  }, async (request, reply) => {
    await evaluatorsService.deleteEvaluator(ctx, callerOf(request), request.params.evaluatorId);
    return reply.code(204).send(null);
  });

  app.post('/api/v1/projects/:projectId/eval-tasks', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Create an evaluation task over spans or a dataset', params: projectParams, body: createEvalTaskBody, response: { 201: evalTaskOut } },
  }, async (request, reply) => reply.code(201).send(await tasksService.createEvalTask(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/eval-tasks', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'A project’s evaluation tasks, newest first, with their last five runs', params: projectParams, querystring: listQuery, response: { 200: page(evalTaskOut) } },
  }, async (request) => tasksService.listEvalTasks(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/eval-tasks/:evalTaskId', {
    config: { access: { project: 'evalTaskId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get an evaluation task with its status and last five runs', params: taskParams, response: { 200: evalTaskOut } },
  }, async (request) => tasksService.getEvalTask(ctx, callerOf(request), request.params.evalTaskId));

  app.post('/api/v1/eval-tasks/:evalTaskId/pause', {
    config: { access: { project: 'evalTaskId', minRole: 'manager' } },
    schema: { tags, summary: 'Pause an evaluation task (continuous mode stops; running runs stop at their next batch)', params: taskParams, response: { 200: evalTaskOut } },
  }, async (request) => tasksService.setEvalTaskStatus(ctx, callerOf(request), request.params.evalTaskId, 'paused'));

  app.post('/api/v1/eval-tasks/:evalTaskId/resume', {
    config: { access: { project: 'evalTaskId', minRole: 'manager' } },
    schema: { tags, summary: 'Resume a paused or blocked evaluation task (clears the block and its reason)', params: taskParams, response: { 200: evalTaskOut } },
  }, async (request) => tasksService.setEvalTaskStatus(ctx, callerOf(request), request.params.evalTaskId, 'active'));

  app.post('/api/v1/eval-tasks/:evalTaskId/backfill', {
    config: { access: { project: 'evalTaskId', minRole: 'manager' } },
    schema: { tags, summary: 'Start a one-time run: spans in [from, to) capped at max, or a dataset task’s items', params: taskParams, body: backfillBody, response: { 202: runOut } },
  }, async (request, reply) => reply.code(202).send(await tasksService.startRun(ctx, callerOf(request), request.params.evalTaskId, request.body ?? {})));

  app.get('/api/v1/eval-tasks/:evalTaskId/runs', {
    config: { access: { project: 'evalTaskId', minRole: 'viewer' } },
    schema: { tags, summary: 'An evaluation task’s runs, newest first', params: taskParams, querystring: listQuery, response: { 200: page(runOut) } },
  }, async (request) => tasksService.listRuns(ctx, callerOf(request), request.params.evalTaskId, request.query));

  app.get('/api/v1/eval-runs/:runId', {
    config: { access: { project: 'runId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get an evaluation run with its decision counts', params: runParams, response: { 200: runOut } },
  }, async (request) => tasksService.getRun(ctx, callerOf(request), request.params.runId));

  app.get('/api/v1/eval-runs/:runId/logs', {
    config: { access: { project: 'runId', minRole: 'viewer' } },
    schema: { tags, summary: 'A run’s log, oldest first', params: runParams, querystring: listQuery, response: { 200: page(logOut) } },
  }, async (request) => resultsService.listLogs(ctx, callerOf(request), request.params.runId, request.query));

  app.get('/api/v1/eval-runs/:runId/decisions', {
    config: { access: { project: 'runId', minRole: 'viewer' } },
    schema: { tags, summary: 'Why each span or item was or was not scored', params: runParams, querystring: decisionsQuery, response: { 200: page(decisionOut) } },
  }, async (request) => resultsService.listDecisions(ctx, callerOf(request), request.params.runId, request.query));

  app.get('/api/v1/eval-runs/:runId/results', {
    config: { access: { project: 'runId', minRole: 'viewer' } },
    schema: { tags, summary: 'A dataset run’s results per test case', params: runParams, querystring: listQuery, response: { 200: page(testCaseResultOut) } },
  }, async (request) => resultsService.listTestCaseResults(ctx, callerOf(request), request.params.runId, request.query));

  app.get('/api/v1/eval-runs/:runId/success-rate', {
    config: { access: { project: 'runId', minRole: 'viewer' } },
    schema: { tags, summary: 'A dataset run’s success rate over its test cases, drafted ones excluded', params: runParams, response: { 200: successRateOut } },
  }, async (request) => resultsService.successRate(ctx, callerOf(request), request.params.runId));

  app.post('/api/v1/eval-results/:resultId/ticket', {
    config: { access: { project: 'resultId', minRole: 'manager' } },
    schema: { tags, summary: 'Create a ticket task linked to a failed result, optionally drafting its test case', params: resultParams, body: ticketBody, response: { 201: taskOut } },
  }, async (request, reply) => reply.code(201).send(await resultsService.ticketFromResult(ctx, callerOf(request), request.params.resultId, request.body ?? { draftItem: false })));
}
