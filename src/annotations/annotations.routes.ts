import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf, preloadOf } from '../api/access.ts';
import { listAnnotations, saveAnnotation } from './annotations.service.ts';

const tags = ['annotations'];
const unitParams = z.object({ taskId: z.string(), itemId: z.string() });

const annotationOut = z.object({
  id: z.string(),
  taskId: z.string(),
  itemId: z.string(),
  taskItemId: z.string(),
  authorId: z.string().nullable(),
  shapes: z.array(z.unknown()),
  version: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export async function annotationRoutes(app: App, ctx: Ctx) {
  // The authenticating statement also reads everything the save reads before it writes (`annotationSave`).
  app.put('/api/v1/tasks/:taskId/items/:itemId/annotations', {
    config: { access: { project: 'taskId', minRole: 'annotator', preload: 'annotationSave' } },
    schema: {
      tags,
      summary: 'Save your annotation of an item (a new version; retries with the same id and shapes are no-ops)',
      params: unitParams,
      querystring: z.object({ workerId: z.uuid().optional() }),
      body: z.object({ id: z.uuid().optional(), shapes: z.array(z.unknown()).max(10_000) }).strict(),
      response: { 200: annotationOut },
    },
  }, async (request) => saveAnnotation(ctx, callerOf(request), request.params.taskId, request.params.itemId, request.body, request.query.workerId, preloadOf(request)));

  app.get('/api/v1/tasks/:taskId/items/:itemId/annotations', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: {
      tags,
      summary: 'The item’s current annotation(s) in the task with earlier versions',
      params: unitParams,
      response: {
        200: z.object({
          data: z.array(
            annotationOut.extend({
              workerId: z.string().nullable(),
              versions: z.array(z.object({ version: z.number().int(), authorId: z.string().nullable(), shapes: z.array(z.unknown()), createdAt: z.date() })),
            }),
          ),
        }),
      },
    },
  }, async (request) => listAnnotations(ctx, callerOf(request), request.params.taskId, request.params.itemId));
}
