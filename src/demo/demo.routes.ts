import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { isFirstStart, seedDemo } from './demo.service.ts';

const tags = ['demo'];

export const demoResultOut = z.object({
  projectId: z.string(),
  users: z.array(z.object({ email: z.string(), password: z.string(), role: z.string() })),
  steps: z.array(z.string()),
  stoppedAt: z.string().nullable(),
});

export async function demoRoutes(app: App, ctx: Ctx) {
  app.get('/api/v1/demo/status', {
    config: { access: 'public' },
    schema: { tags, summary: 'Whether the instance was just created (the sign-in page then explains how to get in)', response: { 200: z.object({ firstStart: z.boolean() }) } },
  }, async () => ({ firstStart: await isFirstStart(ctx) }));

  app.post('/api/v1/demo', {
    config: { access: 'admin' },
    schema: {
      tags,
      summary: 'Seed a demo project (users of each role with known passwords, datasets, recipes, tasks in several states)',
      body: z.object({}).strict().optional(),
      response: { 201: demoResultOut },
    },
  }, async (request, reply) => {
    // The demo goes through the public API as the caller: same validation, audit and counters.
    const forward: Record<string, string> = {};
    if (request.headers.authorization) forward.authorization = request.headers.authorization;
    if (request.headers.cookie) forward.cookie = request.headers.cookie;
    const result = await seedDemo(async (method, url, body, as) => {
      const headers = as ? { authorization: `Bearer ${as}` } : forward;
      const res = await app.inject({ method: method as 'GET', url, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, payload: body === undefined ? undefined : JSON.stringify(body) });
      let parsed: unknown = null;
      try {
        parsed = res.body ? JSON.parse(res.body) : null;
      } catch {
        parsed = { detail: res.body.slice(0, 200) };
      }
      return { status: res.statusCode, body: parsed };
    });
    return reply.code(201).send(result);
  });
}
