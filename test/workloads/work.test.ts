import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { setAutoQaPort, type AutoQaPort } from '../../src/workloads/auto-qa.port.ts';
import { runAutoQa } from '../../src/workloads/auto-qa.service.ts';
import { tickWorkloads } from '../../src/workloads/cycles.service.ts';
import { agreement, scoreCard } from '../../src/workloads/scorecard.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { createWorkload, cyclesOf, evaluate, setup, taskItems, type Setup } from './helpers.ts';

const clock = new ManualClock(new Date('2033-05-02T09:00:00Z'));
let t: TestApp;
/** A fake AI evaluator: rates every conversation tone 4, accuracy 8, empathy 2, and counts its calls. */
const calls: string[] = [];
const fakePort: AutoQaPort = {
  async check() {},
  async evaluate({ item, categories }) {
    calls.push(item.id);
    expect(categories.map((c) => c.name)).toEqual(['tone', 'accuracy', 'empathy']);
    return { values: { tone: 4, accuracy: 8, empathy: 2, unknown: 3 }, explanation: `checked ${item.id}` };
  },
};
beforeAll(async () => {
  t = await createTestApp({ clock });
  setAutoQaPort(t.ctx, fakePort);
});
afterAll(async () => {
  await t.close();
});

/** The evaluator who holds an item of the cycle's task. */
async function holder(s: Setup, taskId: string, assignmentId: string | null): Promise<TestUser> {
  const a = (await t.get(`/api/v1/tasks/${taskId}/assignments`)).body.data.find((x: any) => x.id === assignmentId);
  return s.evaluators.find((e) => e.id === a.assigneeId)!;
}

describe('scorecard arithmetic', () => {
  const categories = [
    { name: 'tone', min: 1, max: 5, weight: 2 },
    { name: 'accuracy', min: 0, max: 10, weight: 1 },
    { name: 'empathy', min: 1, max: 5, weight: 1 },
  ];
  it('is the weighted mean of each category normalised on its own scale', () => {
    // tone (5-1)/4 = 1 ×2, accuracy 5/10 = .5 ×1, empathy (2-1)/4 = .25 ×1 → 2.75 / 4
    expect(scoreCard(categories, { tone: 5, accuracy: 5, empathy: 2 }).score).toBeCloseTo(0.6875, 10);
  });
  it('leaves missing categories out of both the sum and the weights', () => {
    expect(scoreCard(categories, { tone: 3 }).score).toBeCloseTo(0.5, 10);
    expect(scoreCard(categories, { accuracy: 10, empathy: 1 }).score).toBeCloseTo(0.5, 10);
    expect(scoreCard(categories, {}).score).toBeNull();
    expect(scoreCard([{ name: 'x', min: 0, max: 1, weight: 0 }], { x: 1 }).score).toBeNull();
  });
  it('measures agreement over the categories both answered', () => {
    expect(agreement({ tone: 4, accuracy: 8, empathy: 2 }, { tone: 4, accuracy: 6 })).toBe(0.5);
    expect(agreement({ tone: 4 }, {})).toBeNull();
  });
});

