import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { newId } from '../../src/core/ids.ts';
import { recordEvent } from '../../src/outbox/outbox.service.ts';
import { deliverWebhook, relayOutbox, type WebhookSettings } from '../../src/webhooks/delivery.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * A webhook's deliveries are sent by the one process holding its claim (`sending_until`,
 * docs/webhooks.md). A pass over many deliveries outlives the claim it took at its start: the
 * claim is renewed while the pass runs, so another process (here: a second pass on the same
 * database, started while the first waits for the receiver) cannot take it and send the same
 * deliveries again.
 */
const clock = new ManualClock(new Date('2032-01-01T00:00:00Z'));
const settings: WebhookSettings = { allowHosts: new Set(['127.0.0.1']), timeoutMs: 1000, maxAttempts: 3, retryBaseMs: 50, maxRetryDelayMs: 1000, disableAfter: 3 };
let t: TestApp;
let server: Server;
beforeAll(async () => {
  process.env.LOUPE_WEBHOOK_ALLOW_HOSTS = '127.0.0.1';
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.close();
  delete process.env.LOUPE_WEBHOOK_ALLOW_HOSTS;
});

describe('a long delivery pass and a second process', () => {
  it('keeps its claim on the webhook: the other process sends nothing, and every delivery arrives once', async () => {
    const received: string[] = [];
    let second: Promise<number> | null = null;
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(String(req.headers['loupe-delivery']));
        // Each send takes 10 s of the server's clock: the 8th starts after the first claim (63 s) ran out.
        clock.advance(10_000);
        if (received.length === 8 && !second) {
          second = deliverWebhook(t.ctx, hookId, settings);
          void second.then(() => res.end('ok'));
          return;
        }
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const project = await t.project();
    const created = await t.post(`/api/v1/projects/${project.id}/webhooks`, { url, events: ['*'] }, { token: project.owner.token });
    expect(created.status).toBe(201);
    const hookId = created.body.id as string;

    const events = 12;
    await t.ctx.db.transaction(async (tx) => {
      for (let i = 0; i < events; i++) await recordEvent(tx, { projectId: project.id, type: 'task.updated', subjectKind: 'task', subjectId: newId(), data: { i } }, clock.now());
    });
    // The relay may be held back by transactions of other files on a shared PostgreSQL.
    const deliveries = async () => (await t.get(`/api/v1/webhooks/${hookId}/deliveries`, { token: project.owner.token })).body.data.length as number;
    for (let i = 0; i < 300 && (await deliveries()) < events; i++) {
      await relayOutbox(t.ctx);
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(await deliveries()).toBe(events);

    const sent = await deliverWebhook(t.ctx, hookId, settings);
    expect(second).not.toBeNull();
    expect(await second!).toBe(0);
    expect(sent).toBe(events);
    expect(received).toHaveLength(events);
    expect(new Set(received).size).toBe(events);
  }, 60_000);
});
