import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { setupTask } from '../reviews/review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const recipe = { labels: [{ name: 'grasp' }, { name: 'place' }], tools: ['classification', 'segment'] };
const grasp = [{ tool: 'classification', label: 'grasp' }];

describe('POST /api/v1/tasks/:taskId/annotations/bulk', () => {
  it('labels every item of the selection and reports one outcome per item', async () => {
    const s = await setupTask(t, { count: 4, recipe });
    const [a] = s.annotators;
    const res = await t.post(`/api/v1/tasks/${s.taskId}/annotations/bulk`, { itemIds: s.itemIds, shapes: grasp }, { token: a!.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.results.map((r: any) => [r.itemId, r.ok])).toEqual(s.itemIds.map((id) => [id, true]));
    for (const id of s.itemIds) expect((await t.get(`/api/v1/tasks/${s.taskId}/items/${id}/annotations`)).body.data[0].shapes).toEqual(grasp);
  });

  it('refuses the bad items only: others are saved', async () => {
    const s = await setupTask(t, { count: 3, recipe, annotatorCount: 2 });
    const [a, b] = s.annotators as [any, any];
    const mine = (await t.get(`/api/v1/tasks/${s.taskId}/items`, { token: a.token, query: { limit: 500 } })).body.data.filter((u: any) => u.assignmentId).map((u: any) => u.itemId);
    const theirs = s.itemIds.filter((id) => !mine.includes(id));
    expect(theirs.length).toBeGreaterThan(0);
    const missing = '00000000-0000-4000-8000-000000000000';
    const res = await t.post(`/api/v1/tasks/${s.taskId}/annotations/bulk`, { itemIds: [...s.itemIds, missing], shapes: grasp }, { token: a.token });
    const byId = Object.fromEntries(res.body.results.map((r: any) => [r.itemId, r]));
    for (const id of mine) expect(byId[id]).toMatchObject({ ok: true });
    for (const id of theirs) expect(byId[id]).toMatchObject({ ok: false, code: 'forbidden' });
    expect(byId[missing]).toMatchObject({ ok: false, code: 'not_found' });
    for (const id of theirs) expect((await t.get(`/api/v1/tasks/${s.taskId}/items/${id}/annotations`)).body.data).toEqual([]);
    expect(b).toBeDefined();
  });

  it('validates the shapes against the recipe for each item', async () => {
    const s = await setupTask(t, { count: 2, recipe });
    const res = await t.post(`/api/v1/tasks/${s.taskId}/annotations/bulk`, { itemIds: s.itemIds, shapes: [{ tool: 'classification', label: 'dance' }] }, { token: s.annotators[0]!.token });
    expect(res.body.results.every((r: any) => !r.ok && r.code === 'validation_failed')).toBe(true);
    // A segment is refused on text items: it annotates episodes only.
    const seg = await t.post(`/api/v1/tasks/${s.taskId}/annotations/bulk`, { itemIds: s.itemIds, shapes: [{ tool: 'segment', label: 'grasp', startFrame: 0, endFrame: 1 }] }, { token: s.annotators[0]!.token });
    expect(seg.body.results.map((r: any) => r.code)).toEqual(['validation_failed', 'validation_failed']);
  });

  it('obeys the lock: a locked task refuses every item', async () => {
    const s = await setupTask(t, { count: 2, recipe });
    expect((await t.post(`/api/v1/tasks/${s.taskId}/lock`, {}, { token: s.owner.token })).status).toBeLessThan(300);
    const res = await t.post(`/api/v1/tasks/${s.taskId}/annotations/bulk`, { itemIds: s.itemIds, shapes: grasp }, { token: s.owner.token });
    expect(res.body.results.map((r: any) => r.code)).toEqual(['task_locked', 'task_locked']);
  });

  it('refuses a viewer once with 403 and more than 500 items with 400', async () => {
    const s = await setupTask(t, { count: 1, recipe });
    const viewer = await t.member(s.projectId, 'viewer');
    expect((await t.post(`/api/v1/tasks/${s.taskId}/annotations/bulk`, { itemIds: s.itemIds, shapes: grasp }, { token: viewer.token })).status).toBe(403);
    const many = Array.from({ length: 501 }, () => s.itemIds[0]!);
    expect((await t.post(`/api/v1/tasks/${s.taskId}/annotations/bulk`, { itemIds: many, shapes: grasp }, { token: s.owner.token })).status).toBe(400);
  });
});

describe('segment shapes on episodes', () => {
  const episode = { kind: 'episode', payload: { fps: 10, frames: Array.from({ length: 50 }, (_, i) => ({ timestamp: i / 10, observation: { state: [i, -i] }, action: [i % 3] })) } };

  it('accepts a frame range inside the episode and refuses one outside it or reversed', async () => {
    const s = await setupTask(t, { lines: [episode], recipe });
    const url = `/api/v1/tasks/${s.taskId}/items/${s.itemIds[0]}/annotations`;
    const token = s.annotators[0]!.token;
    const ok = await t.put(url, { shapes: [{ tool: 'segment', label: 'grasp', startFrame: 12, endFrame: 40 }, { tool: 'classification', label: 'place' }] }, { token });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const past = await t.put(url, { shapes: [{ tool: 'segment', label: 'grasp', startFrame: 12, endFrame: 50 }] }, { token });
    expect(past.status).toBe(422);
    expect(past.body.details?.rule ?? past.body.rule).toBe('segment_outside_episode');
    const reversed = await t.put(url, { shapes: [{ tool: 'segment', label: 'grasp', startFrame: 40, endFrame: 12 }] }, { token });
    expect(reversed.status).toBe(422);
    expect(JSON.stringify(reversed.body)).toContain('segment_invalid');
  });
});
