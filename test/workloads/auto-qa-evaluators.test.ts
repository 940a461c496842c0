import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { setAutoQaPort } from '../../src/workloads/auto-qa.port.ts';
import { evaluatorsAutoQaPort, onScale } from '../../src/workloads/auto-qa.evaluators.ts';
import { tickWorkloads } from '../../src/workloads/cycles.service.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { startLlmStub, type LlmStub } from '../evaluators/llm-stub.ts';
import { stubSettings } from '../evaluators/helpers.ts';
import { createWorkload, cyclesOf, evaluate, setup, taskItems, workloadBody, type Setup } from './helpers.ts';

/**
 * AutoQA through the evaluators module, as the server wires it (src/main/server.ts): an LLM judge
 * answered by a real HTTP stub (test/evaluators/llm-stub.ts: `hallucinated` when the prompt holds
 * "bad", else `factual`) and a code check. No fake port: what the AI answers comes from the
 * evaluator's own scoring.
 */
const clock = new ManualClock(new Date('2034-03-06T09:00:00Z'));
let t: TestApp;
let stub: LlmStub;
beforeAll(async () => {
  stub = await startLlmStub();
  t = await createTestApp({ clock, llm: stubSettings(stub.url) });
  setAutoQaPort(t.ctx, evaluatorsAutoQaPort(t.ctx));
});
afterAll(async () => {
  await t?.close();
  await stub?.close();
});

