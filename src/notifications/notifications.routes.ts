import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import * as service from './notifications.service.ts';

const tags = ['notifications'];
const notificationOut = z.object({
  id: z.string(),
  type: z.string(),
  projectId: z.string().nullable(),
  subjectKind: z.string(),
  subjectId: z.string(),
  actorId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  read: z.boolean(),
  readAt: z.date().nullable(),
  createdAt: z.date(),
});
const listQuery = pageQuery.extend({ unread: z.enum(['true', 'false']).optional() });
const readBody = z.object({ ids: z.array(z.string()).max(500).optional(), all: z.boolean().optional() }).refine((b) => b.all === true || (b.ids?.length ?? 0) > 0, { message: 'Send ids or all: true' });

/** The caller's in-app notifications (docs/webhooks.md#notifications). */
export async function notificationRoutes(app: App, ctx: Ctx) {
  app.get('/api/v1/me/notifications', {
    config: { access: 'user' },
    schema: { tags, summary: 'Your notifications, newest first (`unread=true` for unread only)', querystring: listQuery, response: { 200: page(notificationOut) } },
  }, async (request) => service.listNotifications(ctx, callerOf(request), { ...request.query, unread: request.query.unread === 'true' }));

  app.get('/api/v1/me/notifications/count', {
    config: { access: 'user' },
    schema: { tags, summary: 'How many unread notifications you have', response: { 200: z.object({ unread: z.number().int() }) } },
  }, async (request) => service.countUnread(ctx, callerOf(request)));

  app.post('/api/v1/me/notifications/read', {
    config: { access: 'user' },
    schema: { tags, summary: 'Mark notifications read: the given ids, or all', body: readBody, response: { 200: z.object({ updated: z.number().int() }) } },
  }, async (request) => service.markRead(ctx, callerOf(request), request.body));
}
