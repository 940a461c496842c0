import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { executeRun } from '../../src/evaluators/eval-runner.ts';
import { sampled } from '../../src/evaluators/mapping.ts';
import { createEvalTask, createEvaluator, datasetProject, decisions, runNow, stubSettings, testCase } from './helpers.ts';
import { startLlmStub, type LlmStub } from './llm-stub.ts';

let t: TestApp;
let stub: LlmStub;
beforeAll(async () => {
  stub = await startLlmStub();
  t = await createTestApp({ llm: stubSettings(stub.url) });
});
afterAll(async () => {
  await t?.close();
  await stub?.close();
});

describe('evaluators', () => {
  it('creates, lists, changes and deletes evaluators, and refuses to delete one a task uses', async () => {
    const { project, token, datasetId } = await datasetProject(t, [testCase('Paris')]);
    const id = await createEvaluator(t, project.id, token, { name: 'exact', kind: 'code', check: 'exact_match', params: {} });
    const judge = await createEvaluator(t, project.id, token, { name: 'judge', kind: 'llm', model: 'm', template: '{{output}}', labels: { factual: 1, hallucinated: 0 } });
    const list = await t.get(`/api/v1/projects/${project.id}/evaluators`, { token });
    expect(list.body.data.map((e: any) => e.id)).toEqual([id, judge]);
    const patched = await t.patch(`/api/v1/evaluators/${id}`, { name: 'exact match', params: { caseSensitive: false } }, { token });
    expect(patched.body).toMatchObject({ name: 'exact match', params: { caseSensitive: false } });
    await createEvalTask(t, project.id, token, { name: 'uses it', evaluatorIds: [id], target: { kind: 'dataset', datasetId } });
    const refused = await t.delete(`/api/v1/evaluators/${id}`, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('evaluator_in_use');
    expect((await t.delete(`/api/v1/evaluators/${judge}`, { token })).status).toBe(204);
    expect((await t.get(`/api/v1/evaluators/${judge}`, { token })).status).toBe(404);
  });

  it('refuses an LLM base URL that is not configured or allowed (no calls to arbitrary URLs)', async () => {
    const { project, token } = await datasetProject(t, [testCase('Paris')]);
    const res = await t.post(`/api/v1/projects/${project.id}/evaluators`, { name: 'j', kind: 'llm', model: 'm', template: 'x', labels: { a: 1, b: 0 }, baseUrl: 'http://169.254.169.254/latest' }, { token });
    expect(res.status).toBe(422);
    const ok = await t.post(`/api/v1/projects/${project.id}/evaluators`, { name: 'j', kind: 'llm', model: 'm', template: 'x', labels: { a: 1, b: 0 }, baseUrl: `${stub.url}/` }, { token });
    expect(ok.status).toBe(201);
  });

  it('refuses a regex that does not compile or is too long, and an invalid JSON schema', async () => {
    const { project, token } = await datasetProject(t, [testCase('Paris')]);
    const post = (params: unknown, check = 'regex') => t.post(`/api/v1/projects/${project.id}/evaluators`, { name: 'r', kind: 'code', check, params }, { token });
    expect((await post({ pattern: '(' })).status).toBe(422);
    expect((await post({ pattern: 'a'.repeat(501) })).status).toBe(422);
    expect((await post({ schema: { type: 'nonsense' } }, 'json_schema')).status).toBe(422);
  });

  it('hides evaluators and tasks of other projects (404)', async () => {
    const { project, token } = await datasetProject(t, [testCase('Paris')]);
    const id = await createEvaluator(t, project.id, token, { name: 'exact', kind: 'code', check: 'exact_match', params: {} });
    const stranger = await t.project();
    expect((await t.get(`/api/v1/evaluators/${id}`, { token: stranger.owner.token })).status).toBe(404);
    const viewer = await t.member(project.id, 'viewer');
    expect((await t.post(`/api/v1/projects/${project.id}/evaluators`, { name: 'x', kind: 'code', check: 'json_valid', params: {} }, { token: viewer.token })).status).toBe(403);
  });
});

describe('dataset runs', () => {
  it('logs every decision kind a dataset run makes: scored, draft, filtered_out and sampled_out', async () => {
    const lines = [
      ...Array.from({ length: 20 }, (_, i) => ({ ...testCase(i % 2 ? 'Paris' : 'Lyon'), metadata: { suite: 'geo' } })),
      { ...testCase('Paris'), metadata: { suite: 'other' } },
    ];
    const { project, token, datasetId, itemIds } = await datasetProject(t, lines);
    await t.patch(`/api/v1/items/${itemIds[0]}`, { draft: true }, { token });
    const exact = await createEvaluator(t, project.id, token, { name: 'exact', kind: 'code', check: 'exact_match', params: {} });
    const taskId = await createEvalTask(t, project.id, token, { name: 'geo', evaluatorIds: [exact], target: { kind: 'dataset', datasetId }, samplingRate: 0.5, filter: { attributes: { suite: 'geo' } } });
    const run = await runNow(t, taskId, token);
    expect(run.status).toBe('completed');
    const expectedSampled = itemIds.slice(1, 20).filter((id) => sampled(taskId, id, 0.5));
    expect(run.counts).toMatchObject({ draft: 1, filtered_out: 1, scored: expectedSampled.length, sampled_out: 19 - expectedSampled.length, error: 0, duplicate: 0 });
    expect(expectedSampled.length).toBeGreaterThan(0);
    expect(expectedSampled.length).toBeLessThan(19);
    const all = await decisions(t, run.id, token);
    expect(all.find((d) => d.itemId === itemIds[0]).decision).toBe('draft');
    expect(all.find((d) => d.itemId === itemIds[20]).decision).toBe('filtered_out');
    expect((await decisions(t, run.id, token, 'scored')).map((d) => d.itemId).sort()).toEqual([...expectedSampled].sort());
  });

  it('samples the same items on a re-run, and never scores an item twice for a task (duplicate)', async () => {
    const { project, token, datasetId } = await datasetProject(t, Array.from({ length: 30 }, () => testCase('Paris')));
    const exact = await createEvaluator(t, project.id, token, { name: 'exact', kind: 'code', check: 'exact_match', params: {} });
    const taskId = await createEvalTask(t, project.id, token, { name: 'x', evaluatorIds: [exact], target: { kind: 'dataset', datasetId }, samplingRate: 0.4 });
    const first = await runNow(t, taskId, token);
    const second = await runNow(t, taskId, token);
    const out1 = (await decisions(t, first.id, token, 'sampled_out')).map((d) => d.itemId).sort();
    const out2 = (await decisions(t, second.id, token, 'sampled_out')).map((d) => d.itemId).sort();
    expect(out2).toEqual(out1);
    expect(second.counts.scored).toBe(0);
    expect(second.counts.duplicate).toBe(first.counts.scored);
  });

  it('scores each item once when two runs of one task race (the loser logs duplicate)', async () => {
    const { project, token, datasetId } = await datasetProject(t, Array.from({ length: 60 }, (_, i) => testCase(i % 3 ? 'Paris' : 'Rome')));
    const exact = await createEvaluator(t, project.id, token, { name: 'exact', kind: 'code', check: 'exact_match', params: {} });
    const judge = await createEvaluator(t, project.id, token, { name: 'judge', kind: 'llm', model: 'm', template: 'Judge {{output}}', labels: { factual: 1, hallucinated: 0 } });
    const taskId = await createEvalTask(t, project.id, token, { name: 'race', evaluatorIds: [exact, judge], target: { kind: 'dataset', datasetId } });
    const a = (await t.post(`/api/v1/eval-tasks/${taskId}/backfill`, {}, { token })).body.id;
    const b = (await t.post(`/api/v1/eval-tasks/${taskId}/backfill`, {}, { token })).body.id;
    await Promise.all([executeRun(t.ctx, a, 7), executeRun(t.ctx, b, 11)]);
    const runs = (await t.get(`/api/v1/eval-tasks/${taskId}/runs`, { token })).body.data;
    const scored = runs.reduce((n: number, r: any) => n + r.counts.scored, 0);
    const duplicate = runs.reduce((n: number, r: any) => n + r.counts.duplicate, 0);
    expect(scored).toBe(120);
    expect(duplicate).toBe(120);
    const results = [...(await t.get(`/api/v1/eval-runs/${a}/results`, { token, query: { limit: 500 } })).body.data, ...(await t.get(`/api/v1/eval-runs/${b}/results`, { token, query: { limit: 500 } })).body.data];
    const checks = results.flatMap((r: any) => r.checks.map((c: any) => `${c.evaluatorId}:${r.itemId}`));
    expect(new Set(checks).size).toBe(120);
    expect(checks.length).toBe(120);
  });

  it('gives per-test-case results and makes a ticket from a failed one that drafts the test case, which later runs skip', async () => {
    const { project, token, datasetId, itemIds } = await datasetProject(t, [testCase('Paris'), testCase('Lyon')]);
    const exact = await createEvaluator(t, project.id, token, { name: 'exact', kind: 'code', check: 'exact_match', params: {} });
    const length = await createEvaluator(t, project.id, token, { name: 'short', kind: 'code', check: 'length', params: { max: 10 } });
    const taskId = await createEvalTask(t, project.id, token, { name: 'tc', evaluatorIds: [exact, length], target: { kind: 'dataset', datasetId } });
    const run = await runNow(t, taskId, token);
    const results = (await t.get(`/api/v1/eval-runs/${run.id}/results`, { token })).body.data;
    const failed = results.find((r: any) => r.itemId === itemIds[1]);
    const passed = results.find((r: any) => r.itemId === itemIds[0]);
    expect(passed).toMatchObject({ passed: true, reason: null });
    expect(failed).toMatchObject({ passed: false });
    expect(failed.reason).toContain('exact');
    expect(failed.checks).toHaveLength(2);

    const rate = async () => {
      const res = await t.get(`/api/v1/eval-runs/${run.id}/success-rate`, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    expect(await rate()).toEqual({ runId: run.id, testCases: 2, passed: 1, failed: 1, successRate: 0.5, excludedDrafts: 0 });
    // A drafted test case leaves the success rate until it is undrafted.
    await t.patch(`/api/v1/items/${itemIds[0]}`, { draft: true }, { token });
    expect(await rate()).toMatchObject({ testCases: 1, passed: 0, failed: 1, successRate: 0, excludedDrafts: 1 });
    await t.patch(`/api/v1/items/${itemIds[0]}`, { draft: false }, { token });
    expect(await rate()).toMatchObject({ testCases: 2, passed: 1, successRate: 0.5, excludedDrafts: 0 });

    const developer = await t.member(project.id, 'annotator');
    expect((await t.post(`/api/v1/eval-results/${passed.id}/ticket`, {}, { token })).status).toBe(422);
    // An empty assignee reference is refused by the route's schema (found by the fuzz suite: it was a 500).
    const empty = await t.post(`/api/v1/eval-results/${failed.id}/ticket`, { assigneeIds: [''], draftItem: false }, { token });
    expect([empty.status, empty.body.code]).toEqual([400, 'invalid_request']);
    const ticket = await t.post(`/api/v1/eval-results/${failed.id}/ticket`, { assigneeIds: [developer.id], priority: 'high', draftItem: true }, { token });
    expect(ticket.status, JSON.stringify(ticket.body)).toBe(201);
    expect(ticket.body).toMatchObject({ type: 'ticket', priority: 'high', workflowState: 'open' });
    expect(ticket.body.links).toEqual(expect.arrayContaining([{ kind: 'evaluation_result', id: failed.id }, { kind: 'item', id: itemIds[1] }]));
    expect((await t.get(`/api/v1/items/${itemIds[1]}`, { token })).body.draft).toBe(true);
    expect((await t.patch(`/api/v1/items/${itemIds[1]}`, { draft: false }, { token })).body.code).toBe('linked_tasks_unresolved');

    expect(await rate()).toMatchObject({ testCases: 1, passed: 1, failed: 0, successRate: 1, excludedDrafts: 1 });
    const stranger = await t.project();
    expect((await t.get(`/api/v1/eval-runs/${run.id}/success-rate`, { token: stranger.owner.token })).status).toBe(404);

    const again = await runNow(t, taskId, token);
    const drafted = await decisions(t, again.id, token, 'draft');
    expect(drafted.map((d) => d.itemId)).toEqual([itemIds[1]]);
  });
});

describe('LLM judge against an OpenAI-compatible stub', () => {
  it('maps JSON and plain-text answers to labels, retries 5xx, counts exhausted 429s as rate_limited and timeouts as errors', async () => {
    const lines = [
      testCase('good answer'),
      testCase('bad answer'),
      testCase('bad answer cue:text'),
      testCase('good cue:flaky'),
      testCase('cue:429'),
      testCase('cue:500'),
      testCase('cue:slow'),
    ];
    const { project, token, datasetId, itemIds } = await datasetProject(t, lines);
    const judge = await createEvaluator(t, project.id, token, { name: 'hallucination', kind: 'llm', model: 'stub-1', template: 'Question: {{input}}\nAnswer: {{output}}', labels: { factual: 1, hallucinated: 0 } });
    const taskId = await createEvalTask(t, project.id, token, { name: 'judge', evaluatorIds: [judge], target: { kind: 'dataset', datasetId } });
    const run = await runNow(t, taskId, token);
    expect(run.counts).toMatchObject({ scored: 4, rate_limited: 1, error: 2 });
    const all = await decisions(t, run.id, token);
    const of = (i: number) => all.find((d) => d.itemId === itemIds[i]);
    expect(of(4).decision).toBe('rate_limited');
    expect(of(5)).toMatchObject({ decision: 'error' });
    expect(of(5).message).toContain('500');
    expect(of(6).message).toContain('did not answer within');
    const results = (await t.get(`/api/v1/eval-runs/${run.id}/results`, { token })).body.data;
    const label = (i: number) => results.find((r: any) => r.itemId === itemIds[i])?.checks[0].label;
    expect([label(0), label(1), label(2), label(3)]).toEqual(['factual', 'hallucinated', 'hallucinated', 'factual']);
    expect(stub.prompts).toContain('Question: What is the capital of France?\nAnswer: good answer');
    const logs = (await t.get(`/api/v1/eval-runs/${run.id}/logs`, { token })).body.data;
    expect(logs.some((l: any) => l.level === 'warn' && l.message.includes('answered 500'))).toBe(true);
  });

  it('blocks the task after blockAfterErrors consecutive failures, with the reason and an eval_task.blocked event; resume is one call', async () => {
    const { project, token, datasetId } = await datasetProject(t, Array.from({ length: 8 }, (_, i) => testCase(`cue:500 #${i}`)));
    const judge = await createEvaluator(t, project.id, token, { name: 'broken judge', kind: 'llm', model: 'm', template: '{{output}}', labels: { factual: 1, hallucinated: 0 } });
    const taskId = await createEvalTask(t, project.id, token, { name: 'blocks', evaluatorIds: [judge], target: { kind: 'dataset', datasetId }, blockAfterErrors: 3 });
    const run = await runNow(t, taskId, token, {});
    // One batch of 8 failures crosses the threshold; the run stops there.
    expect(run.status).toBe('stopped');
    const task = (await t.get(`/api/v1/eval-tasks/${taskId}`, { token })).body;
    expect(task.status).toBe('blocked');
    expect(task.blockedReason).toContain('broken judge');
    expect(task.lastRuns[0].id).toBe(run.id);
    const { readEvents } = await import('../../src/outbox/outbox.service.ts');
    const events = await readEvents(t.ctx.db, { afterSeq: 0, limit: 100, projectId: project.id, types: ['eval_task.blocked'] });
    expect(events).toHaveLength(1);
    expect(events[0]!.subjectId).toBe(taskId);
    const refused = await t.post(`/api/v1/eval-tasks/${taskId}/backfill`, {}, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('eval_task_not_active');
    const resumed = await t.post(`/api/v1/eval-tasks/${taskId}/resume`, {}, { token });
    expect(resumed.body).toMatchObject({ status: 'active', blockedReason: null, consecutiveErrors: 0 });
  });

  it('blocks after N failures in a row across small batches, and a success in between resets the streak', async () => {
    const lines = [testCase('cue:500 a'), testCase('cue:500 b'), testCase('fine'), testCase('cue:500 c'), testCase('cue:500 d'), testCase('cue:500 e'), testCase('fine again')];
    const { project, token, datasetId } = await datasetProject(t, lines);
    const judge = await createEvaluator(t, project.id, token, { name: 'j', kind: 'llm', model: 'm', template: '{{output}}', labels: { factual: 1, hallucinated: 0 } });
    const taskId = await createEvalTask(t, project.id, token, { name: 'streak', evaluatorIds: [judge], target: { kind: 'dataset', datasetId }, blockAfterErrors: 3 });
    const started = (await t.post(`/api/v1/eval-tasks/${taskId}/backfill`, {}, { token })).body.id;
    await executeRun(t.ctx, started, 1);
    const run = (await t.get(`/api/v1/eval-runs/${started}`, { token })).body;
    expect(run).toMatchObject({ status: 'stopped', counts: { error: 5, scored: 1 } });
    expect((await t.get(`/api/v1/eval-tasks/${taskId}`, { token })).body.status).toBe('blocked');
  });
});
