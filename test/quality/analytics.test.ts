import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { setupTask } from '../reviews/review-helpers.ts';

const clock = new ManualClock(new Date('2031-03-01T10:00:00Z'));
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t.close();
});

const gold = [{ tool: 'classification', label: 'cat' }];

/** Annotates at the current time, then sets the status `seconds` later. */
async function work(taskId: string, itemId: string, label: string, user: TestUser, seconds: number) {
  expect((await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/annotations`, { shapes: [{ tool: 'classification', label }] }, { token: user.token })).status).toBe(200);
  clock.advance(seconds * 1000);
  expect((await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/status`, { status: 'completed' }, { token: user.token })).status).toBe(200);
}

describe('GET /api/v1/tasks/:taskId/analytics', () => {
  it('reports per task, annotator and label: done, completeness, throughput, median time, review pass rate, accuracy, histograms, progress', async () => {
    const lines = Array.from({ length: 6 }, (_, i) => ({ kind: 'text', payload: { text: `t${i}` }, gold }));
    const s = await setupTask(t, { lines, annotatorCount: 2, recipe: { labels: [{ name: 'cat' }, { name: 'dog' }], tools: ['classification'] } });
    const holder = new Map<string, TestUser>();
    for (const a of s.annotators) for (const u of (await t.get(`/api/v1/tasks/${s.taskId}/items`, { token: a.token })).body.data) holder.set(u.itemId, a);
    const [a, b] = s.annotators as [TestUser, TestUser];
    const itemsOf = (u: TestUser) => s.itemIds.filter((id) => holder.get(id) === u);
    const [a1, a2, a3] = itemsOf(a);
    const [b1, b2] = itemsOf(b);
    await work(s.taskId, a1!, 'cat', a, 60);
    await work(s.taskId, a2!, 'cat', a, 120);
    await work(s.taskId, a3!, 'dog', a, 600);
    await work(s.taskId, b1!, 'dog', b, 30);
    clock.advance(3 * 24 * 3_600_000); // b's second item falls on another day, outside a 24 h window for the others
    await work(s.taskId, b2!, 'dog', b, 30);
    // A reviewer opens an issue on one of a's answers and approves the rest in a QA task.
    const reviewer = await t.member(s.projectId, 'reviewer');
    const qa = (await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id] }, { token: s.owner.token })).body.id;
    for (const id of [a1, a2, a3]) await t.put(`/api/v1/tasks/${qa}/items/${id}/status`, { status: 'approved' }, { token: reviewer.token });
    const annotation = (await t.get(`/api/v1/tasks/${s.taskId}/items/${a3}/annotations`)).body.data[0];
    await t.post(`/api/v1/annotations/${annotation.id}/issues`, { comment: 'not a dog' }, { token: reviewer.token });

    const res = await t.get(`/api/v1/tasks/${s.taskId}/analytics`, { query: { windowHours: 24 } });
    expect(res.status).toBe(200);
    const body = res.body;
    expect(body.task).toMatchObject({ units: 6, withStatus: 5, done: 5, completeness: 5 / 6, throughputPerHour: 1 / 24, medianSecondsPerItem: 60, reviewed: 3, firstPassReviewRate: 2 / 3, scoredUnits: 5 });
    expect(body.task.accuracy).toBeCloseTo(2 / 5, 6);
    const byId = Object.fromEntries(body.annotators.map((x: any) => [x.annotatorId, x]));
    expect(byId[a.id]).toMatchObject({ done: 3, units: 3, completeness: 1, medianSecondsPerItem: 120, firstPassReviewRate: 2 / 3, throughputPerHour: 0 });
    expect(byId[a.id].accuracy).toBeCloseTo(2 / 3, 6);
    expect(byId[b.id]).toMatchObject({ done: 2, units: 2, medianSecondsPerItem: 30, reviewed: 0, firstPassReviewRate: null, accuracy: 0, throughputPerHour: 1 / 24 });
    expect(body.histograms).toEqual([{ tool: 'classification', against: 'gold', buckets: [3, 0, 0, 0, 0, 0, 0, 0, 0, 2] }]);
    expect(body.labels.find((l: any) => l.label === 'cat')).toMatchObject({ tool: 'classification', units: 5, histogram: [3, 0, 0, 0, 0, 0, 0, 0, 0, 2] });
    expect(body.progress.map((p: any) => [p.done, p.cumulative])).toEqual([[4, 4], [1, 5]]);

    // Drafted items leave every figure.
    expect((await t.patch(`/api/v1/items/${b1}`, { draft: true })).status).toBe(200);
    const drafted = (await t.get(`/api/v1/tasks/${s.taskId}/analytics`)).body;
    expect(drafted.task).toMatchObject({ units: 5, done: 4, scoredUnits: 4 });
    expect(drafted.annotators.find((x: any) => x.annotatorId === b.id)).toMatchObject({ done: 1, units: 1 });
  });

  it('answers an empty task with zeros and nulls, and hides it from outsiders', async () => {
    const s = await setupTask(t, { count: 2 });
    const body = (await t.get(`/api/v1/tasks/${s.taskId}/analytics`)).body;
    expect(body.task).toMatchObject({ units: 2, done: 0, completeness: 0, medianSecondsPerItem: null, firstPassReviewRate: null, accuracy: null, agreement: null });
    expect(body.histograms).toEqual([]);
    expect((await t.get(`/api/v1/tasks/${s.taskId}/analytics`, { token: (await t.user()).token })).status).toBe(404);
  });
});
