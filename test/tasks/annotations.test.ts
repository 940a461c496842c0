import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const cat = [{ tool: 'classification', label: 'cat' }];
const dog = [{ tool: 'classification', label: 'dog' }];

async function setup(settings?: Record<string, unknown>) {
  const w = await world(t, 2);
  if (settings) await t.patch(`/api/v1/projects/${w.projectId}`, { settings }, { token: w.owner.token });
  const a = await t.member(w.projectId, 'annotator');
  const recipe = await t.post(`/api/v1/projects/${w.projectId}/recipes`, { name: 'r', labels: [{ name: 'cat' }, { name: 'dog' }], tools: ['classification'] }, { token: w.owner.token });
  const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: recipe.body.id });
  return { w, a, task, url: `/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/annotations` };
}

describe('PUT /api/v1/tasks/:taskId/items/:itemId/annotations', () => {
  it('keeps every version and lists them with the current one', async () => {
    const { a, url } = await setup();
    expect((await t.put(url, { shapes: cat }, { token: a.token })).body.version).toBe(1);
    expect((await t.put(url, { shapes: dog }, { token: a.token })).body.version).toBe(2);
    const list = (await t.get(url, { token: a.token })).body.data;
    expect(list).toHaveLength(1);
    expect(list[0].shapes).toEqual(dog);
    expect(list[0].versions.map((v: any) => v.shapes)).toEqual([cat, dog]);
  });

  it('treats a retry with the same client id and shapes as one save', async () => {
    const { a, url } = await setup();
    const id = newId();
    const first = await t.put(url, { id, shapes: cat }, { token: a.token });
    const retry = await t.put(url, { id, shapes: cat }, { token: a.token });
    expect(first.body.id).toBe(id);
    expect(retry.body).toEqual(first.body);
    expect((await t.get(url)).body.data[0].versions).toHaveLength(1);
  });

  it('refuses shapes the recipe does not allow with 422', async () => {
    const { a, url } = await setup();
    const res = await t.put(url, { shapes: [{ tool: 'classification', label: 'bird' }] }, { token: a.token });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('validation_failed');
  });

  it('lets only the item’s assignee or a manager write', async () => {
    const { w, url } = await setup();
    const other = await t.member(w.projectId, 'annotator');
    expect((await t.put(url, { shapes: cat }, { token: other.token })).status).toBe(403);
    const viewer = await t.member(w.projectId, 'viewer');
    expect((await t.put(url, { shapes: cat }, { token: viewer.token })).status).toBe(403);
    expect((await t.put(url, { shapes: cat }, { token: w.manager.token })).status).toBe(200);
  });

  it('answers 409 status_set under requireStatusRemovalBeforeEdit until the status is removed', async () => {
    const { a, task, w, url } = await setup({ requireStatusRemovalBeforeEdit: true });
    await t.put(url, { shapes: cat }, { token: a.token });
    await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token });
    const refused = await t.put(url, { shapes: dog }, { token: a.token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('status_set');
    await t.delete(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { token: a.token });
    expect((await t.put(url, { shapes: dog }, { token: a.token })).status).toBe(200);
  });

  it('renews the lease of a pulled item when its annotation is saved', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling', leaseSeconds: 100 } });
    const held = (await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token })).body.items[0];
    await new Promise((r) => setTimeout(r, 20));
    await t.put(`/api/v1/tasks/${task.id}/items/${held.itemId}/annotations`, { shapes: [] }, { token: a.token });
    const after = (await t.get(`/api/v1/tasks/${task.id}/items`)).body.data[0];
    expect(new Date(after.leaseExpiresAt).getTime()).toBeGreaterThan(new Date(held.leaseExpiresAt).getTime());
  });
});
