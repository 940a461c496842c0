import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import { requireRole } from '../projects/permissions.ts';
import { isId } from '../core/ids.ts';
import { notFound } from '../core/errors.ts';
import { listAudit } from './audit.service.ts';

const auditEventOut = z.object({
  id: z.string(),
  projectId: z.string().nullable(),
  actorId: z.string().nullable(),
  action: z.string(),
  subjectKind: z.string(),
  subjectId: z.string(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.date(),
});

export async function auditRoutes(app: App, ctx: Ctx) {
  app.get('/api/v1/audit', {
    config: { access: 'user' },
    schema: {
      tags: ['audit'],
      summary: 'Audit events of a project (owners and managers), newest first',
      querystring: pageQuery.extend({ projectId: z.string(), subjectId: z.string().optional() }),
      response: { 200: page(auditEventOut) },
    },
  }, async (request) => {
    const { projectId, subjectId, ...pageParams } = request.query;
    if (!isId(projectId)) throw notFound('Project');
    await requireRole(ctx.db, callerOf(request), projectId, 'manager', 'Project');
    if (subjectId !== undefined && !isId(subjectId)) return { data: [], nextCursor: null };
    return listAudit(ctx.db, { projectId, subjectId }, pageParams);
  });
}
