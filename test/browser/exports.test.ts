import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, callApi, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

process.env.LOUPE_EXPORT_DIR = mkdtempSync(join(tmpdir(), 'loupe-export-browser-'));

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const api = (method: string, path: string, token: string, body?: unknown, contentType?: string) => callApi(h, method, path, token, body, contentType);

describe('exports and the job queue in Chromium', () => {
  it('creates an export and a versioned definition, downloads the file, compares versions; an administrator pauses and resumes the queue', async () => {
    const admin = h.adminToken;
    const project = (await api('POST', '/api/v1/projects', admin, { name: 'Street scenes' })).body;
    const dataset = (await api('POST', `/api/v1/projects/${project.id}/datasets`, admin, { name: 'Frames' })).body;
    const lines = Array.from({ length: 6 }, (_, i) => JSON.stringify({ kind: 'image', externalId: `frame-${i}`, payload: { url: `https://example.com/${i}.png`, width: 64, height: 48 } }));
    expect((await api('POST', `/api/v1/datasets/${dataset.id}/items`, admin, lines.join('\n') + '\n', 'application/x-ndjson')).status).toBeLessThan(300);
    const me = (await api('GET', '/api/v1/me', admin)).body;
    const recipe = (await api('POST', `/api/v1/projects/${project.id}/recipes`, admin, { name: 'Boxes', labels: [{ name: 'car' }], tools: ['bbox'] })).body;
    const task = (await api('POST', `/api/v1/projects/${project.id}/tasks`, admin, { name: 'Cars', type: 'labeling', datasetId: dataset.id, recipeId: recipe.id, assigneeIds: [me.id], allocation: { method: 'distribution' } })).body;
    const items = (await api('GET', `/api/v1/datasets/${dataset.id}/items?limit=50`, admin)).body.data;
    for (const item of items.slice(0, 4)) {
      expect((await api('PUT', `/api/v1/tasks/${task.id}/items/${item.id}/annotations`, admin, { shapes: [{ tool: 'bbox', label: 'car', x: 1, y: 2, w: 10, h: 8 }] })).status).toBe(200);
    }

    const page = await openPage(h);
    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    await page.goto(`/p/${project.id}/exports`);
    await page.getByText('No exports yet').waitFor();
    await shot(page, 'exports-empty');

    // A plain export: queued, then completed with a download link.
    await page.getByLabel('Tasks').selectOption(task.id);
    await page.getByLabel('Format').selectOption('csv');
    await page.getByRole('button', { name: 'Export' }).click();
    const history = page.getByRole('table', { name: 'Exports' });
    await history.getByRole('link', { name: 'Download' }).waitFor({ timeout: 30_000 });
    expect(await history.textContent()).toContain('csv');
    const [download] = await Promise.all([page.waitForEvent('download'), history.getByRole('link', { name: 'Download' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);

    // A named definition: version 1, then a change and version 2, then the comparison.
    await page.getByLabel('Tasks').selectOption(task.id);
    await page.getByLabel('Format').selectOption('jsonl');
    await page.getByLabel('Definition name').fill('Training set');
    await page.getByRole('button', { name: 'Export' }).click();
    const versions = page.getByRole('region', { name: 'Versions' });
    await versions.getByText('sha256', { exact: false }).waitFor({ timeout: 30_000 });
    await api('PUT', `/api/v1/tasks/${task.id}/items/${items[4].id}/annotations`, admin, { shapes: [{ tool: 'bbox', label: 'car', x: 3, y: 3, w: 5, h: 5 }] });
    await versions.getByRole('button', { name: 'New version' }).click();
    await versions.getByRole('button', { name: /Compare v1 → v2/ }).waitFor({ timeout: 30_000 });
    await versions.getByRole('button', { name: /Compare v1 → v2/ }).click();
    await expect.poll(async () => page.getByLabel('Comparison').textContent()).toContain('1 added, 0 changed, 0 removed');
    await shot(page, 'exports-history');

    // The queue page: administrators only, in the navigation.
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.getByRole('table', { name: 'Queues' }).waitFor();
    const queues = await page.getByRole('table', { name: 'Queues' }).textContent();
    expect(queues).toContain('exports.run');
    expect(queues).not.toContain('__pgboss__');
    await shot(page, 'queue-counts');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText('The queue is paused').waitFor();
    await shot(page, 'queue-paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await page.getByRole('table', { name: 'Jobs' }).getByRole('link').first().click();
    await page.getByRole('dialog', { name: 'Job' }).getByText('Data').waitFor();
    await shot(page, 'queue-job');
    expect(problemsOf(page)).toEqual([]);

    // A user who is not an administrator has no Queue link.
    const user = await h.user('Mia Manager', 'mia@example.com', 'pw-mia-12345678');
    await api('PUT', `/api/v1/projects/${project.id}/members/${user.id}`, admin, { role: 'manager' });
    const other = await openPage(h);
    await signIn(other, 'mia@example.com', 'pw-mia-12345678');
    await other.goto(`/p/${project.id}/exports`);
    await other.getByRole('table', { name: 'Exports' }).waitFor();
    expect(await other.getByRole('link', { name: 'Queue' }).count()).toBe(0);
  }, 240_000);
});
