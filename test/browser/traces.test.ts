import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';
import { exportSpans, llmTrace, protoExporter } from '../traces/otel-client.ts';

const PASSWORD = 'browser-test-password';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

const api = (method: string, path: string, token: string, body?: unknown, contentType?: string) => callApi(h, method, path, token, body, contentType);

describe('the traces pages in Chromium', () => {
  it('lists traces sent by the OpenTelemetry SDK and shows one as a waterfall with input and output', async () => {
    const owner = await h.user('Tia Tracer', 'tia@example.com', PASSWORD);
    const project = await api('POST', '/api/v1/projects', owner.token, { name: 'Support bot' });
    expect(project.status).toBe(201);
    const projectId = project.body.id as string;
    const token = await api('POST', `/api/v1/projects/${projectId}/ingest-tokens`, owner.token, { name: 'prod' });
    const exporter = protoExporter(h.url, token.body.token);
    const first = llmTrace({ model: 'gpt-4o-mini', input: 'How do I reset my password?', output: 'Open Settings → Security and choose “Reset password”.' });
    expect(await exportSpans(exporter, first)).toEqual({ ok: true });
    expect(await exportSpans(exporter, llmTrace({ model: 'claude-3-haiku', error: true, input: 'Cancel my order 1234', output: '' }))).toEqual({ ok: true });

    const page = await openPage(h);
    await page.goto('/sign-in');
    await page.setViewportSize({ width: 1280, height: 800 });
    await signIn(page, 'tia@example.com', PASSWORD);

    await page.goto(`/p/${projectId}/traces`);
    await page.getByRole('link', { name: 'answer-question' }).first().waitFor();
    expect(await page.locator('tbody tr').count()).toBe(2);
    expect(await page.locator('tbody').textContent()).toContain('gpt-4o-mini');
    await shot(page, 'traces-list');

    await page.getByLabel('Status').selectOption('error');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    expect(await page.locator('tbody').textContent()).toContain('claude-3-haiku');
    await page.getByLabel('Status').selectOption('');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 2);

    // An evaluator scores the LLM spans (a backfill run by the job workers): its result shows on the span.
    const evaluator = await api('POST', `/api/v1/projects/${projectId}/evaluators`, owner.token, { name: 'mentions settings', kind: 'code', check: 'contains', params: { value: 'Settings' } });
    expect(evaluator.status).toBe(201);
    const task = await api('POST', `/api/v1/projects/${projectId}/eval-tasks`, owner.token, { name: 'answers', evaluatorIds: [evaluator.body.id], target: { kind: 'spans' }, filter: { spanKind: 'LLM' }, samplingRate: 1 });
    expect(task.status).toBe(201);
    const run = await api('POST', `/api/v1/eval-tasks/${task.body.id}/backfill`, owner.token, {});
    expect(run.status).toBe(202);
    for (let i = 0; i < 300 && (await api('GET', `/api/v1/eval-runs/${run.body.id}`, owner.token)).body.status !== 'completed'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await api('GET', `/api/v1/eval-runs/${run.body.id}`, owner.token)).body.counts).toMatchObject({ scored: 2 });

    const traceId = first[0]!.spanContext().traceId;
    await page.goto(`/p/${projectId}/traces/${traceId}`);
    await page.getByRole('table', { name: 'Span waterfall' }).waitFor();
    expect(await page.getByRole('table', { name: 'Span waterfall' }).getByRole('row').count()).toBe(3);
    const detail = page.getByRole('region', { name: 'Span details' });
    await detail.getByText('How do I reset my password?').waitFor();
    expect(await detail.textContent()).toContain('gpt-4o-mini');
    // The LLM span (selected first) carries its evaluation: label, score and explanation.
    const evaluation = detail.getByRole('row').filter({ hasText: 'pass' });
    await evaluation.waitFor();
    expect(await evaluation.textContent()).toContain('Settings');
    await shot(page, 'traces-trace-view');
    await page.getByRole('row').filter({ hasText: 'retrieve' }).click();
    await detail.getByRole('heading', { name: 'retrieve' }).waitFor();
    await shot(page, 'traces-span-selected');

    await page.goto(`/p/${projectId}/traces/0af7651916cd43dd8448eb211c80319c`);
    await page.getByRole('alert').waitFor();
    await shot(page, 'traces-not-found');
    expect(problemsOf(page).filter((p) => !/401|404|Unauthorized|Not Found/.test(p))).toEqual([]);
  });

  it('shows the empty state to a project without traces', async () => {
    const owner = await h.user('Eli Empty', 'eli@example.com', PASSWORD);
    const project = await api('POST', '/api/v1/projects', owner.token, { name: 'Quiet' });
    const page = await openPage(h);
    await signIn(page, 'eli@example.com', PASSWORD);
    await page.goto(`/p/${project.body.id}/traces`);
    await page.getByText('No traces yet').waitFor();
    await shot(page, 'traces-empty');
  });
});
