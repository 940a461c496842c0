import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob } from '../../src/jobs/jobs.ts';
import { deliverWebhook, relayOutbox } from '../../src/webhooks/delivery.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * `job.failed` reaches a project's webhook: a job that fails its last attempt records the event
 * (src/jobs), and the outbox relay delivers it like any other. The job is one of this test's own,
 * worked by this file's app only (its own queue name).
 */
const attempts: string[] = [];
const doomed = defineJob({
  name: 'test-webhook-doomed',
  schema: z.object({ projectId: z.string(), note: z.string() }),
  retryLimit: 0,
  async handler(_ctx, data) {
    attempts.push(data.note);
    throw new Error(`cannot do ${data.note}`);
  },
});

let t: TestApp;
let server: Server;
const received: Array<Record<string, any>> = [];
beforeAll(async () => {
  process.env.LOUPE_WEBHOOK_ALLOW_HOSTS = '127.0.0.1'; // read when a webhook is made (docs/webhooks.md)
  t = await createTestApp({ work: true, jobs: [doomed] });
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}, 180_000);
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await t?.close();
  delete process.env.LOUPE_WEBHOOK_ALLOW_HOSTS;
});

describe('job.failed', () => {
  it('is delivered to the webhook of the job’s project after the job’s last attempt fails', async () => {
    const project = await t.project();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const hook = await t.post(`/api/v1/projects/${project.id}/webhooks`, { url, events: ['job.failed'] }, { token: project.owner.token });
    expect(hook.status).toBe(201);
    await t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(tx, doomed, { projectId: project.id, note: 'the impossible' }));
    const settings = { allowHosts: new Set(['127.0.0.1']), timeoutMs: 5000, maxAttempts: 2, retryBaseMs: 50, maxRetryDelayMs: 1000, disableAfter: 5 };
    const until = Date.now() + 60_000;
    while (!received.length && Date.now() < until) {
      // Relay, then send this webhook's deliveries only: other files' webhooks on a shared database are left alone.
      await relayOutbox(t.ctx);
      await deliverWebhook(t.ctx, hook.body.id, settings);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(attempts).toEqual(['the impossible']);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ type: 'job.failed', projectId: project.id, data: { queue: 'test-webhook-doomed', attempts: 1, error: 'cannot do the impossible' } });
  }, 90_000);
});
