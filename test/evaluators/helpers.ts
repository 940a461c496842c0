import { expect } from 'vitest';
import type { TestApp } from '../support/test-app.ts';
import { importItems } from '../reviews/review-helpers.ts';
import { executeRun } from '../../src/evaluators/eval-runner.ts';
import { llmSettingsFromEnv, type LlmSettings } from '../../src/evaluators/llm-port.ts';

/** LLM settings pointed at the stub: short timeout and backoff so the tests stay fast. */
export function stubSettings(url: string, extra: Partial<LlmSettings> = {}): LlmSettings {
  return { ...llmSettingsFromEnv({ LOUPE_LLM_BASE_URL: url }), timeoutMs: 1500, backoffMs: 5, maxRetries: 2, concurrency: 4, ...extra };
}

export const testCase = (output: string, extra: Record<string, unknown> = {}) => ({
  kind: 'test_case',
  payload: { turns: [{ role: 'user', content: 'What is the capital of France?' }, { role: 'assistant', content: output }], expectedOutput: 'Paris', ...extra },
});

/** A project with a dataset of items (test cases unless told otherwise). */
export async function datasetProject(t: TestApp, lines: unknown[]) {
  const project = await t.project();
  const token = project.owner.token;
  const { datasetId, itemIds } = await importItems(t, project.id, token, lines);
  return { project, token, datasetId, itemIds };
}

export async function createEvaluator(t: TestApp, projectId: string, token: string, body: Record<string, unknown>) {
  const res = await t.post(`/api/v1/projects/${projectId}/evaluators`, body, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

export async function createEvalTask(t: TestApp, projectId: string, token: string, body: Record<string, unknown>) {
  const res = await t.post(`/api/v1/projects/${projectId}/eval-tasks`, { samplingRate: 1, ...body }, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** Starts a run through the API (202), then runs it here, as the job worker would. */
export async function runNow(t: TestApp, taskId: string, token: string, body: Record<string, unknown> = {}) {
  const res = await t.post(`/api/v1/eval-tasks/${taskId}/backfill`, body, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await executeRun(t.ctx, res.body.id);
  return (await t.get(`/api/v1/eval-runs/${res.body.id}`, { token })).body;
}

export async function decisions(t: TestApp, runId: string, token: string, decision?: string) {
  const out: any[] = [];
  let cursor: string | undefined;
  do {
    const res = await t.get(`/api/v1/eval-runs/${runId}/decisions`, { token, query: { limit: 500, cursor, decision } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
