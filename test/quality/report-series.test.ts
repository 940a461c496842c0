import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { answer, createTask, world } from '../tasks/helpers.ts';

/** The progress report's day series (docs/robotics.md): project throughput and per person per day. */
let t: TestApp;
const clock = new ManualClock(new Date('2033-04-10T09:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

describe('GET /api/v1/projects/:projectId/reports/progress day series', () => {
  it('counts items done per day in the project and per person, over the window only', async () => {
    const w = await world(t, 6);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id] });
    const share = async (user: { id: string }) => (await t.get(`/api/v1/tasks/${task.id}/items`, { query: { assigneeId: user.id } })).body.data.map((u: { itemId: string }) => u.itemId) as string[];
    const [mineA, mineB] = [await share(a), await share(b)];
    const finish = async (itemId: string, token: string) => {
      await answer(t, task.id, itemId, token);
      expect((await t.put(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { status: 'completed' }, { token })).status).toBe(200);
    };
    // Day 1: a finishes two; day 2: a one, b two; ten days later nothing is in a 7-day window.
    await finish(mineA[0]!, a.token);
    await finish(mineA[1]!, a.token);
    clock.advance(86_400_000);
    await finish(mineA[2]!, a.token);
    await finish(mineB[0]!, b.token);
    await finish(mineB[1]!, b.token);
    const project = (await t.get(`/api/v1/projects/${w.projectId}/reports/progress`, { token: w.owner.token, query: { level: 'project' } })).body.project;
    expect(project.perDay.map((d: { day: string; done: number }) => [d.day, d.done])).toEqual([
      ['2033-04-10T00:00:00.000Z', 2],
      ['2033-04-11T00:00:00.000Z', 3],
    ]);
    expect(project.perDay.every((d: { accuracy: unknown; consistency: unknown }) => d.accuracy === null && d.consistency === null)).toBe(true);
    const team = (await t.get(`/api/v1/projects/${w.projectId}/reports/progress`, { token: w.owner.token, query: { level: 'team' } })).body.team;
    const byPerson = (id: string) => team.perDay.filter((d: { userId: string }) => d.userId === id).map((d: { day: string; done: number }) => [d.day.slice(0, 10), d.done]);
    expect(byPerson(a.id)).toEqual([['2033-04-10', 2], ['2033-04-11', 1]]);
    expect(byPerson(b.id)).toEqual([['2033-04-11', 2]]);
    // Annotators do not read the team series.
    expect((await t.get(`/api/v1/projects/${w.projectId}/reports/progress`, { token: a.token, query: { level: 'team' } })).status).toBe(403);
    clock.advance(10 * 86_400_000);
    expect((await t.get(`/api/v1/projects/${w.projectId}/reports/progress`, { token: w.owner.token, query: { level: 'project' } })).body.project.perDay).toEqual([]);
  });
});
