import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

const PASSWORD = 'browser-test-password';
const image = (fill: string) =>
  `data:image/svg+xml;base64,${Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="${fill}"/><rect x="120" y="150" width="140" height="60" rx="10" fill="#e03131"/></svg>`).toString('base64')}`;

let h: Harness;
let taskId = '';
let ari: { id: string; token: string };
let itemIds: string[] = [];

async function api(method: string, path: string, body?: unknown, token = h.adminToken, contentType = 'application/json') {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  h = await startHarness();
  ari = await h.user('Ari Annotator', 'ari@example.com', PASSWORD);
  const projectId = (await api('POST', '/api/v1/projects', { name: 'Street scenes' })).body.id;
  await api('PUT', `/api/v1/projects/${projectId}/members/${ari.id}`, { role: 'annotator' });
  const datasetId = (await api('POST', `/api/v1/projects/${projectId}/datasets`, { name: 'Street' })).body.id;
  const lines = ['#9fd3f5', '#b2f2bb', '#ffec99'].map((fill, i) => JSON.stringify({ kind: 'image', externalId: `street-00${i + 1}`, payload: { url: image(fill) } }));
  expect((await api('POST', `/api/v1/datasets/${datasetId}/items`, lines.join('\n') + '\n', h.adminToken, 'application/x-ndjson')).status).toBe(200);
  const recipeId = (await api('POST', `/api/v1/projects/${projectId}/recipes`, { name: 'Vehicles', labels: [{ name: 'car' }, { name: 'truck' }, { name: 'bus' }], tools: ['bbox', 'polygon', 'classification'] })).body.id;
  const task = await api('POST', `/api/v1/projects/${projectId}/tasks`, { name: 'Box the vehicles', type: 'labeling', datasetId, recipeId, assigneeIds: [ari.id] });
  expect(task.status).toBe(201);
  taskId = task.body.id;
  itemIds = (await api('GET', `/api/v1/tasks/${taskId}/items`)).body.data.map((u: { itemId: string }) => u.itemId);
});

afterAll(async () => {
  await h?.close();
});

const noProblems = (page: Page) => expect(problemsOf(page).filter((p) => !/401|Unauthorized|422/.test(p))).toEqual([]);

async function drawBox(page: Page) {
  const box = (await page.getByTestId('image-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.45);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.65, box.y + box.height * 0.72, { steps: 5 });
  await page.mouse.up();
}

const savedShapes = async (itemId: string) => (await api('GET', `/api/v1/tasks/${taskId}/items/${itemId}/annotations`)).body.data[0]?.shapes ?? [];
const saved = (page: Page) => page.getByTestId('save-state').filter({ hasText: 'All changes saved' }).waitFor();

describe('the annotation workspace in Chromium', () => {
  it('never relabels silently, undoes and redoes, refuses an empty completion, copies and goes back', async () => {
    const page = await openPage(h, { width: 1440, height: 900 });
    await signIn(page, 'ari@example.com', PASSWORD);
    await page.goto(`/tasks/${taskId}/annotate`);
    await page.getByRole('button', { name: 'Start: next item' }).click();
    await page.waitForURL(/item=/);
    const first = new URL(page.url()).searchParams.get('item')!;
    // The item is named by its external id, not a UUID fragment.
    await page.getByTestId('item-name').filter({ hasText: /street-00\d/ }).waitFor();

    // A box drawn with label 1; switching to the polygon tool and pressing 3 only picks the next
    // polygon's label: the box keeps "car" (issue 17's relabel case).
    await drawBox(page);
    await page.locator('.shape-item', { hasText: 'car' }).waitFor();
    await page.getByRole('button', { name: 'Polygon', exact: true }).click();
    await page.keyboard.press('3');
    await page.getByTestId('editor-note').filter({ hasText: 'Next polygon: bus' }).waitFor();
    const pressed = async () => page.getByRole('group', { name: 'Labels' }).locator('button[aria-pressed="true"]').allTextContents();
    expect(await pressed()).toEqual(['3bus']);
    await saved(page);
    expect((await savedShapes(first)).map((s: { label: string }) => s.label)).toEqual(['car']);

    // Selecting the box and pressing 2 relabels it, and says so.
    await page.locator('.shape-pick').first().click();
    await page.keyboard.press('2');
    await page.getByTestId('editor-note').filter({ hasText: 'Bbox relabeled: car → truck' }).waitFor();
    await page.locator('.shape-item', { hasText: 'truck' }).waitFor();
    // The label grid highlights what a key acts on: the selected box's label, and only it.
    expect(await pressed()).toEqual(['2truck']);
    await shot(page, '30-annotate-relabel');

    // Undo and redo over the item's edits, saved each time.
    await page.keyboard.press('Control+z');
    await page.locator('.shape-item', { hasText: 'car' }).waitFor();
    await saved(page);
    expect((await savedShapes(first)).map((s: { label: string }) => s.label)).toEqual(['car']);
    await page.keyboard.press('Control+z');
    await page.getByText('Annotation (0)').waitFor();
    await page.keyboard.press('Control+Shift+z');
    await page.keyboard.press('Control+Shift+z');
    await page.locator('.shape-item', { hasText: 'truck' }).waitFor();
    await saved(page);
    expect((await savedShapes(first)).map((s: { label: string }) => s.label)).toEqual(['truck']);
    await page.keyboard.press('Shift+Digit1');
    await page.locator('.ws-side h3 .badge', { hasText: 'completed' }).waitFor();

    // The next item is empty: "Completed" says why it is disabled before the click, Shift+1 is
    // refused in the page, and the server refuses it too (docs/workflow.md).
    await page.keyboard.press('n');
    await page.waitForURL((u) => u.searchParams.get('item') !== first);
    const second = new URL(page.url()).searchParams.get('item')!;
    await page.getByText('Annotation (0)').waitFor();
    // The tool chosen on the first item is kept.
    expect(await page.getByRole('button', { name: 'Polygon', exact: true }).getAttribute('aria-pressed')).toBe('true');
    const complete = page.getByRole('button', { name: /Completed/ });
    expect(await complete.isDisabled()).toBe(true);
    await page.getByTestId('status-why').filter({ hasText: 'Nothing is labeled yet' }).waitFor();
    await page.keyboard.press('Shift+Digit1');
    await page.getByTestId('editor-note').filter({ hasText: 'Nothing is labeled yet' }).waitFor();
    await shot(page, '31-annotate-empty-refused');
    expect((await api('GET', `/api/v1/tasks/${taskId}/items?status=done`)).body.data).toHaveLength(1);
    const refused = await api('PUT', `/api/v1/tasks/${taskId}/items/${second}/status`, { status: 'completed' }, ari.token);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('empty_annotation');
    // Discarding an item needs no answer.
    expect(await page.getByRole('button', { name: /Discarded/ }).isDisabled()).toBe(false);

    // Copy the previous item's labels, then complete.
    await page.getByRole('button', { name: 'Copy labels from the previous item' }).click();
    await page.getByTestId('editor-note').filter({ hasText: 'Copied 1 label from the previous item' }).waitFor();
    await page.locator('.shape-item', { hasText: 'truck' }).waitFor();
    await saved(page);
    expect(await complete.isDisabled()).toBe(false);
    await page.keyboard.press('Shift+Digit1');
    await page.locator('.ws-side h3 .badge', { hasText: 'completed' }).waitFor();
    expect((await savedShapes(second)).map((s: { label: string }) => s.label)).toEqual(['truck']);
    await shot(page, '32-annotate-copied');

    // Previous item (P) goes back to the first one, with its box.
    await page.keyboard.press('p');
    await page.waitForURL((u) => u.searchParams.get('item') === first);
    await page.locator('.shape-item', { hasText: 'truck' }).waitFor();
    noProblems(page);
    await page.context().close();
  });

  it('fits a 390×844 phone screen', async () => {
    const page = await openPage(h, { width: 390, height: 844 });
    await signIn(page, 'ari@example.com', PASSWORD);
    await page.goto(`/tasks/${taskId}/annotate?item=${itemIds[0]}`);
    await page.getByTestId('item-name').waitFor();
    await page.getByRole('button', { name: 'Undo' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, '33-phone-annotate-tools');
    noProblems(page);
    await page.context().close();
  });
});
