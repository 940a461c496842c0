import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, callApi, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

const PASSWORD = 'browser-test-password';
const svgImage = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="#9fd3f5"/><rect x="120" y="150" width="140" height="60" rx="10" fill="#e03131"/></svg>',
).toString('base64')}`;

let h: Harness;
let projectId = '';
const people: Record<string, { id: string; token: string; email: string }> = {};

beforeAll(async () => {
  h = await startHarness();
  for (const [key, name] of [['manager', 'Maya Manager'], ['ari', 'Ari Annotator'], ['ana', 'Ana Annotator'], ['rui', 'Rui Reviewer']] as const) {
    const email = `${key}@example.com`;
    people[key] = { ...(await h.user(name, email, PASSWORD)), email };
  }
});

afterAll(async () => {
  await h?.close();
});

const api = (method: string, path: string, token: string, body?: unknown, contentType?: string) => callApi(h, method, path, token, body, contentType);

const noProblems = (page: Page) => expect(problemsOf(page).filter((p) => !/401|Unauthorized/.test(p))).toEqual([]);

describe('the web app in Chromium', () => {
  it('shows the first-start help, signs the administrator in, and creates a project with its team', async () => {
    // The members exist already (created above), so first start is over: check the help with the status route's own answer.
    const page = await openPage(h);
    await page.goto('/');
    await page.waitForURL(/\/sign-in/);
    await expect(page.getByRole('heading', { name: 'Sign in to Loupe' }).isVisible()).resolves.toBe(true);
    await page.getByLabel('Email').fill('admin@localhost');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/invalid_credentials|password/i);
    await shot(page, '01-sign-in-error');

    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    await page.waitForURL(/\/projects/);
    await page.getByText('No projects yet').waitFor();
    await expect(page.getByRole('button', { name: 'Load demo data' }).isVisible()).resolves.toBe(true);
    await shot(page, '02-projects-empty');
    await page.getByRole('button', { name: 'Load demo data' }).click();
    await page.getByRole('heading', { name: 'Demo loaded' }).waitFor({ timeout: 90_000 });
    await page.locator('.demo-users').getByText('ari.annotator@example.com').waitFor();
    await shot(page, '02b-demo-loaded');
    await page.getByLabel('Project name').fill('Browser flow');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/p\/[^/]+\/tasks/);
    projectId = page.url().split('/p/')[1]!.split('/')[0]!;
    await page.getByText('No tasks yet').waitFor();
    await page.locator('.stat').first().waitFor();
    for (const [key, role] of [['manager', 'manager'], ['ari', 'annotator'], ['ana', 'annotator'], ['rui', 'reviewer']] as const) {
      expect((await api('PUT', `/api/v1/projects/${projectId}/members/${people[key]!.id}`, h.adminToken, { role })).status).toBe(200);
    }
    noProblems(page);
    await page.context().close();
  });

  it('lets the manager create a dataset by import and a recipe', async () => {
    const page = await openPage(h);
    await signIn(page, people.manager!.email, PASSWORD);
    await page.goto(`/p/${projectId}/datasets`);
    await page.getByText('No datasets yet').waitFor();
    await page.getByLabel('Dataset name').fill('Street and reviews');
    await page.getByRole('button', { name: 'Create dataset' }).click();
    await page.getByText('Or paste items').click();
    await page.getByLabel('Items to import').waitFor();
    const items = [
      { externalId: 'img-1', kind: 'image', payload: { url: svgImage, width: 400, height: 300 } },
      { externalId: 'img-2', kind: 'image', payload: { url: svgImage, width: 400, height: 300 } },
      { externalId: 'img-3', kind: 'image', payload: { url: svgImage, width: 400, height: 300 } },
      { externalId: 'img-4', kind: 'image', payload: { url: svgImage, width: 400, height: 300 } },
    ];
    await page.getByLabel('Items to import').fill(JSON.stringify(items));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText('4 created').waitFor();
    await shot(page, '03-datasets-import');

    await page.getByRole('link', { name: 'Recipes' }).click();
    await page.getByText('No recipes yet').waitFor();
    await page.getByLabel('Name').fill('Vehicles');
    await page.getByLabel('Labels').fill('car, person, tree');
    await page.getByRole('checkbox', { name: 'bbox' }).check();
    await page.getByRole('button', { name: 'Create recipe' }).click();
    await page.locator('.card-list').getByText('Vehicles').waitFor();
    await shot(page, '04-recipes');
    noProblems(page);
    await page.context().close();
  });

  let taskId = '';

  it('lets the manager create a pulling task and see it in the table and on the board', async () => {
    const page = await openPage(h);
    await signIn(page, people.manager!.email, PASSWORD);
    await page.goto(`/p/${projectId}/tasks`);
    await page.getByRole('button', { name: 'New task' }).click();
    const dialog = page.getByRole('dialog', { name: 'New task' });
    await dialog.getByLabel('Name').fill('Label vehicles');
    await dialog.getByLabel('Dataset').selectOption({ label: 'Street and reviews' });
    await dialog.getByLabel('Recipe').selectOption({ label: 'Vehicles' });
    await dialog.getByLabel('Allocation').selectOption('pulling');
    await dialog.getByLabel('Batch size').fill('2');
    await dialog.getByLabel('Priority').selectOption('high');
    await dialog.getByRole('group', { name: 'Assignees' }).getByRole('checkbox', { name: /Ari Annotator/ }).check();
    await dialog.getByRole('group', { name: 'Assignees' }).getByRole('checkbox', { name: /Ana Annotator/ }).check();
    await dialog.getByRole('group', { name: 'Reviewers' }).getByRole('checkbox', { name: /Rui Reviewer/ }).check();
    await shot(page, '05-new-task-dialog');
    await dialog.getByRole('button', { name: 'Create task' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('row', { name: /Label vehicles/ });
    await row.waitFor();
    taskId = (await row.getByRole('link', { name: 'Label vehicles' }).getAttribute('href'))!.split('/tasks/')[1]!;
    expect(await page.locator('.stat').filter({ hasText: 'Tasks' }).locator('.stat-value').textContent()).toBe('1');
    await shot(page, '06-tasks-table');
    await page.getByRole('button', { name: 'Board' }).click();
    await page.locator('.board-card', { hasText: 'Label vehicles' }).waitFor();
    expect(page.url()).toContain('view=board');
    await shot(page, '07-tasks-board');
    // Drag and drop calls the workflow's transitions: a refused move snaps back with the reason.
    const card = page.locator('.board-card', { hasText: 'Label vehicles' });
    await card.dragTo(page.getByRole('region', { name: 'Review passed' }));
    await page.getByTestId('board-refusal').filter({ hasText: 'cannot move to review passed' }).waitFor();
    // Column titles are sentences ("In progress"); the reason names states in plain words, never as workflow names ("review_passed").
    expect(await page.getByRole('region', { name: 'In progress' }).locator('.board-title').evaluate((e) => (e as HTMLElement).innerText)).toMatch(/^In progress/);
    expect(await page.getByTestId('board-refusal').textContent()).not.toMatch(/[a-z]_[a-z]/);
    await page.getByRole('region', { name: 'Pending', exact: true }).locator('.board-card', { hasText: 'Label vehicles' }).waitFor();
    await shot(page, '07b-board-refused');
    expect((await api('GET', `/api/v1/tasks/${taskId}`, h.adminToken)).body.workflowState).toBe('pending');
    await card.dragTo(page.getByRole('region', { name: 'In progress' }));
    await page.getByRole('region', { name: 'In progress' }).locator('.board-card', { hasText: 'Label vehicles' }).waitFor();
    await page.locator('.toast', { hasText: 'moved to in progress' }).first().waitFor();
    expect((await api('GET', `/api/v1/tasks/${taskId}`, h.adminToken)).body.workflowState).toBe('in_progress');
    noProblems(page);
    await page.context().close();
  });

  async function annotate(key: 'ari' | 'ana', how: 'box' | 'class', count: number) {
    const page = await openPage(h);
    await signIn(page, people[key]!.email, PASSWORD);
    await page.goto(`/tasks/${taskId}/annotate`);
    await page.getByRole('button', { name: 'Start: next item' }).click();
    for (let i = 0; i < count; i++) {
      await page.waitForURL(/item=/);
      await page.locator('.ws-item-head').waitFor();
      if (how === 'box') {
        const canvas = page.getByTestId('image-canvas');
        const box = (await canvas.boundingBox())!;
        await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.45);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 5 });
        await page.mouse.move(box.x + box.width * 0.65, box.y + box.height * 0.72, { steps: 5 });
        await page.mouse.up();
      } else {
        await page.getByRole('button', { name: 'Classification', exact: true }).click();
        await page.keyboard.press('1');
      }
      await page.getByTestId('save-state').filter({ hasText: 'All changes saved' }).waitFor();
      await page.getByText('Annotation (1)').waitFor();
      if (i === 0) await shot(page, `08-annotate-${key}`);
      await page.keyboard.press('Shift+Digit1');
      await page.locator('.ws-side h3 .badge', { hasText: 'completed' }).waitFor();
      if (i < count - 1) {
        const before = page.url();
        await page.keyboard.press('n');
        await page.waitForURL((u) => u.toString() !== before);
      }
    }
    noProblems(page);
    return page;
  }

  it('lets two annotators pull and label: one draws boxes, the other classifies with the keyboard', async () => {
    const ari = await annotate('ari', 'box', 2);
    await ari.context().close();
    const ana = await annotate('ana', 'class', 2);
    await ana.context().close();
    const task = await api('GET', `/api/v1/tasks/${taskId}`, h.adminToken);
    expect(task.body.progress.done).toBe(4);
  });

  let issueItem = '';

  it('lets the manager submit the task for review and the reviewer open an issue on a box', async () => {
    const page = await openPage(h);
    await signIn(page, people.manager!.email, PASSWORD);
    await page.goto(`/tasks/${taskId}`);
    // Labeling moved the task out of `pending` by itself, or the manager starts it here.
    await page.locator('.page-title .badge', { hasText: /^(pending|in progress)$/ }).first().waitFor();
    if (await page.getByRole('button', { name: 'Start', exact: true }).isVisible()) await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('button', { name: 'Submit for review', exact: true }).click();
    await page.locator('.page-title .badge', { hasText: 'pending review' }).waitFor();
    await shot(page, '09-task-detail');
    await page.context().close();

    const ariItems = await api('GET', `/api/v1/tasks/${taskId}/items?assigneeId=${people.ari!.id}`, h.adminToken);
    issueItem = ariItems.body.data[0].itemId;
    const rui = await openPage(h);
    await signIn(rui, people.rui!.email, PASSWORD);
    await rui.goto(`/tasks/${taskId}/review?item=${issueItem}`);
    await rui.getByRole('button', { name: /Ari Annotator/ }).waitFor();
    await rui.getByPlaceholder('What needs fixing?').fill('The box misses the front of the car.');
    await rui.getByRole('button', { name: 'Open issue' }).click();
    await rui.getByTestId('issue').filter({ hasText: 'The box misses the front of the car.' }).waitFor();
    await shot(rui, '10-review-issue');
    noProblems(rui);
    await rui.context().close();
    const summary = await api('GET', `/api/v1/projects/${projectId}/summary`, h.adminToken);
    expect(summary.body.openIssues).toBe(1);
  });

  it('shows the annotator the issue in My work; the fix goes back to the reviewer', async () => {
    const page = await openPage(h);
    await signIn(page, people.ari!.email, PASSWORD);
    await page.goto('/me');
    await page.getByText('The box misses the front of the car.').waitFor();
    await shot(page, '11-my-work');
    await page.getByRole('link', { name: 'Fix it' }).click();
    await page.waitForURL(/annotate\?item=/);
    await page.locator('.shape-item').first().waitFor();
    // Widen the box: select it, then drag its bottom-right handle.
    await page.getByRole('button', { name: 'Select', exact: true }).click();
    await page.locator('.shape-pick').first().click();
    const handle = page.locator('.handle').nth(2);
    const hb = (await handle.boundingBox())!;
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
    await page.mouse.down();
    await page.mouse.move(hb.x + 60, hb.y + 20, { steps: 6 });
    await page.mouse.up();
    await page.getByTestId('save-state').filter({ hasText: 'All changes saved' }).waitFor();
    await page.getByText('Issues (1 open)').waitFor();
    await page.getByRole('button', { name: 'Mark fixed' }).click();
    await page.getByTestId('issue').locator('.badge', { hasText: 'for review' }).waitFor();
    await shot(page, '12-annotate-fixed');
    noProblems(page);
    await page.context().close();
  });

  it('lets the reviewer resolve the issue and pass the task', async () => {
    const page = await openPage(h);
    await signIn(page, people.rui!.email, PASSWORD);
    await page.goto(`/tasks/${taskId}/review?item=${issueItem}`);
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByTestId('issue').locator('.badge', { hasText: 'resolved' }).waitFor();
    await page.getByLabel('Verdict comment').fill('Boxes look right now.');
    await page.getByRole('button', { name: 'Pass task' }).click();
    await page.getByRole('status').filter({ hasText: 'Review passed.' }).waitFor();
    await page.locator('.ws-head .badge', { hasText: 'review passed' }).waitFor();
    await shot(page, '13-review-passed');
    noProblems(page);
    await page.context().close();
    const task = await api('GET', `/api/v1/tasks/${taskId}`, h.adminToken);
    expect(task.body.workflowState).toBe('review_passed');
    expect(task.body.status).toBe('completed');
  });

  it('shows the manager the counters and the charts moved', async () => {
    const page = await openPage(h);
    await signIn(page, people.manager!.email, PASSWORD);
    await page.goto(`/p/${projectId}/tasks`);
    const row = page.getByRole('row', { name: /Label vehicles/ });
    await row.getByText('100%').waitFor();
    expect(await page.locator('.stat').filter({ hasText: 'Open issues' }).locator('.stat-value').textContent()).toBe('0');
    await shot(page, '14-tasks-after');
    await page.goto(`/tasks/${taskId}?tab=analytics`);
    await page.getByText('Progress over time').waitFor();
    await page.locator('svg[aria-label="Items done over time"] circle.dot').first().waitFor();
    expect(await page.locator('.stat').filter({ hasText: 'Done' }).locator('.stat-value').textContent()).toBe('4 / 4');
    // The line starts at zero when the task was created: a line, never one lone dot.
    expect(await page.locator('svg[aria-label="Items done over time"] circle.dot').count()).toBeGreaterThanOrEqual(2);
    await shot(page, '15-task-analytics');
    await page.goto(`/tasks/${taskId}?tab=items`);
    await page.locator('.tab-panel tbody tr').nth(3).waitFor();
    await shot(page, '16-task-items');
    await page.goto('/tasks/00000000-0000-7000-8000-000000000000');
    await page.getByRole('alert').filter({ hasText: /not_found/ }).waitFor();
    // Plain words up front; the server's own words only behind "Details".
    expect(await page.getByRole('alert').locator('.state-message').textContent()).toBe('This no longer exists, or you do not have access to it.');
    expect(await page.getByRole('alert').locator('.error-details code').textContent()).toMatch(/Not Found: .*\(not_found\)/);
    await shot(page, '23-error-state');
    expect(problemsOf(page).filter((p) => !/404/.test(p))).toEqual([]);
    await page.context().close();
  });

  it('is usable on a 390×844 phone screen', async () => {
    const page = await openPage(h, { width: 390, height: 844 });
    await signIn(page, people.manager!.email, PASSWORD);
    await page.goto(`/p/${projectId}/tasks`);
    await page.getByRole('row', { name: /Label vehicles/ }).waitFor();
    await shot(page, '17-phone-tasks');
    // Nothing is wider than the screen except the scrollable table.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.goto(`/tasks/${taskId}/annotate?item=${issueItem}`);
    await page.locator('.ws-item-head').waitFor();
    await shot(page, '18-phone-annotate');
    noProblems(page);
    await page.context().close();
  });

  it('shows the demo project: text spans, a conversation with its checks, a trace', async () => {
    const projects = await api('GET', '/api/v1/projects', h.adminToken);
    const demo = projects.body.data.find((p: { name: string }) => p.name.startsWith('Demo'));
    const demoTasks = (await api('GET', `/api/v1/projects/${demo.id}/tasks`, h.adminToken)).body.data as Array<{ id: string; name: string }>;
    const sentiment = demoTasks.find((t) => t.name.startsWith('Review sentiment'))!;
    const support = demoTasks.find((t) => t.name === 'Support answers QA')!;

    const ari = await openPage(h);
    await signIn(ari, 'ari.annotator@example.com', 'demo-annotator-1');
    await ari.goto(`/p/${demo.id}/tasks`);
    await ari.getByRole('row', { name: /Review sentiment/ }).waitFor();
    await shot(ari, '19-demo-tasks');
    const mine = await api('GET', `/api/v1/tasks/${sentiment.id}/items?status=pending`, h.adminToken);
    const pendingOfAri = (mine.body.data as Array<{ itemId: string; workerId: string | null; assignmentId: string | null }>)[0];
    await ari.goto(`/tasks/${sentiment.id}/annotate${pendingOfAri ? `?item=${pendingOfAri.itemId}` : ''}`);
    if (!pendingOfAri) await ari.getByRole('button', { name: 'Start: next item' }).click();
    await ari.locator('.text-viewer').waitFor();
    await ari.getByRole('button', { name: 'Text span', exact: true }).click();
    await ari.keyboard.press('4');
    // Select the first word of the text with a DOM range, as a mouse drag would.
    await ari.evaluate(() => {
      const node = document.querySelector('.text-viewer span')!.firstChild!;
      const range = document.createRange();
      range.setStart(node, 4);
      range.setEnd(node, 14);
      const selection = window.getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
      document.querySelector('.text-viewer')!.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
    });
    await ari.locator('.span-mark').first().waitFor();
    await ari.getByTestId('save-state').filter({ hasText: /All changes saved|Not saved/ }).waitFor();
    await shot(ari, '20-annotate-text');
    await ari.context().close();

    const rui = await openPage(h);
    await signIn(rui, 'rui.reviewer@example.com', 'demo-reviewer-1');
    const convItems = (await api('GET', `/api/v1/tasks/${support.id}/items`, h.adminToken)).body.data as Array<{ itemId: string }>;
    const items = await Promise.all(convItems.map(async (x) => (await api('GET', `/api/v1/items/${x.itemId}`, h.adminToken)).body as { id: string; kind: string }));
    await rui.goto(`/tasks/${support.id}/review?item=${items.find((i) => i.kind === 'test_case')!.id}`);
    await rui.locator('.checks').waitFor();
    expect(await rui.locator('.check-fail').count()).toBeGreaterThan(0);
    await shot(rui, '21-review-test-case');
    await rui.goto(`/tasks/${support.id}/review?item=${items.find((i) => i.kind === 'trace')!.id}`);
    await rui.locator('.trace .span-row').first().waitFor();
    await shot(rui, '22-review-trace');
    noProblems(rui);
    await rui.context().close();
  });

  it('lets the manager create a honeypot task with its gold items and share', async () => {
    const datasets = (await api('GET', `/api/v1/projects/${projectId}/datasets`, people.manager!.token)).body.data as Array<{ id: string; name: string }>;
    const dataset = datasets.find((d) => d.name === 'Street and reviews')!;
    const itemIds = ((await api('GET', `/api/v1/datasets/${dataset.id}/items`, people.manager!.token)).body.data as Array<{ id: string }>).map((i) => i.id);
    const page = await openPage(h);
    await signIn(page, people.manager!.email, PASSWORD);
    await page.goto(`/p/${projectId}/tasks`);
    await page.getByRole('button', { name: 'New task' }).click();
    const dialog = page.getByRole('dialog', { name: 'New task' });
    await dialog.getByLabel('Name').fill('Spot checks');
    await dialog.getByLabel('Type').selectOption('honeypot');
    await dialog.getByLabel('Dataset').selectOption({ label: 'Street and reviews' });
    await dialog.getByLabel('Gold item ids').fill(itemIds.slice(0, 2).join('\n'));
    await dialog.getByLabel('Gold share').fill('0.25');
    await dialog.getByRole('group', { name: 'Assignees' }).getByRole('checkbox', { name: /Ari Annotator/ }).check();
    await shot(page, '23-new-honeypot-task');
    await dialog.getByRole('button', { name: 'Create task' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /Spot checks/ }).waitFor();
    const tasks = (await api('GET', `/api/v1/projects/${projectId}/tasks?type=honeypot`, people.manager!.token)).body.data as Array<{ name: string; honeypot: unknown }>;
    expect(tasks.find((t) => t.name === 'Spot checks')?.honeypot).toEqual({ goldItemIds: itemIds.slice(0, 2), ratio: 0.25 });
    noProblems(page);
    await page.context().close();
  });
});
