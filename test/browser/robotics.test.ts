import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

let h: Harness;
let projectId = '';
let taskId = '';
let episodeIds: string[] = [];

async function api(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.adminToken}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A pick-and-place episode: 3 joint states and a gripper action that closes between frames 12 and 40. */
const episode = (n: number, phase: number) => ({
  kind: 'episode',
  externalId: `episode-${n}`,
  payload: {
    fps: 10,
    frames: Array.from({ length: 60 }, (_, i) => ({
      timestamp: i / 10,
      observation: { state: [Math.sin((i + phase) / 8), Math.cos((i + phase) / 10) * 0.8, i / 60] },
      action: [i >= 12 && i <= 40 ? 1 : 0, Math.sin(i / 5) * 0.3],
    })),
  },
});

beforeAll(async () => {
  h = await startHarness();
  projectId = (await api('POST', '/api/v1/projects', { name: 'Robot arm episodes' })).id;
  const datasets: string[] = [];
  for (const [name, from] of [['Kitchen run 1', 0], ['Kitchen run 2', 6]] as const) {
    const d = (await api('POST', `/api/v1/projects/${projectId}/datasets`, { name })).id;
    await api('POST', `/api/v1/datasets/${d}/items`, Array.from({ length: 6 }, (_, i) => JSON.stringify(episode(from + i, i * 3))).join('\n') + '\n', 'application/x-ndjson');
    datasets.push(d);
  }
  const recipe = (await api('POST', `/api/v1/projects/${projectId}/recipes`, { name: 'Manipulation phases', labels: [{ name: 'grasp' }, { name: 'place' }, { name: 'idle' }], tools: ['segment', 'classification'] })).id;
  const task = await api('POST', `/api/v1/projects/${projectId}/tasks`, { name: 'Label manipulation phases', type: 'labeling', datasetIds: datasets, recipeId: recipe });
  taskId = task.id;
  episodeIds = (await api('GET', `/api/v1/tasks/${taskId}/items?limit=100`)).data.map((u: { itemId: string }) => u.itemId);
});

afterAll(async () => {
  await h?.close();
});

const noProblems = (page: Page) => expect(problemsOf(page).filter((p) => !/401|Unauthorized/.test(p))).toEqual([]);

