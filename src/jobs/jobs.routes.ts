import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { page, pageQuery } from '../core/pagination.ts';
import { cleanFinished, clearQueued, getJob, jobStates, jobStats, listJobs, retryFailed, setPaused } from './jobs-admin.service.ts';

const queueCounts = z.object({ name: z.string(), waiting: z.number(), delayed: z.number(), active: z.number(), completed: z.number(), failed: z.number() });
const jobSummary = z.object({
  id: z.string(),
  queue: z.string(),
  state: z.string(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  completedAt: z.date().nullable(),
  retryCount: z.number(),
});
const jobLog = z.object({ level: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()).nullable(), createdAt: z.date() });
const queueBody = z.object({ queue: z.string().max(200).optional() }).strict().optional();

/** The job queue admin API (administrators only): docs/jobs.md. */
export async function jobRoutes(app: App, ctx: Ctx) {
  const tags = ['jobs'];
  app.get('/api/v1/jobs/stats', {
    config: { access: 'admin' },
    schema: { tags, summary: 'Live job counts per queue and state, and whether the queue is paused', response: { 200: z.object({ paused: z.boolean(), queues: z.array(queueCounts) }) } },
  }, async () => jobStats(ctx));

  app.post('/api/v1/jobs/pause', {
    config: { access: 'admin' },
    schema: { tags, summary: 'Pause every worker: running jobs finish, none start', response: { 200: z.object({ paused: z.boolean() }) } },
  }, async () => setPaused(ctx, true));

  app.post('/api/v1/jobs/resume', {
    config: { access: 'admin' },
    schema: { tags, summary: 'Resume the workers', response: { 200: z.object({ paused: z.boolean() }) } },
  }, async () => setPaused(ctx, false));

  app.post('/api/v1/jobs/clear', {
    config: { access: 'admin' },
    schema: { tags, summary: 'Delete waiting and delayed jobs (active and finished ones are untouched)', body: queueBody, response: { 200: z.object({ deleted: z.number() }) } },
  }, async (request) => clearQueued(ctx, request.body?.queue));

  app.post('/api/v1/jobs/clean', {
    config: { access: 'admin' },
    schema: { tags, summary: 'Delete completed and failed jobs older than 24 hours', response: { 200: z.object({ deleted: z.number() }) } },
  }, async () => cleanFinished(ctx));

  app.post('/api/v1/jobs/retry-failed', {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: 'Send failed jobs back to the queue, at most 1000 per call',
      body: z.object({ limit: z.number().int().min(1).max(1000).default(1000), queue: z.string().max(200).optional() }).strict().optional(),
      response: { 200: z.object({ retried: z.number() }) },
    },
  }, async (request) => retryFailed(ctx, request.body?.limit ?? 1000, request.body?.queue));

  app.get('/api/v1/jobs', {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: 'Jobs, newest first',
      querystring: pageQuery.extend({ state: z.enum(jobStates).optional(), queue: z.string().max(200).optional() }),
      response: { 200: page(jobSummary) },
    },
  }, async (request) => {
    const { state, queue, ...pageParams } = request.query;
    return listJobs(ctx, { state, queue }, pageParams);
  });

  app.get('/api/v1/jobs/:jobId', {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: "A job's data, output, error and log lines",
      params: z.object({ jobId: z.string() }),
      response: { 200: jobSummary.extend({ data: z.unknown(), output: z.unknown(), error: z.string().nullable(), logs: z.array(jobLog) }) },
    },
  }, async (request) => getJob(ctx, request.params.jobId));
}
