import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { sql } from 'drizzle-orm';
import { ADMIN_PASSWORD, callApi, openPage, problemsOf, root, screenshotsDir, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

/**
 * The project dashboard (docs/web-ui.md, Dashboards): throughput over the days of the window,
 * items done per day per person, quality per day, counts with thousands separators, at 1440×900
 * and 390×844. A week of history is made by moving the finish times of real completions (and the
 * times of the scores they produced) back by whole days.
 */
let h: Harness;
let projectId = '';
const PASSWORD = 'dashboard-password-1';
const people: Array<{ id: string; token: string; name: string }> = [];

const api = async (method: string, path: string, body?: unknown, token = h.adminToken, contentType?: string) => {
  const res = await callApi(h, method, path, token, body, contentType);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

beforeAll(async () => {
  h = await startHarness();
  projectId = (await api('POST', '/api/v1/projects', { name: 'Support tickets triage' })).id;
  for (const [name, email] of [['Ari Annotator', 'ari.d@example.com'], ['Bo Labeler', 'bo.d@example.com'], ['Cy Tagger', 'cy.d@example.com']] as const) {
    const u = await h.user(name, email, PASSWORD);
    await api('PUT', `/api/v1/projects/${projectId}/members/${u.id}`, { role: 'annotator' });
    people.push({ ...u, name });
  }
  const datasetId = (await api('POST', `/api/v1/projects/${projectId}/datasets`, { name: 'Tickets, March' })).id;
  const lines = Array.from({ length: 1200 }, (_, i) => JSON.stringify({ kind: 'text', externalId: `ticket-${i + 1}`, payload: { text: `Ticket ${i + 1}: the printer on floor ${i % 7} is out of toner again` } }));
  await api('POST', `/api/v1/datasets/${datasetId}/items`, lines.join('\n') + '\n', h.adminToken, 'application/x-ndjson');
  const recipeId = (await api('POST', `/api/v1/projects/${projectId}/recipes`, { name: 'Triage', labels: [{ name: 'hardware' }, { name: 'software' }, { name: 'billing' }], tools: ['classification'] })).id;
  const ids = (await api('GET', `/api/v1/datasets/${datasetId}/items?limit=40`)).data.map((i: { id: string }) => i.id) as string[];

  // Labeling over all 1,200 tickets: each person finishes some of their share.
  const labeling = (await api('POST', `/api/v1/projects/${projectId}/tasks`, { name: 'Triage March tickets', type: 'labeling', datasetId, recipeId, assigneeIds: people.map((p) => p.id) })).id;
  for (const [n, p] of people.entries()) {
    const mine = (await api('GET', `/api/v1/tasks/${labeling}/items?limit=${8 + n * 4}`, undefined, p.token)).data as Array<{ itemId: string }>;
    for (const [k, u] of mine.entries()) {
      await api('PUT', `/api/v1/tasks/${labeling}/items/${u.itemId}/annotations`, { shapes: [{ tool: 'classification', label: ['hardware', 'software', 'billing'][k % 3] }] }, p.token);
      await api('PUT', `/api/v1/tasks/${labeling}/items/${u.itemId}/status`, { status: 'completed' }, p.token);
    }
  }
  // Consensus over 24 tickets by two people: agreement scores, one disagreement in four.
  const consensus = (await api('POST', `/api/v1/projects/${projectId}/tasks`, { name: 'Agreement check', type: 'consensus', datasetId, recipeId, itemIds: ids.slice(0, 24), assigneeIds: [people[0]!.id, people[1]!.id], consensus: { annotatorsPerItem: 2 } })).id;
  for (const [k, itemId] of ids.slice(0, 24).entries()) {
    for (const [n, p] of people.slice(0, 2).entries()) {
      const label = n === 1 && k % 4 === 0 ? 'billing' : 'hardware';
      await api('PUT', `/api/v1/tasks/${consensus}/items/${itemId}/annotations`, { shapes: [{ tool: 'classification', label }] }, p.token);
      await api('PUT', `/api/v1/tasks/${consensus}/items/${itemId}/status`, { status: 'completed' }, p.token);
    }
  }
  // A week of history: whole days back, by the unit's position (and the scored unit's).
  await h.built.ctx.db.execute(sql`update task_items set finished_at = finished_at - ((position % 6) * interval '1 day'), started_at = started_at - ((position % 6) * interval '1 day') where finished_at is not null`);
  await h.built.ctx.db.execute(sql`update scores s set created_at = s.created_at - ((ti.position % 6) * interval '1 day') from task_items ti where ti.id = s.task_item_id`);
}, 300_000);

afterAll(async () => {
  await h?.close();
});

const noProblems = (page: Page) => expect(problemsOf(page)).toEqual([]);

/** Copies a screenshot the harness took into docs/screenshots/, where the docs show it. */
function keep(name: string) {
  mkdirSync(`${root}docs/screenshots`, { recursive: true });
  copyFileSync(`${screenshotsDir}/${name}.png`, `${root}docs/screenshots/${name}.png`);
}

describe('the project dashboard in Chromium', () => {
  it('charts throughput, per-person days and quality over the week, with separators', async () => {
    const report = await api('GET', `/api/v1/projects/${projectId}/reports/progress?level=project`);
    expect(report.project.perDay.length).toBeGreaterThan(3);
    expect(report.project.perDay.filter((d: { consistency: number | null }) => d.consistency !== null).length).toBeGreaterThan(1);
    const team = await api('GET', `/api/v1/projects/${projectId}/reports/progress?level=team`);
    expect(new Set(team.team.perDay.map((d: { userId: string }) => d.userId))).toEqual(new Set(people.map((p) => p.id)));

    const page = await openPage(h, { width: 1440, height: 900 });
    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    await page.goto(`/p/${projectId}/reports`);
    // A manager lands on the project overview.
    await page.getByTestId('project-throughput').locator('canvas').first().waitFor();
    await page.getByTestId('project-quality').locator('canvas').first().waitFor();
    expect(await page.title()).toContain('Dashboard');
    const stats = await page.locator('.stats').first().textContent();
    expect(stats).toContain('1,248'); // 1,200 labeling units and 24 items × 2 consensus copies
    await shot(page, '40-dashboard-project');
    keep('40-dashboard-project');

    await page.getByRole('tab', { name: 'Team' }).click();
    await page.getByTestId('team-per-day').locator('canvas').first().waitFor();
    for (const p of people) expect(await page.getByTestId('team-per-day').textContent()).toContain(p.name);
    await shot(page, '41-dashboard-team');
    keep('41-dashboard-team');

    // The dataset card counts with separators too.
    await page.goto(`/p/${projectId}/datasets`);
    await page.getByText('1,200 items').waitFor();
    noProblems(page);
  });

  it('fits a 390×844 phone screen', async () => {
    const page = await openPage(h, { width: 390, height: 844 });
    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    await page.goto(`/p/${projectId}/reports`);
    await page.getByTestId('project-throughput').locator('canvas').first().waitFor();
    await shot(page, '42-dashboard-phone');
    keep('42-dashboard-phone');
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.table-wrap, .tabs, .nav')).map((e) => `${e.tagName}.${String(e.className)}<${String(e.parentElement?.className)}`).slice(0, 5),
    );
    expect(wide).toEqual([]);
    noProblems(page);
  });
});
