import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { progressReport } from './progress-reports.service.ts';

const ratio = z.number().nullable();
const personalStats = {
  units: z.number().int(),
  done: z.number().int(),
  completion: ratio.describe('done / units'),
  doneInWindow: z.number().int(),
  itemsPerHour: z.number(),
  medianSecondsPerItem: z.number().nullable(),
  passRate: ratio,
};

export const progressReportOut = z.object({
  level: z.enum(['personal', 'team', 'project']),
  projectId: z.string(),
  windowDays: z.number(),
  generatedAt: z.date(),
  personal: z
    .object({
      userId: z.string(),
      ...personalStats,
      tasks: z.array(z.object({ taskId: z.string(), name: z.string(), ...personalStats })),
      perDay: z.array(z.object({ day: z.date(), done: z.number().int() })),
    })
    .optional(),
  team: z
    .object({
      perDay: z.array(z.object({ day: z.date(), userId: z.string(), done: z.number().int() })).describe('Items done per person per day over the window'),
      members: z.array(
        z.object({
          userId: z.string(),
          name: z.string().nullable(),
          email: z.string(),
          role: z.string(),
          units: z.number().int(),
          done: z.number().int(),
          doneInWindow: z.number().int(),
          pacePerDay: z.number(),
          medianSecondsPerItem: z.number().nullable(),
          reviewed: z.number().int(),
          passed: z.number().int(),
          passRate: ratio,
        }),
      ),
    })
    .optional(),
  project: z
    .object({
      totals: z.object({
        tasks: z.number().int(),
        items: z.number().int(),
        done: z.number().int(),
        percent: z.number(),
        etaSeconds: z.number().nullable(),
        passRate: ratio,
        accuracy: ratio,
        consistency: ratio,
        completeness: ratio,
      }),
      tasks: z.array(
        z.object({
          taskId: z.string(),
          name: z.string(),
          type: z.string(),
          items: z.number().int(),
          done: z.number().int(),
          percent: z.number(),
          etaSeconds: z.number().nullable(),
          passRate: ratio,
          accuracy: ratio,
          consistency: ratio,
          completeness: ratio,
        }),
      ),
      perDay: z
        .array(z.object({ day: z.date(), done: z.number().int(), accuracy: ratio, consistency: ratio }))
        .describe('Per day over the window: items done, and the mean accuracy and consistency of the scores stored that day'),
    })
    .optional(),
});

export async function progressReportRoutes(app: App, ctx: Ctx) {
  app.get('/api/v1/projects/:projectId/reports/progress', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: {
      tags: ['quality'],
      summary: 'Progress reports: personal (my completion and speed), team (per person: done, pace, pass rate; reviewer and up), project (per task: completion, ETA, quality)',
      params: z.object({ projectId: z.string() }),
      querystring: z.object({ level: z.enum(['personal', 'team', 'project']).default('personal'), windowDays: z.coerce.number().int().min(1).max(90).default(7) }),
      response: { 200: progressReportOut },
    },
  }, async (request) => progressReport(ctx, callerOf(request), request.params.projectId, request.query));
}
