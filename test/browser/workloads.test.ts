import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, callApi, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const api = (method: string, path: string, token: string, body?: unknown, contentType?: string) => callApi(h, method, path, token, body, contentType);

describe('workloads in Chromium', () => {
  it('shows the overview, the cycles against their target, the evaluators’ assignments and the reviewee score chart', async () => {
    const admin = h.adminToken;
    const project = (await api('POST', '/api/v1/projects', admin, { name: 'Support QA' })).body;
    const evaluators = [await h.user('Eva Evaluator', 'eva@example.com', 'pw-eva-123456'), await h.user('Ed Evaluator', 'ed@example.com', 'pw-ed-1234567')];
    const agents = [await h.user('Alice Agent', 'alice@example.com', 'pw-alice-1234'), await h.user('Bob Agent', 'bob@example.com', 'pw-bob-123456')];
    for (const u of evaluators) await api('PUT', `/api/v1/projects/${project.id}/members/${u.id}`, admin, { role: 'reviewer' });
    for (const u of agents) await api('PUT', `/api/v1/projects/${project.id}/members/${u.id}`, admin, { role: 'annotator' });
    const dataset = (await api('POST', `/api/v1/projects/${project.id}/datasets`, admin, { name: 'Conversations' })).body;
    const lines = agents.flatMap((a, k) => Array.from({ length: 5 }, (_, i) => JSON.stringify({ kind: 'conversation', payload: { turns: [{ role: 'user', content: `Where is my order ${k}-${i}?` }, { role: 'assistant', content: 'Let me check.' }] }, metadata: { agentId: a.id } })));
    expect((await api('POST', `/api/v1/datasets/${dataset.id}/items`, admin, lines.join('\n') + '\n', 'application/x-ndjson')).status).toBeLessThan(300);
    const recipe = (await api('POST', `/api/v1/projects/${project.id}/recipes`, admin, { name: 'Scorecard', labels: [], tools: ['rating'], ratingCategories: [{ name: 'tone', min: 1, max: 5, weight: 2 }, { name: 'resolution', min: 0, max: 10, weight: 1 }] })).body;
    const body = {
      name: 'Weekly agent QA',
      revieweeIds: agents.map((a) => a.id),
      evaluatorIds: evaluators.map((e) => e.id),
      scorecardRecipeId: recipe.id,
      schedule: { frequency: 'weekly', timeZone: 'Europe/Berlin' },
      target: { count: 3, per: 'reviewee' },
      sampling: { datasetId: dataset.id, revieweeField: 'metadata.agentId', strategy: 'stratified' },
      subscriberIds: [evaluators[0]!.id],
    };
    const w = (await api('POST', `/api/v1/projects/${project.id}/workloads`, admin, body)).body;
    expect(w.currentCycle.target).toBe(6);
    await api('POST', `/api/v1/projects/${project.id}/workloads`, admin, { ...body, name: 'Daily escalations', schedule: { frequency: 'daily' }, target: { count: 2, per: 'total' } });
    // A few evaluations, one skip.
    const taskId = w.currentCycle.taskId;
    const units = (await api('GET', `/api/v1/tasks/${taskId}/items?limit=50`, admin)).body.data;
    const assignments = (await api('GET', `/api/v1/tasks/${taskId}/assignments`, admin)).body.data;
    const tokenOf = (assignmentId: string) => evaluators.find((e) => e.id === assignments.find((a: any) => a.id === assignmentId).assigneeId)!.token;
    for (const [i, u] of units.slice(0, 4).entries()) {
      const token = tokenOf(u.assignmentId);
      expect((await api('PUT', `/api/v1/tasks/${taskId}/items/${u.itemId}/annotations`, token, { shapes: [{ tool: 'rating', category: 'tone', value: 2 + (i % 4) }, { tool: 'rating', category: 'resolution', value: 4 + i }] })).status).toBe(200);
      expect((await api('PUT', `/api/v1/tasks/${taskId}/items/${u.itemId}/status`, token, { status: 'completed' })).status).toBe(200);
    }
    expect((await api('POST', `/api/v1/tasks/${taskId}/items/${units[4].itemId}/skip`, tokenOf(units[4].assignmentId), { reason: 'Spam' })).status).toBe(200);

    const page = await openPage(h);
    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    await page.goto(`/p/${project.id}/workloads`);
    await page.getByRole('table', { name: 'Workloads' }).waitFor();
    const overview = await page.getByRole('table', { name: 'Workloads' }).textContent();
    expect(overview).toContain('Weekly agent QA');
    expect(overview).toContain('(Europe/Berlin)');
    expect(overview).toContain('3 per reviewee');
    expect(overview).toContain('1 subscriber');
    await shot(page, 'workloads-overview');

    await page.getByRole('link', { name: 'Weekly agent QA' }).click();
    await page.getByRole('table', { name: 'Cycles' }).waitFor();
    await page.getByRole('img', { name: 'Reviewee scores over cycles' }).waitFor();
    const cycles = await page.getByRole('table', { name: 'Cycles' }).textContent();
    expect(cycles).toContain('4 / 6');
    expect(await page.getByRole('table', { name: 'Assignments' }).locator('tbody tr').count()).toBe(2);
    expect(await page.locator('figure.chart circle').count()).toBe(2);
    await shot(page, 'workloads-detail');

    // A manager creates a workload in the app: the form, then its page.
    await page.goto(`/p/${project.id}/workloads`);
    await page.getByRole('button', { name: 'New workload' }).click();
    const form = page.getByRole('form', { name: 'Create a workload' });
    await form.getByLabel('Name', { exact: true }).fill('Monthly spot check');
    await form.getByLabel(/^Scorecard recipe/).selectOption(recipe.id);
    await form.getByLabel(/^Sample from dataset/).selectOption(dataset.id);
    await form.getByLabel(/^Repeats/).selectOption('monthly');
    await form.getByLabel(/^Time zone/).fill('UTC');
    await form.getByLabel(/^Target/).fill('2');
    await form.getByLabel(/^Counted/).selectOption('total');
    expect(await form.getByRole('button', { name: 'Create workload' }).isDisabled()).toBe(true);
    await form.getByTestId('workload-why').filter({ hasText: 'Choose at least one reviewee' }).waitFor();
    await form.getByRole('group', { name: 'Reviewees' }).getByLabel(/Alice Agent/).check();
    await form.getByRole('group', { name: 'Evaluators' }).getByLabel(/Eva Evaluator/).check();
    // AutoQA asks which evaluator of the project answers for it.
    await form.getByLabel(/^AutoQA/).selectOption('copilot');
    await form.getByLabel(/^AI evaluator/).waitFor();
    await shot(page, 'workloads-create');
    await form.getByLabel(/^AutoQA/).selectOption('off');
    await form.getByRole('button', { name: 'Create workload' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/workloads/') && !u.pathname.endsWith(w.id));
    const created = (await api('GET', `/api/v1/workloads/${new URL(page.url()).pathname.split('/').pop()}`, admin)).body;
    expect(created).toMatchObject({ name: 'Monthly spot check', scorecardRecipeId: recipe.id, revieweeIds: [agents[0]!.id], evaluatorIds: [evaluators[0]!.id], autoQa: 'off', schedule: { frequency: 'monthly', timeZone: 'UTC' }, target: { count: 2, per: 'total' } });
    expect(problemsOf(page)).toEqual([]);
  }, 180_000);
});
