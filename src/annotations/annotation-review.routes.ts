import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import { BULK_ANNOTATE_MAX, bulkAnnotate } from './bulk-annotate.ts';
import { invalidateAnnotation, listInvalidAnnotations, revalidateAnnotation } from './invalidate.ts';

const tags = ['annotations'];
const taskParams = z.object({ taskId: z.string() });
const annotationParams = z.object({ annotationId: z.string() });

const invalidOut = z.object({
  id: z.string(),
  taskId: z.string(),
  itemId: z.string(),
  version: z.number().int(),
  invalid: z.boolean(),
  reason: z.string().nullable(),
  invalidatedBy: z.string().nullable(),
  invalidatedAt: z.date().nullable(),
});

const invalidListOut = z.object({
  id: z.string(),
  taskId: z.string(),
  itemId: z.string(),
  externalId: z.string().nullable(),
  authorId: z.string().nullable(),
  workerId: z.string().nullable(),
  version: z.number().int(),
  reason: z.string().nullable(),
  invalidatedBy: z.string().nullable(),
  invalidatedAt: z.date(),
  status: z.string().nullable(),
});

/** Quick batch annotation and invalid annotations (docs/robotics.md). */
export async function annotationReviewRoutes(app: App, ctx: Ctx) {
  app.post('/api/v1/tasks/:taskId/annotations/bulk', {
    config: { access: { project: 'taskId', minRole: 'annotator' } },
    schema: {
      tags,
      summary: `Apply the same shapes to up to ${BULK_ANNOTATE_MAX} items; one outcome per item (each item is saved on its own)`,
      params: taskParams,
      body: z.object({ itemIds: z.array(z.string().max(100)).min(1).max(BULK_ANNOTATE_MAX), shapes: z.array(z.unknown()).max(1000) }).strict(),
      response: {
        200: z.object({
          results: z.array(z.object({ itemId: z.string(), ok: z.boolean(), code: z.string().optional(), detail: z.string().optional(), annotationId: z.string().optional(), version: z.number().int().optional() })),
        }),
      },
    },
  }, async (request) => bulkAnnotate(ctx, callerOf(request), request.params.taskId, request.body));

  app.post('/api/v1/annotations/:annotationId/invalidate', {
    config: { access: { project: 'annotationId', minRole: 'reviewer' } },
    schema: {
      tags,
      summary: 'Mark an annotation invalid with a reason: left out of quality metrics and exports until re-annotated',
      params: annotationParams,
      body: z.object({ reason: z.string().trim().min(1).max(2000) }).strict(),
      response: { 200: invalidOut },
    },
  }, async (request) => invalidateAnnotation(ctx, callerOf(request), request.params.annotationId, request.body.reason));

  app.delete('/api/v1/annotations/:annotationId/invalidate', {
    config: { access: { project: 'annotationId', minRole: 'reviewer' } },
    schema: { tags, summary: 'Withdraw an invalid mark', params: annotationParams, response: { 200: invalidOut } },
  }, async (request) => revalidateAnnotation(ctx, callerOf(request), request.params.annotationId));

  app.get('/api/v1/tasks/:taskId/invalid-annotations', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'The task’s invalid annotations with reasons, most recent first', params: taskParams, querystring: pageQuery, response: { 200: page(invalidListOut) } },
  }, async (request) => listInvalidAnnotations(ctx, callerOf(request), request.params.taskId, request.query));
}