describe('skip, replace and reassign', () => {
  it('counts a skipped conversation as skipped and replaces it with another matching one', async () => {
    const s = await setup(t);
    const w = await createWorkload(t, s, { target: { count: 2, per: 'reviewee' }, sampling: { datasetId: s.datasetId, revieweeField: 'metadata.agentId', strategy: 'stratified' } });
    const taskId = w.currentCycle.taskId;
    const [unit] = await taskItems(t, taskId);
    const evaluator = await holder(s, taskId, unit!.assignmentId);
    const other = s.evaluators.find((e) => e.id !== evaluator.id)!;
    expect((await t.post(`/api/v1/tasks/${taskId}/items/${unit!.itemId}/replace`, undefined, { token: evaluator.token })).status).toBe(409);
    expect((await t.post(`/api/v1/tasks/${taskId}/items/${unit!.itemId}/skip`, {}, { token: evaluator.token })).status).toBe(400);
    const skip = await t.post(`/api/v1/tasks/${taskId}/items/${unit!.itemId}/skip`, { reason: 'Conversation in French' }, { token: evaluator.token });
    expect(skip.status, JSON.stringify(skip.body)).toBe(200);
    expect(skip.body).toMatchObject({ skipped: true, cycleSkipped: 1 });
    expect((await t.post(`/api/v1/tasks/${taskId}/items/${unit!.itemId}/skip`, { reason: 'again' }, { token: evaluator.token })).status).toBe(409);
    // The item stays in the task; the cycle counts it.
    expect((await taskItems(t, taskId)).map((u) => u.itemId)).toContain(unit!.itemId);
    expect((await cyclesOf(t, s, w.id))[0]).toMatchObject({ skipped: 1, done: 0, target: 4 });

    const replaced = await t.post(`/api/v1/tasks/${taskId}/items/${unit!.itemId}/replace`, undefined, { token: evaluator.token });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    const revieweeOf = (id: string) => [...s.itemsByReviewee].find(([, ids]) => ids.includes(id))![0];
    expect(revieweeOf(replaced.body.itemId)).toBe(revieweeOf(unit!.itemId));
    const after = (await taskItems(t, taskId)).map((u) => u.itemId);
    expect(after).toHaveLength(5);
    expect(after).toContain(replaced.body.itemId);
    expect((await t.post(`/api/v1/tasks/${taskId}/items/${unit!.itemId}/replace`, undefined, { token: evaluator.token })).status).toBe(409);
    expect((await cyclesOf(t, s, w.id))[0]).toMatchObject({ skipped: 1 });
    const mine = (await t.get(`/api/v1/workloads/${w.id}/assignments`, { token: evaluator.token })).body.data;
    expect(mine).toMatchObject([{ evaluatorId: evaluator.id, skipped: 1 }]);
    // Another evaluator cannot skip an item that is not theirs.
    const [theirs] = (await taskItems(t, taskId)).filter((u) => u.assignmentId !== unit!.assignmentId);
    expect((await t.post(`/api/v1/tasks/${taskId}/items/${theirs!.itemId}/skip`, { reason: 'x' }, { token: evaluator.token })).status).toBe(403);
    expect(other).toBeDefined();
  });

  it('refuses to skip an evaluated conversation, and skip is only for workload cycles', async () => {
    const s = await setup(t);
    const w = await createWorkload(t, s);
    const taskId = w.currentCycle.taskId;
    const [unit] = await taskItems(t, taskId);
    const evaluator = await holder(s, taskId, unit!.assignmentId);
    await evaluate(t, taskId, unit!.itemId, evaluator, { tone: 3 });
    expect((await cyclesOf(t, s, w.id))[0]).toMatchObject({ done: 1 });
    const res = await t.post(`/api/v1/tasks/${taskId}/items/${unit!.itemId}/skip`, { reason: 'late' }, { token: evaluator.token });
    expect(res.status).toBe(409);
    // Removing the status moves the cycle's counter back.
    expect((await t.delete(`/api/v1/tasks/${taskId}/items/${unit!.itemId}/status`, { token: evaluator.token })).status).toBe(200);
    expect((await cyclesOf(t, s, w.id))[0]).toMatchObject({ done: 0 });
    const plain = (await t.post(`/api/v1/projects/${s.projectId}/tasks`, { name: 'plain', type: 'labeling', datasetId: s.datasetId, assigneeIds: [evaluator.id] }, { token: s.owner.token })).body.id;
    expect((await t.post(`/api/v1/tasks/${plain}/items/${unit!.itemId}/skip`, { reason: 'x' }, { token: evaluator.token })).status).toBe(404);
  });

  it('reassigns unevaluated conversations between evaluators of the same workload only', async () => {
    const s = await setup(t);
    const w = await createWorkload(t, s);
    const [a, b] = s.evaluators as [TestUser, TestUser];
    const before = (await t.get(`/api/v1/workloads/${w.id}/assignments`, { token: s.owner.token })).body.data;
    const fromA = before.find((x: any) => x.evaluatorId === a.id).total;
    const moved = await t.post(`/api/v1/workloads/${w.id}/reassign`, { fromId: a.id, toId: b.id }, { token: s.owner.token });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.moved).toBe(fromA);
    const after = (await t.get(`/api/v1/workloads/${w.id}/assignments`, { token: s.owner.token })).body.data;
    expect(after.find((x: any) => x.evaluatorId === b.id).total).toBe(4);
    const outsider = await t.member(s.projectId, 'reviewer');
    const refused = await t.post(`/api/v1/workloads/${w.id}/reassign`, { fromId: b.id, toId: outsider.id }, { token: s.owner.token });
    expect(refused.status).toBe(422);
    expect((await t.post(`/api/v1/workloads/${w.id}/reassign`, { fromId: b.id, toId: a.id }, { token: b.token })).status).toBe(403);
  });
});

