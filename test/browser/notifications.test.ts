import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxTick, webhookSettings } from '../../src/webhooks/delivery.ts';
import { ADMIN_PASSWORD, callApi, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const api = (method: string, path: string, token: string, body?: unknown, contentType?: string) => callApi(h, method, path, token, body, contentType);

/** Relays the outbox as the server's poller does every second: events become notifications. */
const relay = () => outboxTick(h.built.ctx, webhookSettings({}));

describe('the notification bell in Chromium', () => {
  it('an assignment becomes a notification: the bell shows the unread count, opening one marks it read and leads to the task', async () => {
    const admin = h.adminToken;
    const password = 'annotator-password-1';
    const annotator = await h.user('Nora Annotator', 'nora@example.com', password);
    const project = (await api('POST', '/api/v1/projects', admin, { name: 'Support chats' })).body;
    expect((await api('PUT', `/api/v1/projects/${project.id}/members/${annotator.id}`, admin, { role: 'annotator' })).status).toBe(200);
    const dataset = (await api('POST', `/api/v1/projects/${project.id}/datasets`, admin, { name: 'Chats' })).body;
    const lines = Array.from({ length: 3 }, (_, i) => JSON.stringify({ kind: 'text', externalId: `chat-${i}`, payload: { text: `chat ${i}` } }));
    expect((await api('POST', `/api/v1/datasets/${dataset.id}/items`, admin, lines.join('\n') + '\n', 'application/x-ndjson')).status).toBeLessThan(300);

    // Before any event: the bell shows no count.
    const page = await openPage(h);
    await signIn(page, 'nora@example.com', password);
    const bell = page.getByRole('button', { name: /^Notifications: \d+ unread$/ });
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications: 0 unread');
    expect(await page.locator('.bell-count').count()).toBe(0);

    // Two tasks assign her: two events, relayed to her inbox.
    for (const name of ['Tone check', 'Refund replies']) {
      const task = await api('POST', `/api/v1/projects/${project.id}/tasks`, admin, { name, type: 'labeling', datasetId: dataset.id, assigneeIds: [annotator.id], allocation: { method: 'distribution' } });
      expect(task.status, JSON.stringify(task.body)).toBe(201);
    }
    await relay();
    expect((await api('GET', '/api/v1/me/notifications/count', annotator.token)).body.unread).toBe(2);

    await page.reload();
    await expect.poll(() => bell.getAttribute('aria-label'), { timeout: 10_000 }).toBe('Notifications: 2 unread');
    expect(await page.locator('.bell-count').textContent()).toBe('2');
    await shot(page, 'notifications-bell-unread');

    await bell.click();
    const menu = page.getByRole('dialog', { name: 'Notifications' });
    await menu.getByText('You were assigned to “Refund replies”').waitFor();
    expect(await menu.locator('.bell-unread').count()).toBe(2);
    await shot(page, 'notifications-bell-open');

    // Opening one marks it read (the count drops to 1) and goes to its task.
    await menu.getByText('You were assigned to “Tone check”').click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]+$/);
    await page.getByRole('heading', { name: 'Tone check' }).waitFor();
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications: 1 unread');
    expect((await api('GET', '/api/v1/me/notifications/count', annotator.token)).body.unread).toBe(1);
    const listed = (await api('GET', '/api/v1/me/notifications', annotator.token)).body.data as Array<{ read: boolean; data: { name: string } }>;
    expect(listed.map((n) => [n.data.name, n.read]).sort()).toEqual([['Refund replies', false], ['Tone check', true]]);

    // Mark all read: no count left, on the page and on the server.
    await bell.click();
    await menu.getByRole('button', { name: 'Mark all read' }).click();
    await expect.poll(() => bell.getAttribute('aria-label')).toBe('Notifications: 0 unread');
    expect(await page.locator('.bell-count').count()).toBe(0);
    expect(await menu.locator('.bell-unread').count()).toBe(0);
    await shot(page, 'notifications-bell-read');
    expect((await api('GET', '/api/v1/me/notifications/count', annotator.token)).body.unread).toBe(0);
    expect(problemsOf(page)).toEqual([]);
  }, 180_000);
});
