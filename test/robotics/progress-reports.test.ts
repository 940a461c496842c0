import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { ownerOfItem, setupTask } from '../reviews/review-helpers.ts';

const clock = new ManualClock(new Date('2031-05-01T08:00:00Z'));
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

const recipe = { labels: [{ name: 'cat' }, { name: 'dog' }], tools: ['classification'] };

async function work(taskId: string, itemId: string, user: TestUser, seconds: number) {
  expect((await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/annotations`, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token: user.token })).status).toBe(200);
  clock.advance(seconds * 1000);
  expect((await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/status`, { status: 'completed' }, { token: user.token })).status).toBe(200);
}

/** Two annotators on four items: a finishes two (60 s, 120 s), b one (30 s); a QA task passes one of a's and opens an issue on the other. */
async function scenario() {
  const s = await setupTask(t, { count: 4, annotatorCount: 2, recipe });
  const [a, b] = s.annotators as [TestUser, TestUser];
  const held = new Map<TestUser, string[]>([[a, []], [b, []]]);
  for (const id of s.itemIds) held.get(await ownerOfItem(t, s, id))!.push(id);
  const [a1, a2] = held.get(a)!;
  const [b1] = held.get(b)!;
  await work(s.taskId, a1!, a, 60);
  await work(s.taskId, a2!, a, 120);
  await work(s.taskId, b1!, b, 30);
  const reviewer = await t.member(s.projectId, 'reviewer');
  const qa = (await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id] }, { token: s.owner.token })).body.id;
  for (const id of [a1, a2]) expect((await t.put(`/api/v1/tasks/${qa}/items/${id}/status`, { status: 'approved' }, { token: reviewer.token })).status).toBe(200);
  const annotation = (await t.get(`/api/v1/tasks/${s.taskId}/items/${a2}/annotations`)).body.data[0];
  expect((await t.post(`/api/v1/annotations/${annotation.id}/issues`, { comment: 'not a cat' }, { token: reviewer.token })).status).toBe(201);
  return { s, a, b, reviewer, qa };
}

const report = async (projectId: string, level: string, token?: string) => t.get(`/api/v1/projects/${projectId}/reports/progress`, { query: { level, windowDays: 7 }, ...(token ? { token } : {}) });

describe('GET /api/v1/projects/:projectId/reports/progress', () => {
  it('personal: my completion, speed and pass rate', async () => {
    const { s, a } = await scenario();
    const res = await report(s.projectId, 'personal', a.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const me = res.body.personal;
    expect(me).toMatchObject({ userId: a.id, units: 2, done: 2, completion: 1, doneInWindow: 2, medianSecondsPerItem: 90, passRate: 0.5 });
    expect(me.itemsPerHour).toBeCloseTo(2 / (7 * 24), 9);
    expect(me.tasks).toEqual([expect.objectContaining({ taskId: s.taskId, units: 2, done: 2 })]);
    expect(me.perDay.reduce((n: number, d: any) => n + d.done, 0)).toBe(2);
  });

  it('team: done, pace and pass rate per member; annotators may not read it', async () => {
    const { s, a, b } = await scenario();
    expect((await report(s.projectId, 'team', a.token)).status).toBe(403);
    const members = (await report(s.projectId, 'team')).body.team.members;
    const byId = Object.fromEntries(members.map((m: any) => [m.userId, m]));
    expect(byId[a.id]).toMatchObject({ done: 2, doneInWindow: 2, reviewed: 2, passed: 1, passRate: 0.5, medianSecondsPerItem: 90 });
    expect(byId[a.id].pacePerDay).toBeCloseTo(2 / 7, 9);
    expect(byId[b.id]).toMatchObject({ done: 1, reviewed: 0, passRate: null, medianSecondsPerItem: 30 });
    expect(byId[b.id].pacePerDay).toBeCloseTo(1 / 7, 9);
    expect(byId[s.owner.id]).toMatchObject({ done: 0, units: 0, passRate: null });
  });

  it('project: completion, ETA and quality per task and in total', async () => {
    const { s } = await scenario();
    const body = (await report(s.projectId, 'project')).body.project;
    const task = (await t.get(`/api/v1/tasks/${s.taskId}`)).body;
    const row = body.tasks.find((x: any) => x.taskId === s.taskId);
    expect(row).toMatchObject({ items: 4, done: 3, percent: 75, completeness: 0.75, passRate: 0.5, etaSeconds: task.progress.etaSeconds });
    expect(row.etaSeconds).toBeGreaterThan(0);
    const items = body.tasks.reduce((n: number, x: any) => n + x.items, 0);
    const done = body.tasks.reduce((n: number, x: any) => n + x.done, 0);
    expect(body.totals).toMatchObject({ tasks: body.tasks.length, items, done, passRate: 0.5 });
    expect(body.totals.percent).toBeCloseTo((done / items) * 100, 1);
  });

  it('shows a viewer an empty personal report and hides the project from outsiders', async () => {
    const { s } = await scenario();
    const viewer = await t.member(s.projectId, 'viewer');
    expect((await report(s.projectId, 'personal', viewer.token)).body.personal).toMatchObject({ units: 0, done: 0, completion: null, medianSecondsPerItem: null, tasks: [], perDay: [] });
    const stranger = (await t.project()).owner;
    expect((await report(s.projectId, 'project', stranger.token)).status).toBe(404);
  });
});