describe('scorecards and the report', () => {
  it('scores an item from its rating annotation and aggregates per reviewee, evaluator and cycle', async () => {
    clock.set(new Date('2033-05-02T09:00:00Z'));
    const s = await setup(t);
    const w = await createWorkload(t, s, { target: { count: 1, per: 'reviewee' }, sampling: { datasetId: s.datasetId, revieweeField: 'metadata.agentId', strategy: 'stratified' } });
    const taskId = w.currentCycle.taskId;
    const units = await taskItems(t, taskId);
    expect(units).toHaveLength(2);
    const values: Array<Record<string, number>> = [{ tone: 5, accuracy: 5, empathy: 2 }, { tone: 3 }];
    for (const [i, u] of units.entries()) await evaluate(t, taskId, u.itemId, await holder(s, taskId, u.assignmentId), values[i]!);
    const card = await t.get(`/api/v1/tasks/${taskId}/items/${units[0]!.itemId}/scorecard`);
    expect(card.status).toBe(200);
    expect(card.body.score).toBeCloseTo(0.6875, 10);
    expect(card.body.source).toBe('human');
    expect(card.body.categories).toEqual([
      { name: 'tone', value: 5, weight: 2, min: 1, max: 5 },
      { name: 'accuracy', value: 5, weight: 1, min: 0, max: 10 },
      { name: 'empathy', value: 2, weight: 1, min: 1, max: 5 },
    ]);
    const report = (await t.get(`/api/v1/workloads/${w.id}/report`, { token: s.owner.token })).body;
    expect(report.cycles).toHaveLength(1);
    expect(report.cycles[0].score).toBeCloseTo((0.6875 + 0.5) / 2, 10);
    expect(report.cycles[0].reviewees).toHaveLength(2);
    expect(report.reviewees.map((r: any) => r.scores.length)).toEqual([1, 1]);
    expect(report.cycles[0].evaluators.reduce((n: number, e: any) => n + e.evaluations, 0)).toBe(2);
  });
});

describe('AutoQA', () => {
  it('copilot pre-fills the scorecard as the AI’s answer; a person confirms or changes it and the report keeps the agreement', async () => {
    const s = await setup(t);
    const w = await createWorkload(t, s, { autoQa: 'copilot', target: { count: 2, per: 'total' } });
    const taskId = w.currentCycle.taskId;
    expect(await runAutoQa(t.ctx, w.currentCycle.id)).toBe(2);
    expect(await runAutoQa(t.ctx, w.currentCycle.id)).toBe(0); // a retry does nothing twice
    const units = await taskItems(t, taskId);
    const first = await t.get(`/api/v1/tasks/${taskId}/items/${units[0]!.itemId}/scorecard`);
    expect(first.body).toMatchObject({ source: 'ai', ai: { values: { tone: 4, accuracy: 8, empathy: 2 }, explanation: `checked ${units[0]!.itemId}`, agreement: null } });
    expect(units.every((u) => u.status === null)).toBe(true);
    // The person keeps tone and accuracy, changes empathy (item 0); confirms everything (item 1).
    await evaluate(t, taskId, units[0]!.itemId, await holder(s, taskId, units[0]!.assignmentId), { tone: 4, accuracy: 8, empathy: 5 });
    await evaluate(t, taskId, units[1]!.itemId, await holder(s, taskId, units[1]!.assignmentId), { tone: 4, accuracy: 8, empathy: 2 });
    const changed = await t.get(`/api/v1/tasks/${taskId}/items/${units[0]!.itemId}/scorecard`);
    expect(changed.body.source).toBe('human');
    expect(changed.body.ai.agreement).toBeCloseTo(2 / 3, 10);
    const versions = (await t.get(`/api/v1/tasks/${taskId}/items/${units[0]!.itemId}/annotations`)).body.data[0].versions;
    expect(versions.map((v: any) => v.authorId === null)).toEqual([true, false]);
    const report = (await t.get(`/api/v1/workloads/${w.id}/report`, { token: s.owner.token })).body;
    expect(report.cycles[0].aiAgreement).toEqual([
      { category: 'tone', agreement: 1, compared: 2 },
      { category: 'accuracy', agreement: 1, compared: 2 },
      { category: 'empathy', agreement: 0.5, compared: 2 },
    ]);
  });

  it('autonomous completes the cycle with no human evaluator', async () => {
    clock.set(new Date('2033-05-10T09:00:00Z'));
    const s = await setup(t);
    const w = await createWorkload(t, s, { autoQa: 'autonomous', evaluatorIds: [], target: { count: 3, per: 'total' } });
    expect((await t.get(`/api/v1/workloads/${w.id}/assignments`, { token: s.owner.token })).body.data).toEqual([]);
    await tickWorkloads(t.ctx, { projectId: s.projectId }); // the tick runs pending AutoQA
    expect((await cyclesOf(t, s, w.id))[0]).toMatchObject({ done: 3, target: 3 });
    const units = await taskItems(t, w.currentCycle.taskId);
    expect(units.every((u) => u.status === 'completed')).toBe(true);
    clock.set(new Date('2033-05-11T00:00:05Z'));
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    const cycles = await cyclesOf(t, s, w.id);
    expect(cycles.map((c) => c.status)).toEqual(['in_progress', 'completed']);
    const report = (await t.get(`/api/v1/workloads/${w.id}/report`, { token: s.owner.token })).body;
    expect(report.cycles[0].evaluators).toEqual([{ evaluatorId: 'ai', score: expect.any(Number), evaluations: 3 }]);
    expect(report.cycles[0].score).toBeCloseTo((2 * 0.75 + 0.8 + 0.25) / 4, 10);
  });
});
