import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('blind mode (docs/allocation.md) on consensus tasks', () => {
  it('shows an annotator only their own answer until the item is done, and everyone’s after', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const b = await t.member(w.projectId, 'annotator');
    const recipe = await t.post(`/api/v1/projects/${w.projectId}/recipes`, { name: 'r', labels: [{ name: 'cat' }, { name: 'dog' }], tools: ['classification'] }, { token: w.owner.token });
    const task = await createTask(t, w, {
      type: 'consensus',
      consensus: { annotatorsPerItem: 2 },
      recipeId: recipe.body.id,
      assigneeIds: [a.id, b.id],
      allocation: { method: 'pulling', batchSize: 1 },
    });
    for (const who of [a, b]) expect((await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: who.token })).body.items).toHaveLength(1);
    const url = `/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/annotations`;
    expect((await t.put(url, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token: a.token })).status).toBe(200);
    expect((await t.put(url, { shapes: [{ tool: 'classification', label: 'dog' }] }, { token: b.token })).status).toBe(200);

    const seenByA = (await t.get(url, { token: a.token })).body.data;
    expect(seenByA.map((x: { workerId: string }) => x.workerId)).toEqual([a.id]);
    expect(JSON.stringify(seenByA)).not.toContain('dog');
    expect((await t.get(url, { token: w.manager.token })).body.data).toHaveLength(2);

    const statusUrl = `/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`;
    for (const who of [a, b]) expect((await t.put(statusUrl, { status: 'completed' }, { token: who.token })).status).toBe(200);
    const afterDone = (await t.get(url, { token: a.token })).body.data;
    expect(afterDone.map((x: { workerId: string }) => x.workerId).sort()).toEqual([a.id, b.id].sort());
  });

  it('refuses an annotator who has no copy of a consensus item with 403, without naming who works it', async () => {
    const w = await world(t, 1);
    const [a, b, c] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { type: 'consensus', consensus: { annotatorsPerItem: 2 }, assigneeIds: [a.id, b.id, c.id], allocation: { method: 'pulling', batchSize: 1 } });
    for (const who of [a, b]) expect((await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: who.token })).body.items).toHaveLength(1);
    const res = await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: c.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    expect(JSON.stringify(res.body)).not.toContain(a.id);
    expect(JSON.stringify(res.body)).not.toContain(b.id);
    // A manager is told which copies there are, to name one.
    const asManager = await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: w.manager.token });
    expect(asManager.status).toBe(422);
    expect([...asManager.body.workerIds].sort()).toEqual([a.id, b.id].sort());
  });
});
