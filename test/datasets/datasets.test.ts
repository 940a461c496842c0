import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask } from '../../src/tasks/create-task.ts';
import { markHistory } from '../../src/task-units/task-units.ts';
import { createTaskBody } from '../../src/tasks/tasks.schema.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

async function datasetWithItems(lines: unknown[]) {
  const project = await t.project();
  const owner = project.owner;
  const datasetId = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: 'd' }, { token: owner.token })).body.id as string;
  const res = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, {
    payload: lines.map((l) => JSON.stringify(l)).join('\n'),
    contentType: 'application/x-ndjson',
    token: owner.token,
  });
  expect(res.status).toBe(200);
  const items = (await t.get(`/api/v1/datasets/${datasetId}/items`, { token: owner.token })).body.data as any[];
  return { project, owner, datasetId, items };
}

describe('datasets', () => {
  it('creates, lists, reads and renames a dataset, with audit events', async () => {
    const { id: projectId, owner } = await t.project();
    const created = await t.post(`/api/v1/projects/${projectId}/datasets`, { name: 'Support chats' }, { token: owner.token });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ projectId, name: 'Support chats', itemCount: 0 });
    await t.post(`/api/v1/projects/${projectId}/datasets`, { name: 'Second' }, { token: owner.token });
    const page1 = await t.get(`/api/v1/projects/${projectId}/datasets`, { token: owner.token, query: { limit: 1 } });
    expect(page1.body.data.map((d: any) => d.name)).toEqual(['Support chats']);
    const page2 = await t.get(`/api/v1/projects/${projectId}/datasets`, { token: owner.token, query: { limit: 1, cursor: page1.body.nextCursor } });
    expect(page2.body.data.map((d: any) => d.name)).toEqual(['Second']);
    expect(page2.body.nextCursor).toBeNull();
    const renamed = await t.patch(`/api/v1/datasets/${created.body.id}`, { name: 'Renamed' }, { token: owner.token });
    expect(renamed.body.name).toBe('Renamed');
    expect((await t.get(`/api/v1/datasets/${created.body.id}`, { token: owner.token })).body.name).toBe('Renamed');
    const audit = await t.get('/api/v1/audit', { query: { projectId, subjectId: created.body.id } });
    expect(audit.body.data.map((e: any) => e.action)).toEqual(['dataset.update', 'dataset.create']);
  });

  it('lets viewers read and refuses them writes (403); hides datasets from non-members (404)', async () => {
    const { id: projectId, owner } = await t.project();
    const viewer = await t.member(projectId, 'viewer');
    const dataset = (await t.post(`/api/v1/projects/${projectId}/datasets`, { name: 'd' }, { token: owner.token })).body;
    expect((await t.get(`/api/v1/datasets/${dataset.id}`, { token: viewer.token })).status).toBe(200);
    expect((await t.patch(`/api/v1/datasets/${dataset.id}`, { name: 'x' }, { token: viewer.token })).status).toBe(403);
    expect((await t.delete(`/api/v1/datasets/${dataset.id}`, { token: viewer.token })).status).toBe(403);
    expect((await t.get(`/api/v1/datasets/${dataset.id}`, { token: (await t.user()).token })).status).toBe(404);
  });

  it('deletes a dataset with its items when no task over it has history', async () => {
    const { owner, datasetId, items } = await datasetWithItems([{ kind: 'text', payload: { text: 'a' } }]);
    const res = await t.delete(`/api/v1/datasets/${datasetId}`, { token: owner.token });
    expect(res.status).toBe(204);
    expect((await t.get(`/api/v1/datasets/${datasetId}`, { token: owner.token })).status).toBe(404);
    expect((await t.get(`/api/v1/items/${items[0].id}`, { token: owner.token })).status).toBe(404);
  });

  it('refuses to delete a dataset a task with history uses (409 dataset_in_use), and keeps it', async () => {
    const { project, owner, datasetId } = await datasetWithItems([{ kind: 'text', payload: { text: 'a' } }]);
    const caller = { userId: owner.id, isAdmin: false };
    const task = await createTask(t.ctx, caller, project.id, createTaskBody.parse({ name: 'label', type: 'labeling', datasetId }));
    const untouched = await t.delete(`/api/v1/datasets/${datasetId}`, { token: owner.token, query: {} });
    expect(untouched.status, 'a task without history does not hold the dataset').not.toBe(409);
    const second = await datasetWithItems([{ kind: 'text', payload: { text: 'b' } }]);
    const used = await createTask(t.ctx, { userId: second.owner.id, isAdmin: false }, second.project.id, createTaskBody.parse({ name: 'l', type: 'labeling', datasetId: second.datasetId }));
    await t.ctx.db.transaction((tx) => markHistory(tx, used.id));
    const res = await t.delete(`/api/v1/datasets/${second.datasetId}`, { token: second.owner.token });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('dataset_in_use');
    expect((await t.get(`/api/v1/datasets/${second.datasetId}`, { token: second.owner.token })).body.itemCount).toBe(1);
    expect(task.id).toBeTruthy();
  });
});

