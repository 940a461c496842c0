import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 180_000);
afterAll(async () => {
  await h?.close();
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.url}${path}`, { method, headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function waitForRun(runId: string) {
  for (let i = 0; i < 100; i++) {
    const run = await api('GET', `/api/v1/eval-runs/${runId}`);
    if (run.status !== 'queued' && run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the run did not finish');
}

const testCase = (answer: string) => ({ kind: 'test_case', payload: { turns: [{ role: 'user', content: 'Capital of France?' }, { role: 'assistant', content: answer }], expectedOutput: 'Paris' } });

describe('evaluators in the browser', () => {
  it('shows eval tasks with run pills and a blocked reason, a run with its decisions and log, and makes a ticket from a failed test case', async () => {
    const project = await api('POST', '/api/v1/projects', { name: 'Agent QA' });
    const dataset = await api('POST', `/api/v1/projects/${project.id}/datasets`, { name: 'golden set' });
    const lines = [testCase('Paris'), testCase('Lyon'), testCase('Paris, of course'), testCase('Paris')].map((l) => JSON.stringify(l)).join('\n');
    const imported = await fetch(`${h.url}/api/v1/datasets/${dataset.id}/items`, { method: 'POST', headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/x-ndjson' }, body: `${lines}\n` });
    expect(imported.status).toBeLessThan(300);
    const exact = await api('POST', `/api/v1/projects/${project.id}/evaluators`, { name: 'exact answer', kind: 'code', check: 'exact_match', params: {} });
    const short = await api('POST', `/api/v1/projects/${project.id}/evaluators`, { name: 'short answer', kind: 'code', check: 'length', params: { max: 12 } });
    await api('POST', `/api/v1/projects/${project.id}/evaluators`, { name: 'hallucination judge', kind: 'llm', model: 'llama3', template: 'Q: {{input}}\nA: {{output}}', labels: { factual: 1, hallucinated: 0 } });
    const latency = await api('POST', `/api/v1/projects/${project.id}/evaluators`, { name: 'latency under 2s', kind: 'code', check: 'latency', params: { maxMs: 2000 } });
    const task = await api('POST', `/api/v1/projects/${project.id}/eval-tasks`, { name: 'Golden set regression', evaluatorIds: [exact.id, short.id], target: { kind: 'dataset', datasetId: dataset.id }, samplingRate: 1 });
    const first = await waitForRun((await api('POST', `/api/v1/eval-tasks/${task.id}/backfill`, {})).id);
    await waitForRun((await api('POST', `/api/v1/eval-tasks/${task.id}/backfill`, {})).id);
    // Test cases have no latency: every check fails, and the task blocks after 2.
    const blocking = await api('POST', `/api/v1/projects/${project.id}/eval-tasks`, { name: 'Latency watch', evaluatorIds: [latency.id], target: { kind: 'dataset', datasetId: dataset.id }, samplingRate: 1, blockAfterErrors: 2 });
    await waitForRun((await api('POST', `/api/v1/eval-tasks/${blocking.id}/backfill`, {})).id);

    const page = await openPage(h);
    await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
    await page.goto(`/p/${project.id}/evaluators`);
    const table = page.getByRole('table', { name: 'Evaluation tasks' });
    await table.getByText('Golden set regression').waitFor();
    await table.getByText(/failed on 4 consecutive items/).waitFor();
    expect(await table.locator('.run-pill').count()).toBe(3);
    await shot(page, 'evaluators-hub');

    await page.goto(`/eval-runs/${first.id}`);
    await page.getByRole('table', { name: 'Test case results' }).waitFor();
    await page.getByRole('list', { name: 'Run log' }).getByText(/Completed/).waitFor();
    await shot(page, 'evaluators-run');
    const failedRow = page.getByRole('row').filter({ hasText: 'failed' }).first();
    await failedRow.getByRole('button', { name: 'Create ticket' }).click();
    await failedRow.getByRole('link', { name: 'Ticket created' }).waitFor();
    await shot(page, 'evaluators-ticket');
    const tickets = await api('GET', `/api/v1/projects/${project.id}/tasks?type=ticket`);
    expect(tickets.data).toHaveLength(1);

    await page.getByRole('button', { name: /scored/ }).click();
    await page.getByRole('table', { name: 'Decisions' }).waitFor();
    expect(problemsOf(page)).toEqual([]);
  });
});