describe('robotics tasks in Chromium', () => {
  it('opens an episode, scrubs frames and annotates a segment', async () => {
    const page = await openPage(h, { width: 1440, height: 900 });
    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    await page.goto(`/tasks/${taskId}/annotate?item=${episodeIds[0]}`);
    await page.getByTestId('episode-viewer').waitFor();
    await page.locator('.timeseries canvas').first().waitFor();
    expect(await page.locator('.timeseries').count()).toBe(2);
    await shot(page, 'robotics-episode');

    // Scrub: the slider, then the keyboard.
    const scrubber = page.getByTestId('frame-scrubber');
    await scrubber.fill('30');
    await expect(page.getByTestId('frame-index').textContent()).resolves.toBe('30');
    await page.locator('h3').first().click();
    await page.keyboard.press('Home');
    for (let i = 0; i < 2; i++) await page.keyboard.press('Shift+ArrowRight');
    await expect(page.getByTestId('frame-index').textContent()).resolves.toBe('20');
    await page.keyboard.press('ArrowLeft');
    await expect(page.getByTestId('frame-index').textContent()).resolves.toBe('19');

    // A "grasp" segment from frame 12 to 40.
    await page.getByRole('button', { name: /grasp/ }).first().click();
    await scrubber.fill('12');
    await page.getByTestId('segment-start').click();
    await scrubber.fill('40');
    await page.getByTestId('segment-end').click();
    await page.locator('.shape-list').getByText('frames 12–40').waitFor();
    await page.getByTestId('save-state').getByText('All changes saved').waitFor({ timeout: 15_000 });
    await shot(page, 'robotics-segment');
    const saved = (await api('GET', `/api/v1/tasks/${taskId}/items/${episodeIds[0]}/annotations`)).data[0].shapes;
    expect(saved).toEqual([expect.objectContaining({ tool: 'segment', label: 'grasp', startFrame: 12, endFrame: 40 })]);
    noProblems(page);
  });

  it('batch-labels a selection made with the mouse and the keyboard', async () => {
    const page = await openPage(h, { width: 1440, height: 900 });
    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    await page.goto(`/tasks/${taskId}?tab=batch`);
    const cards = page.getByTestId('batch-card');
    await cards.first().waitFor();
    expect(await cards.count()).toBe(12);
    await cards.nth(0).click();
    await page.keyboard.press('ControlOrMeta+a');
    await expect(page.getByTestId('batch-selected').textContent()).resolves.toBe('12 selected');
    await page.keyboard.press('Escape');
    await cards.nth(1).click();
    await cards.nth(4).click({ modifiers: ['Shift'] });
    await expect(page.getByTestId('batch-selected').textContent()).resolves.toBe('4 selected');
    await page.keyboard.press('Shift+ArrowRight');
    await expect(page.getByTestId('batch-selected').textContent()).resolves.toBe('5 selected');
    await page.getByTestId('batch-label-place').click();
    await page.getByTestId('batch-save-state').getByText('All changes saved').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('batch-applied').count()).toBe(5);
    await shot(page, 'robotics-batch');
    for (const id of episodeIds.slice(1, 6)) {
      expect((await api('GET', `/api/v1/tasks/${taskId}/items/${id}/annotations`)).data[0].shapes).toEqual([{ tool: 'classification', label: 'place' }]);
    }
    expect((await api('GET', `/api/v1/tasks/${taskId}/items/${episodeIds[6]}/annotations`)).data).toEqual([]);
    noProblems(page);
  });

  it('shows per-dataset progress, invalid annotations and the reports', async () => {
    for (const id of episodeIds.slice(1, 4)) await api('PUT', `/api/v1/tasks/${taskId}/items/${id}/status`, { status: 'completed' });
    const annotation = (await api('GET', `/api/v1/tasks/${taskId}/items/${episodeIds[2]}/annotations`)).data[0];
    const page = await openPage(h, { width: 1440, height: 900 });
    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    // The reviewer marks the answer invalid from the review workspace, with a reason.
    await page.goto(`/tasks/${taskId}/review?item=${episodeIds[2]}`);
    const card = page.getByTestId('invalid-card');
    expect(await card.getByRole('button', { name: 'Mark invalid' }).isDisabled()).toBe(true);
    await card.getByRole('textbox').fill('The gripper never closes: this is not a place');
    await card.getByRole('button', { name: 'Mark invalid' }).click();
    await card.getByTestId('invalid-mark').filter({ hasText: 'The gripper never closes' }).waitFor();
    await shot(page, 'robotics-review-invalid');
    const listed = (await api('GET', `/api/v1/tasks/${taskId}/invalid-annotations`)).data;
    expect(listed.map((a: { id: string; reason: string }) => [a.id, a.reason])).toEqual([[annotation.id, 'The gripper never closes: this is not a place']]);
    expect((await api('GET', `/api/v1/tasks/${taskId}`)).counts.invalid).toBe(1);
    await page.goto(`/tasks/${taskId}?tab=datasets`);
    await page.getByTestId('task-datasets').waitFor();
    await page.getByText('Kitchen run 2').waitFor();
    await shot(page, 'robotics-datasets');
    await page.goto(`/tasks/${taskId}?tab=invalid`);
    await page.getByText('The gripper never closes').waitFor();
    await shot(page, 'robotics-invalid');
    await page.goto(`/p/${projectId}/reports?level=project`);
    await page.getByTestId('project-report').waitFor();
    await page.locator('.timeseries canvas').first().waitFor();
    await shot(page, 'robotics-reports');
    noProblems(page);
  });
});
