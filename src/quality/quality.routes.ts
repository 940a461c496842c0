import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page } from '../core/pagination.ts';
import { itemScores, taskScores } from './agreement.service.ts';
import { taskAnalytics } from './analytics.service.ts';
import { getQualitySettings, listPauses, putQualitySettings, unpause } from './quality-settings.service.ts';
import { analyticsOut, analyticsQuery, itemScoreOut, pausesOut, putQualityBody, qualitySettingsOut, scoresOut, scoresQuery } from './quality.schema.ts';

const tags = ['quality'];
const taskParams = z.object({ taskId: z.string() });

export async function qualityRoutes(app: App, ctx: Ctx) {
  app.get('/api/v1/tasks/:taskId/scores', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'Scores per annotator; agreement, contributors and confusion matrices (consensus); confusion against gold', params: taskParams, querystring: scoresQuery, response: { 200: scoresOut } },
  }, async (request) => taskScores(ctx, callerOf(request), request.params.taskId, request.query));

  app.get('/api/v1/tasks/:taskId/scores/items', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'Agreement per item: annotators scored and mean score', params: taskParams, querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50), cursor: z.string().max(2000).optional() }), response: { 200: page(itemScoreOut) } },
  }, async (request) => itemScores(ctx, callerOf(request), request.params.taskId, request.query));

  app.get('/api/v1/tasks/:taskId/analytics', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'Metrics per task, annotator and label: throughput, time per item, review pass rate, accuracy, agreement, completeness, histograms, progress', params: taskParams, querystring: analyticsQuery, response: { 200: analyticsOut } },
  }, async (request) => taskAnalytics(ctx, callerOf(request), request.params.taskId, request.query));

  app.get('/api/v1/tasks/:taskId/quality', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'The task’s score functions per tool and honeypot policy', params: taskParams, response: { 200: qualitySettingsOut } },
  }, async (request) => getQualitySettings(ctx, callerOf(request), request.params.taskId));

  app.put('/api/v1/tasks/:taskId/quality', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: { tags, summary: 'Replace score functions per tool (with parameters) and the honeypot policy', params: taskParams, body: putQualityBody, response: { 200: qualitySettingsOut } },
  }, async (request) => putQualitySettings(ctx, callerOf(request), request.params.taskId, request.body));

  app.get('/api/v1/tasks/:taskId/pauses', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'Annotators paused from pulling by the honeypot policy', params: taskParams, response: { 200: pausesOut } },
  }, async (request) => listPauses(ctx, callerOf(request), request.params.taskId));

  app.delete('/api/v1/tasks/:taskId/pauses/:userId', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: { tags, summary: 'Let a paused annotator pull again', params: taskParams.extend({ userId: z.string() }) },
  }, async (request, reply) => {
    await unpause(ctx, callerOf(request), request.params.taskId, request.params.userId);
    return reply.code(204).send();
  });
}
