import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import type { ProjectOf } from '../projects/permissions.ts';
import { EVENT_TYPES } from '../outbox/outbox.service.ts';
import * as service from './webhooks.service.ts';

const tags = ['webhooks'];
const projectParams = z.object({ projectId: z.string() });
const webhookParams = z.object({ webhookId: z.string() });
const eventName = z.union([z.enum(EVENT_TYPES), z.literal('*')]);

const webhookOut = z.object({
  id: z.string(),
  projectId: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  consecutiveFailures: z.number().int(),
  disabledReason: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const createBody = z.object({
  url: z.string().min(1).max(2000),
  events: z.array(eventName).min(1).max(50),
  secret: z.string().min(16).max(200).optional().describe('Signing secret; generated (and shown once) when absent'),
});
const patchBody = z.object({
  url: z.string().min(1).max(2000).optional(),
  events: z.array(eventName).min(1).max(50).optional(),
  secret: z.string().min(16).max(200).optional(),
  enabled: z.boolean().optional().describe('true re-enables a webhook disabled after failures'),
});
const deliveryOut = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  subjectId: z.string(),
  status: z.enum(['pending', 'retrying', 'succeeded', 'failed']),
  attempt: z.number().int(),
  responseCode: z.number().int().nullable(),
  durationMs: z.number().int().nullable(),
  error: z.string().nullable(),
  nextAttemptAt: z.date(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
const deliveriesQuery = pageQuery.extend({ status: z.enum(['pending', 'retrying', 'succeeded', 'failed']).optional() });

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const webhooksProjectOf: ProjectOf = {
  webhookId: (id) => sql`select project_id from webhooks where id = ${id}::uuid`,
};

/** Webhook subscriptions and their delivery log (docs/webhooks.md). Managers and owners only. */
export async function webhookRoutes(app: App, ctx: Ctx) {

  app.post('/api/v1/projects/:projectId/webhooks', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Subscribe a URL to events; the answer carries the signing secret, shown once', params: projectParams, body: createBody, response: { 201: webhookOut.extend({ secret: z.string() }) } },
  }, async (request, reply) => reply.code(201).send(await service.createWebhook(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/webhooks', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'The project’s webhooks', params: projectParams, querystring: pageQuery, response: { 200: page(webhookOut) } },
  }, async (request) => service.listWebhooks(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/webhooks/:webhookId', {
    config: { access: { project: 'webhookId', minRole: 'manager' } },
    schema: { tags, summary: 'Get a webhook (never its secret)', params: webhookParams, response: { 200: webhookOut } },
  }, async (request) => service.getWebhook(ctx, callerOf(request), request.params.webhookId));

  app.patch('/api/v1/webhooks/:webhookId', {
    config: { access: { project: 'webhookId', minRole: 'manager' } },
    schema: { tags, summary: 'Change the URL, events or secret; enable or disable', params: webhookParams, body: patchBody, response: { 200: webhookOut } },
  }, async (request) => service.patchWebhook(ctx, callerOf(request), request.params.webhookId, request.body));

  app.delete('/api/v1/webhooks/:webhookId', {
    config: { access: { project: 'webhookId', minRole: 'manager' } },
    schema: { tags, summary: 'Delete a webhook and its delivery log', params: webhookParams, response: { 204: z.null() } },
  }, async (request, reply) => {
    await service.deleteWebhook(ctx, callerOf(request), request.params.webhookId);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/webhooks/:webhookId/deliveries', {
    config: { access: { project: 'webhookId', minRole: 'manager' } },
    schema: { tags, summary: 'The delivery log, newest first: status, response code, duration, attempt, error', params: webhookParams, querystring: deliveriesQuery, response: { 200: page(deliveryOut) } },
  }, async (request) => service.listDeliveries(ctx, callerOf(request), request.params.webhookId, request.query));

  app.post('/api/v1/webhooks/:webhookId/test', {
    config: { access: { project: 'webhookId', minRole: 'manager' } },
    schema: { tags, summary: 'Queue a signed `webhook.test` event for this webhook (sent within seconds)', params: webhookParams, response: { 202: deliveryOut } },
  }, async (request, reply) => reply.code(202).send(await service.sendTestEvent(ctx, callerOf(request), request.params.webhookId)));
}
