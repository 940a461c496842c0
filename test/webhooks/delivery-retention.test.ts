import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { deliverDue, pruneFinishedDeliveries, type WebhookSettings } from '../../src/webhooks/delivery.ts';
import { applyDeliveryRetention } from '../../src/webhooks/outbox.job.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const DAY = 86_400_000;

/** A local receiver answering each request with the next scripted status (200 once the script is empty). */
function receiver(script: number[]) {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = script.shift() ?? 200;
      res.end('ok');
    });
  });
  return new Promise<{ url: string; server: Server }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server })),
  );
}

const settings = (over: Partial<WebhookSettings> = {}): WebhookSettings => ({
  allowHosts: new Set(['127.0.0.1']),
  timeoutMs: 5000,
  maxAttempts: 1,
  retryBaseMs: 100 * DAY,
  maxRetryDelayMs: 100 * DAY,
  disableAfter: 100,
  ...over,
});

// Its own database: the retention deletes finished deliveries of every project.
let t: TestApp;
const clock = new ManualClock(new Date('2030-01-01T00:00:00Z'));
const servers: Server[] = [];
beforeAll(async () => {
  process.env.LOUPE_WEBHOOK_ALLOW_HOSTS = '127.0.0.1';
  t = await createTestApp({ ownDatabase: true, clock });
});
afterAll(async () => {
  for (const s of servers) s.close();
  await t?.close();
  delete process.env.LOUPE_WEBHOOK_ALLOW_HOSTS;
});

/** docs/webhooks.md#retention. */
describe('webhook delivery retention', () => {
  it('deletes deliveries that finished before the retention, keeps recent and unfinished ones', async () => {
    const project = await t.project();
    const token = project.owner.token;
    const hook = async (script: number[]) => {
      const r = await receiver(script);
      servers.push(r.server);
      const created = await t.post(`/api/v1/projects/${project.id}/webhooks`, { url: r.url, events: ['task.created'] }, { token });
      expect(created.status).toBe(201);
      return created.body.id as string;
    };
    const test = async (webhookId: string) => {
      const queued = await t.post(`/api/v1/webhooks/${webhookId}/test`, {}, { token });
      expect(queued.status).toBe(202);
      return queued.body.id as string;
    };
    const deliveries = async (webhookId: string) =>
      new Map(((await t.get(`/api/v1/webhooks/${webhookId}/deliveries`, { token })).body.data as Array<{ id: string; status: string }>).map((d) => [d.id, d.status]));

    // Day 0: one delivery succeeds and one fails for good; another webhook's delivery fails once
    // and waits for a retry far away.
    const sent = await hook([200, 500]);
    const succeeded = await test(sent);
    const failed = await test(sent);
    await deliverDue(t.ctx, settings());
    const waiting = await hook([500]);
    const retrying = await test(waiting);
    await deliverDue(t.ctx, settings({ maxAttempts: 3 }));
    expect(await deliveries(sent)).toEqual(new Map([[succeeded, 'succeeded'], [failed, 'failed']]));
    expect(await deliveries(waiting)).toEqual(new Map([[retrying, 'retrying']]));

    // Day 20: a recent success.
    clock.advance(20 * DAY);
    const recent = await test(sent);
    await deliverDue(t.ctx, settings({ maxAttempts: 3 }));
    expect((await deliveries(sent)).get(recent)).toBe('succeeded');

    // Day 40, 30 days kept: the two finished on day 0 go.
    clock.advance(20 * DAY);
    expect(await applyDeliveryRetention(t.ctx, 30)).toBe(2);
    expect(await deliveries(sent)).toEqual(new Map([[recent, 'succeeded']]));
    expect(await deliveries(waiting)).toEqual(new Map([[retrying, 'retrying']]));

    // Everything finished before now, one per batch: only the retrying one stays, however old.
    expect(await pruneFinishedDeliveries(t.ctx, clock.now(), 1)).toBe(1);
    expect(await deliveries(sent)).toEqual(new Map());
    expect(await deliveries(waiting)).toEqual(new Map([[retrying, 'retrying']]));
  });
});