async function recipe(s: Setup, categories: Array<{ name: string; min: number; max: number; weight: number }>) {
  const res = await t.post(`/api/v1/projects/${s.projectId}/recipes`, { name: 'AI scorecard', labels: [], tools: ['rating'], ratingCategories: categories }, { token: s.owner.token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function evaluator(s: Setup, body: Record<string, unknown>) {
  const res = await t.post(`/api/v1/projects/${s.projectId}/evaluators`, body, { token: s.owner.token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

const judgeBody = (template: string) => ({ name: 'QA judge', kind: 'llm', model: 'stub-model', template, labels: { factual: 1, hallucinated: 0 } });

describe('AutoQA backed by the evaluators module', () => {
  it('puts a verdict on a category’s scale', () => {
    expect(onScale(1, { name: 'a', min: 1, max: 5, weight: 1 })).toBe(5);
    expect(onScale(0, { name: 'a', min: 1, max: 5, weight: 1 })).toBe(1);
    expect(onScale(0.6, { name: 'a', min: 1, max: 5, weight: 1 })).toBe(3); // 3.4 → a whole rating
    expect(onScale(0.5, { name: 'a', min: 0, max: 0.5, weight: 1 })).toBe(0.25);
    expect(onScale(2, { name: 'a', min: 0, max: 10, weight: 1 })).toBe(10);
  });

  it('refuses AutoQA without an evaluator of the project', async () => {
    const s = await setup(t, { perReviewee: 1 });
    const other = await setup(t, { perReviewee: 1 });
    const foreign = await evaluator(other, judgeBody('{{conversation}}'));
    for (const aiEvaluatorId of [undefined, 'not-an-id', foreign]) {
      const res = await t.post(`/api/v1/projects/${s.projectId}/workloads`, workloadBody(s, { autoQa: 'copilot', ...(aiEvaluatorId ? { aiEvaluatorId } : {}) }), { token: s.owner.token });
      expect(res.status, String(aiEvaluatorId)).toBe(422);
      expect(res.body.field).toBe('aiEvaluatorId');
    }
    expect((await t.get(`/api/v1/projects/${s.projectId}/workloads`, { token: s.owner.token })).body.data).toEqual([]);
  });

  it('copilot: an LLM judge rates each category through the LLM port; a person confirms or changes it', async () => {
    const s = await setup(t, { perReviewee: 3 });
    const recipeId = await recipe(s, [
      { name: 'tone', min: 1, max: 5, weight: 2 },
      { name: 'no_bad_language', min: 0, max: 10, weight: 1 },
    ]);
    const aiEvaluatorId = await evaluator(s, judgeBody('Rate the {{category}} ({{min}}..{{max}}) of this conversation:\n{{conversation}}'));
    const w = await createWorkload(t, s, { autoQa: 'copilot', aiEvaluatorId, scorecardRecipeId: recipeId, target: { count: 4, per: 'total' } });
    const before = stub.prompts.length;
    await tickWorkloads(t.ctx, { projectId: s.projectId }); // the tick runs pending AutoQA
    const prompts = stub.prompts.slice(before);
    expect(prompts).toHaveLength(4 * 2); // one call per item and category
    expect(prompts.filter((p) => p.startsWith('Rate the tone (1..5)'))).toHaveLength(4);
    expect(prompts.filter((p) => p.startsWith('Rate the no_bad_language (0..10)'))).toHaveLength(4);
    expect(prompts.every((p) => /\nuser: hello \d$/.test(p))).toBe(true);
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    expect(stub.prompts.length - before).toBe(8); // answered items are not asked again

    const taskId = w.currentCycle.taskId;
    const units = await taskItems(t, taskId);
    expect(units).toHaveLength(4);
    const card = (await t.get(`/api/v1/tasks/${taskId}/items/${units[0]!.itemId}/scorecard`, { token: s.owner.token })).body;
    // `factual` (1) → tone 5 of 1..5; the category naming "bad" is judged `hallucinated` (0) → 0 of 0..10.
    expect(card).toMatchObject({ source: 'ai', ai: { values: { tone: 5, no_bad_language: 0 } } });
    expect(card.ai.explanation).toContain('tone: factual. the stub says factual');
    expect(card.score).toBeCloseTo((2 * 1 + 1 * 0) / 3, 10);
    expect(units.every((u) => u.status === null)).toBe(true); // copilot leaves the decision to a person

    const holder = async (assignmentId: string | null) => {
      const a = (await t.get(`/api/v1/tasks/${taskId}/assignments`)).body.data.find((x: any) => x.id === assignmentId);
      return s.evaluators.find((e) => e.id === a.assigneeId)!;
    };
    await evaluate(t, taskId, units[0]!.itemId, await holder(units[0]!.assignmentId), { tone: 5, no_bad_language: 10 });
    await evaluate(t, taskId, units[1]!.itemId, await holder(units[1]!.assignmentId), { tone: 5, no_bad_language: 0 });
    const report = (await t.get(`/api/v1/workloads/${w.id}/report`, { token: s.owner.token })).body;
    expect(report.cycles[0].aiAgreement).toEqual([
      { category: 'tone', agreement: 1, compared: 2 },
      { category: 'no_bad_language', agreement: 0.5, compared: 2 },
    ]);
  });

  it('autonomous: a code check scores the conversations and the cycle completes with no person', async () => {
    const s = await setup(t, { perReviewee: 0 });
    const lines = s.reviewees.flatMap((r, k) => [
      { kind: 'conversation', externalId: `ok-${k}`, payload: { turns: [{ role: 'user', content: 'my order?' }, { role: 'assistant', content: 'Happy to help: it ships today.' }] }, metadata: { agentId: r.id } },
      { kind: 'conversation', externalId: `rude-${k}`, payload: { turns: [{ role: 'user', content: 'my order?' }, { role: 'assistant', content: 'Not my problem.' }] }, metadata: { agentId: r.id } },
    ]);
    const imported = await t.request('POST', `/api/v1/datasets/${s.datasetId}/items`, { payload: lines.map((l) => JSON.stringify(l)).join('\n') + '\n', contentType: 'application/x-ndjson', token: s.owner.token });
    expect(imported.status).toBeLessThan(300);
    const aiEvaluatorId = await evaluator(s, { name: 'offers help', kind: 'code', check: 'contains', params: { value: 'help', caseSensitive: false } });
    clock.set(new Date('2034-03-07T09:00:00Z'));
    const w = await createWorkload(t, s, { autoQa: 'autonomous', evaluatorIds: [], aiEvaluatorId, target: { count: 4, per: 'total' } });
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    const units = await taskItems(t, w.currentCycle.taskId);
    expect(units).toHaveLength(4);
    expect(units.every((u) => u.status === 'completed')).toBe(true);
    expect((await cyclesOf(t, s, w.id))[0]).toMatchObject({ status: 'in_progress', done: 4, target: 4 });

    const items = (await t.get(`/api/v1/datasets/${s.datasetId}/items`, { query: { limit: 50 }, token: s.owner.token })).body.data as Array<{ id: string; externalId: string }>;
    for (const u of units) {
      const card = (await t.get(`/api/v1/tasks/${w.currentCycle.taskId}/items/${u.itemId}/scorecard`, { token: s.owner.token })).body;
      const helpful = items.find((i) => i.id === u.itemId)!.externalId.startsWith('ok-');
      // The verdict (pass 1 / fail 0) rates every category at the top or the bottom of its scale.
      expect(card.ai.values).toEqual(helpful ? { tone: 5, accuracy: 10, empathy: 5 } : { tone: 1, accuracy: 0, empathy: 1 });
      expect(card.score).toBe(helpful ? 1 : 0);
    }
    clock.set(new Date('2034-03-08T00:00:05Z'));
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    const cycles = await cyclesOf(t, s, w.id);
    expect(cycles.map((c) => c.status)).toEqual(['in_progress', 'completed']);
    const report = (await t.get(`/api/v1/workloads/${w.id}/report`, { token: s.owner.token })).body;
    expect(report.cycles[0].score).toBeCloseTo(0.5, 10);
    expect(report.cycles[0].evaluators).toEqual([{ evaluatorId: 'ai', score: 0.5, evaluations: 4 }]);
    // Each reviewee had one helpful and one unhelpful conversation.
    expect(report.reviewees.map((r: any) => r.scores[0].score)).toEqual([0.5, 0.5]);
  });
});
