import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { annotateAndSet, setupTask } from '../reviews/review-helpers.ts';
import { outboxTick, type WebhookSettings } from '../../src/webhooks/delivery.ts';
import { embeddedIpv4, isPublicAddress } from '../../src/webhooks/address-guard.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local receiver that answers with the next scripted status (200 when the script is empty). */
class Receiver {
  received: Received[] = [];
  script: number[] = [];
  /** The `Location` of scripted 3xx answers. */
  redirectTo = '';
  server: Server;
  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body });
        res.statusCode = this.script.shift() ?? 200;
        if (res.statusCode >= 300 && res.statusCode < 400) res.setHeader('location', this.redirectTo);
        res.end('ok');
      });
    });
  }
  async listen() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  close() {
    return new Promise((resolve) => this.server.close(resolve));
  }
}

/** The receiver's side of docs/webhooks.md#signatures. */
function verify(secret: string, header: string | undefined, body: string, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((p) => p.split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds || !parts.v1) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return expected.length === parts.v1.length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}

const settings = (over: Partial<WebhookSettings> = {}): WebhookSettings => ({
  allowHosts: new Set(['127.0.0.1']),
  timeoutMs: 5000,
  maxAttempts: 4,
  retryBaseMs: 50,
  maxRetryDelayMs: 1000,
  disableAfter: 3,
  ...over,
});

/**
 * Runs outbox turns until `done()` or the deadline (retries wait for their backoff). The deadline
 * is generous: on a loaded machine, or a PostgreSQL other files share, the relay can be held back
 * by transactions still running elsewhere (docs/events.md#reading); `done` ends it early.
 */
async function pump(t: TestApp, s: WebhookSettings, done: () => boolean | Promise<boolean>, ms = 30_000) {
  const until = Date.now() + ms;
  while (!(await done()) && Date.now() < until) {
    await outboxTick(t.ctx, s);
    await new Promise((r) => setTimeout(r, 30));
  }
}

let t: TestApp;
const receivers: Receiver[] = [];
beforeAll(async () => {
  process.env.LOUPE_WEBHOOK_ALLOW_HOSTS = '127.0.0.1';
  t = await createTestApp();
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await t.close();
  delete process.env.LOUPE_WEBHOOK_ALLOW_HOSTS;
});

async function receiver() {
  const r = new Receiver();
  receivers.push(r);
  return { r, url: await r.listen() };
}