describe('items', () => {
  let owner: TestUser;
  it('reads one item with its payload; lists return payload only with include=payload', async () => {
    const made = await datasetWithItems([{ externalId: 'x', kind: 'text', payload: { text: 'hello' }, metadata: { a: 1 } }]);
    owner = made.owner;
    const item = await t.get(`/api/v1/items/${made.items[0].id}`, { token: owner.token });
    expect(item.body).toMatchObject({ externalId: 'x', kind: 'text', payload: { text: 'hello' }, metadata: { a: 1 }, draft: false, annotations: null, gold: null });
    expect(made.items[0].payload).toBeUndefined();
    const withPayload = await t.get(`/api/v1/datasets/${made.datasetId}/items`, { token: owner.token, query: { include: 'payload' } });
    expect(withPayload.body.data[0].payload).toEqual({ text: 'hello' });
  });

  it('drafts and undrafts an item and merges its metadata (null removes a key), audited', async () => {
    const { project, owner, items } = await datasetWithItems([{ kind: 'test_case', payload: { turns: [{ role: 'user', content: 'q' }] }, metadata: { a: 1, b: 2 } }]);
    const id = items[0].id;
    const drafted = await t.patch(`/api/v1/items/${id}`, { draft: true, metadata: { b: null, c: 3 } }, { token: owner.token });
    expect(drafted.status).toBe(200);
    expect(drafted.body).toMatchObject({ draft: true, metadata: { a: 1, c: 3 } });
    expect(drafted.body.metadata).not.toHaveProperty('b');
    const undrafted = await t.patch(`/api/v1/items/${id}`, { draft: false }, { token: owner.token });
    expect(undrafted.body.draft).toBe(false);
    const audit = await t.get('/api/v1/audit', { query: { projectId: project.id, subjectId: id } });
    expect(audit.body.data.map((e: any) => e.action)).toEqual(['item.undraft', 'item.draft']);
  });

  it('keeps every key when many metadata patches race on one item', async () => {
    const { owner, items } = await datasetWithItems([{ kind: 'text', payload: { text: 'x' } }]);
    const id = items[0].id;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => t.patch(`/api/v1/items/${id}`, { metadata: { [`k${i}`]: i } }, { token: owner.token })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const item = await t.get(`/api/v1/items/${id}`, { token: owner.token });
    expect(Object.keys(item.body.metadata).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `k${i}`).sort());
  });

  it('refuses annotators item changes (403) and an empty patch (400)', async () => {
    const { project, owner, items } = await datasetWithItems([{ kind: 'text', payload: { text: 'x' } }]);
    const annotator = await t.member(project.id, 'annotator');
    expect((await t.patch(`/api/v1/items/${items[0].id}`, { draft: true }, { token: annotator.token })).status).toBe(403);
    expect((await t.patch(`/api/v1/items/${items[0].id}`, {}, { token: owner.token })).status).toBe(400);
  });

  it('sets gold shapes checked against the item and, when named, a recipe (422 naming the rule)', async () => {
    const { project, owner, items } = await datasetWithItems([{ kind: 'image', payload: { url: 'https://e.com/a.png', width: 10, height: 10 } }]);
    const id = items[0].id;
    const recipe = (await t.post(`/api/v1/projects/${project.id}/recipes`, { name: 'r', labels: [{ name: 'cat' }], tools: ['bbox'] }, { token: owner.token })).body;
    const ok = await t.put(`/api/v1/items/${id}/gold`, { shapes: [{ tool: 'bbox', label: 'cat', x: 1, y: 1, w: 5, h: 5 }], recipeId: recipe.id }, { token: owner.token });
    expect(ok.status).toBe(200);
    expect(ok.body.gold).toEqual([{ tool: 'bbox', label: 'cat', x: 1, y: 1, w: 5, h: 5 }]);
    const outside = await t.put(`/api/v1/items/${id}/gold`, { shapes: [{ tool: 'bbox', label: 'cat', x: 8, y: 1, w: 5, h: 5 }] }, { token: owner.token });
    expect(outside.status).toBe(422);
    expect(outside.body).toMatchObject({ code: 'validation_failed', rule: 'bbox_outside_image', shapeIndex: 0 });
    const unknownLabel = await t.put(`/api/v1/items/${id}/gold`, { shapes: [{ tool: 'bbox', label: 'dog', x: 1, y: 1, w: 1, h: 1 }], recipeId: recipe.id }, { token: owner.token });
    expect(unknownLabel.body).toMatchObject({ code: 'validation_failed', rule: 'unknown_label' });
    expect((await t.get(`/api/v1/items/${id}`, { token: owner.token })).body.gold).toEqual(ok.body.gold);
  });
});