describe('webhooks', () => {
  it('delivers a task’s life signed and in order: created, item statuses, workflow, issue opened and resolved', async () => {
    const { r, url } = await receiver();
    const project = await t.project();
    const created = await t.post(`/api/v1/projects/${project.id}/webhooks`, { url, events: ['*'] }, { token: project.owner.token });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect((await t.get(`/api/v1/webhooks/${created.body.id}`, { token: project.owner.token })).body.secret).toBeUndefined();

    const s = await setupTask(t, { count: 2, project: { id: project.id, owner: project.owner } });
    const annotator = s.annotators[0]!;
    const reviewer = await t.member(project.id, 'reviewer');
    expect((await t.patch(`/api/v1/tasks/${s.taskId}`, { reviewerIds: [reviewer.id] }, { token: project.owner.token })).status).toBe(200);
    expect((await t.post(`/api/v1/tasks/${s.taskId}/transitions`, { to: 'in_progress' }, { token: annotator.token })).status).toBe(200);
    const answers = [];
    for (const itemId of s.itemIds) answers.push(await annotateAndSet(t, s.taskId, itemId, [{ tool: 'classification', label: 'cat' }], annotator));
    expect((await t.post(`/api/v1/tasks/${s.taskId}/transitions`, { to: 'pending_review' }, { token: annotator.token })).status).toBe(200);
    const issue = await t.post(`/api/v1/annotations/${answers[0]!.id}/issues`, { comment: 'wrong label' }, { token: reviewer.token });
    expect(issue.status).toBe(201);
    expect((await t.patch(`/api/v1/issues/${issue.body.id}`, { status: 'resolved' }, { token: reviewer.token })).status).toBe(200);

    const expected = ['task.created', 'task.updated', 'task.workflow_changed', 'item.status_set', 'item.status_set', 'task.workflow_changed', 'issue.opened', 'issue.resolved'];
    await pump(t, settings(), () => r.received.length >= expected.length);
    const bodies = r.received.map((x) => JSON.parse(x.body));
    expect(bodies.map((b) => b.type)).toEqual(expected);
    for (const x of r.received) {
      expect(verify(secret, x.headers['loupe-signature'] as string, x.body)).toBe(true);
      expect(verify('another secret', x.headers['loupe-signature'] as string, x.body)).toBe(false);
    }
    expect(bodies[0]).toMatchObject({ projectId: project.id, subject: { kind: 'task', id: s.taskId }, data: { name: expect.any(String) } });
    expect(bodies[5].data).toMatchObject({ from: 'in_progress', to: 'pending_review' });
    expect(r.received[0]!.headers['loupe-event']).toBe('task.created');

    // Another turn delivers nothing twice.
    await outboxTick(t.ctx, settings());
    expect(r.received).toHaveLength(expected.length);
    const log = await t.get(`/api/v1/webhooks/${created.body.id}/deliveries`, { token: project.owner.token });
    expect(log.body.data).toHaveLength(expected.length);
    expect(log.body.data[0]).toMatchObject({ status: 'succeeded', responseCode: 200, attempt: 1, eventType: 'issue.resolved' });
    expect(log.body.data[0].body).toBeUndefined();

    // Notifications: the annotator heard of the task and of the issue; the reviewer of the review waiting.
    const annotatorInbox = (await t.get('/api/v1/me/notifications', { token: annotator.token })).body.data.map((n: any) => n.type);
    expect(annotatorInbox).toEqual(['issue.resolved', 'issue.opened', 'task.created']);
    const reviewerInbox = (await t.get('/api/v1/me/notifications', { token: reviewer.token, query: { unread: 'true' } })).body.data;
    expect(reviewerInbox.map((n: any) => n.type)).toEqual(['task.workflow_changed', 'task.updated']);
  }, 60_000);

  it('retries after 500s with growing delays, keeps later events behind the failing one, then delivers all in order', async () => {
    const { r, url } = await receiver();
    const project = await t.project();
    const hook = (await t.post(`/api/v1/projects/${project.id}/webhooks`, { url, events: ['task.created', 'task.updated'] }, { token: project.owner.token })).body;
    r.script = [500, 500];
    const s = await setupTask(t, { count: 1, project: { id: project.id, owner: project.owner } });
    expect((await t.post(`/api/v1/tasks/${s.taskId}/lock`, undefined, { token: project.owner.token })).status).toBe(200);
    await pump(t, settings(), () => r.received.length >= 4);
    const types = r.received.map((x) => JSON.parse(x.body).type);
    expect(types).toEqual(['task.created', 'task.created', 'task.created', 'task.updated']);
    const ids = r.received.map((x) => x.headers['loupe-delivery']);
    expect(new Set(ids.slice(0, 3)).size).toBe(1);
    const log = (await t.get(`/api/v1/webhooks/${hook.id}/deliveries`, { token: project.owner.token })).body.data;
    expect(log.map((d: any) => [d.eventType, d.status, d.attempt])).toEqual([
      ['task.updated', 'succeeded', 1],
      ['task.created', 'succeeded', 3],
    ]);
  }, 60_000);

  it('disables a webhook after consecutive failed deliveries and says why', async () => {
    const { r, url } = await receiver();
    const project = await t.project();
    const hook = (await t.post(`/api/v1/projects/${project.id}/webhooks`, { url, events: ['task.updated'] }, { token: project.owner.token })).body;
    r.script = Array(20).fill(500);
    const s = await setupTask(t, { count: 1, project: { id: project.id, owner: project.owner } });
    for (const action of ['lock', 'unlock', 'lock', 'unlock']) await t.post(`/api/v1/tasks/${s.taskId}/${action}`, undefined, { token: project.owner.token });
    const quick = settings({ maxAttempts: 2, retryBaseMs: 10, disableAfter: 2 });
    await pump(t, quick, () => r.received.length >= 4);
    await pump(t, quick, () => false, 300);
    const got = (await t.get(`/api/v1/webhooks/${hook.id}`, { token: project.owner.token })).body;
    expect(got).toMatchObject({ enabled: false, consecutiveFailures: 2 });
    expect(got.disabledReason).toMatch(/2 failed deliveries/);
    expect(r.received).toHaveLength(4);
    const statuses = (await t.get(`/api/v1/webhooks/${hook.id}/deliveries`, { token: project.owner.token })).body.data.map((d: any) => d.status);
    expect(statuses.sort()).toEqual(['failed', 'failed', 'pending', 'pending']);
    // Re-enabling sends what waited.
    r.script = [];
    expect((await t.patch(`/api/v1/webhooks/${hook.id}`, { enabled: true }, { token: project.owner.token })).body.enabled).toBe(true);
    await pump(t, quick, () => r.received.length >= 6);
    expect(r.received).toHaveLength(6);
  }, 60_000);

  it('never sends to a private address without the allow-list, and records the refusal', async () => {
    const { r, url } = await receiver();
    const project = await t.project();
    const hook = (await t.post(`/api/v1/projects/${project.id}/webhooks`, { url: url.replace('127.0.0.1', 'localhost'), events: ['task.created'] }, { token: project.owner.token })).body;
    await setupTask(t, { count: 1, project: { id: project.id, owner: project.owner } });
    const deliveries = async () => (await t.get(`/api/v1/webhooks/${hook.id}/deliveries`, { token: project.owner.token })).body.data;
    await pump(t, settings({ allowHosts: new Set() }), async () => (await deliveries()).some((d: any) => d.status === 'failed'));
    expect(r.received).toHaveLength(0);
    const [delivery] = await deliveries();
    expect(delivery).toMatchObject({ status: 'failed', responseCode: null, attempt: 1 });
    expect(delivery.error).toMatch(/resolves to (127\.0\.0\.1|::1).*LOUPE_WEBHOOK_ALLOW_HOSTS/);
    // A literal private address is refused when the webhook is made.
    for (const bad of ['http://10.0.0.5/x', 'http://[::ffff:169.254.169.254]/x', 'http://[fd00::1]/x', 'ftp://example.com/x']) {
      const res = await t.post(`/api/v1/projects/${project.id}/webhooks`, { url: bad, events: ['task.created'] }, { token: project.owner.token });
      expect(res.status, bad).toBeGreaterThanOrEqual(400);
      expect(res.body.code).toMatch(/validation_failed|invalid_request/);
    }
  }, 60_000);

  it('sends a signed test event on demand, and never follows a redirect', async () => {
    const { r, url } = await receiver();
    const { r: elsewhere, url: elsewhereUrl } = await receiver();
    const project = await t.project();
    const hook = (await t.post(`/api/v1/projects/${project.id}/webhooks`, { url, events: ['task.created'] }, { token: project.owner.token })).body;
    // "Send test event": one signed `webhook.test` delivery to this webhook only.
    expect((await t.post(`/api/v1/webhooks/${hook.id}/test`, undefined, { token: project.owner.token })).status).toBe(202);
    await pump(t, settings(), () => r.received.length >= 1);
    expect(r.received).toHaveLength(1);
    expect(JSON.parse(r.received[0]!.body)).toMatchObject({ type: 'webhook.test', projectId: project.id, data: { message: expect.any(String) } });
    expect(verify(hook.secret, r.received[0]!.headers['loupe-signature'] as string, r.received[0]!.body)).toBe(true);

    // A 302 is a failed attempt: the location is never requested, the log says why, a retry comes later.
    r.redirectTo = elsewhereUrl;
    r.script = [302];
    await setupTask(t, { count: 1, project: { id: project.id, owner: project.owner } });
    await pump(t, settings({ retryBaseMs: 60_000, maxRetryDelayMs: 60_000 }), () => r.received.length >= 2);
    await pump(t, settings({ retryBaseMs: 60_000, maxRetryDelayMs: 60_000 }), () => false, 300);
    expect(r.received).toHaveLength(2);
    expect(elsewhere.received).toHaveLength(0);
    const [latest] = (await t.get(`/api/v1/webhooks/${hook.id}/deliveries`, { token: project.owner.token })).body.data;
    expect(latest).toMatchObject({ eventType: 'task.created', status: 'retrying', responseCode: 302, attempt: 1 });
    expect(latest.error).toBe(`redirect to ${elsewhereUrl} not followed`);
  }, 60_000);

  it('classifies IPv4 and IPv6 addresses, including IPv4 inside IPv6', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd12::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::10.0.0.1']) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(a), a).toBe(true);
    expect(embeddedIpv4('::ffff:7f00:1')).toBe('127.0.0.1');
  });

  it('lets managers manage webhooks, refuses annotators, and hides other projects’ webhooks', async () => {
    const project = await t.project();
    const manager = await t.member(project.id, 'manager');
    const annotator = await t.member(project.id, 'annotator');
    const outsider = await t.project();
    const body = { url: 'https://example.com/hook', events: ['task.created'], secret: 'a secret of enough length' };
    expect((await t.post(`/api/v1/projects/${project.id}/webhooks`, body, { token: annotator.token })).status).toBe(403);
    const made = await t.post(`/api/v1/projects/${project.id}/webhooks`, body, { token: manager.token });
    expect(made.status).toBe(201);
    expect(made.body.secret).toBe(body.secret);
    expect((await t.get(`/api/v1/webhooks/${made.body.id}`, { token: outsider.owner.token })).status).toBe(404);
    expect((await t.get(`/api/v1/webhooks/${made.body.id}/deliveries`, { token: annotator.token })).status).toBe(403);
    expect((await t.get(`/api/v1/projects/${project.id}/webhooks`, { token: manager.token })).body.data.map((w: any) => w.id)).toEqual([made.body.id]);
    const bad = await t.post(`/api/v1/projects/${project.id}/webhooks`, { url: 'https://example.com', events: ['task.exploded'] }, { token: manager.token });
    expect(bad.status).toBe(400);
    const test = await t.post(`/api/v1/webhooks/${made.body.id}/test`, undefined, { token: manager.token });
    expect(test.status).toBe(202);
    expect(test.body).toMatchObject({ eventType: 'webhook.test', status: 'pending' });
    expect((await t.delete(`/api/v1/webhooks/${made.body.id}`, { token: manager.token })).status).toBe(204);
    expect((await t.get(`/api/v1/webhooks/${made.body.id}`, { token: manager.token })).status).toBe(404);
  });

  it('stores the secret encrypted, never as written', async () => {
    const project = await t.project();
    const secret = 'plain secret that must not be stored';
    const made = await t.post(`/api/v1/projects/${project.id}/webhooks`, { url: 'https://example.com/h', events: ['task.created'], secret }, { token: project.owner.token });
    const { rows } = (await t.ctx.db.execute(`select secret_ciphertext from webhooks where id = '${made.body.id}'` as any)) as any;
    const stored = (rows ?? [])[0]?.secret_ciphertext as string;
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain(secret);
  });
});
