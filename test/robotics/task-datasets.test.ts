import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';
import { importItems } from '../reviews/review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const texts = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ kind: 'text', payload: { text: `${prefix} ${i}` } }));
const cat = [{ tool: 'classification', label: 'cat' }];

async function twoDatasets(sizes: [number, number] = [3, 2]) {
  const project = await t.project();
  const token = project.owner.token;
  const a = await importItems(t, project.id, token, texts(sizes[0], 'a'));
  const b = await importItems(t, project.id, token, texts(sizes[1], 'b'));
  const annotator = await t.member(project.id, 'annotator');
  const recipe = (await t.post(`/api/v1/projects/${project.id}/recipes`, { name: unique('r'), labels: [{ name: 'cat' }], tools: ['classification'] }, { token })).body.id;
  return { project, token, a, b, annotator, recipe };
}

describe('POST /api/v1/projects/:projectId/tasks with datasetIds', () => {
  it('creates one task over every item of several datasets and shows its dataset count', async () => {
    const { project, token, a, b, annotator, recipe } = await twoDatasets();
    const res = await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'multi', type: 'labeling', datasetIds: [a.datasetId, b.datasetId], recipeId: recipe, assigneeIds: [annotator.id] }, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ datasetId: a.datasetId, datasetCount: 2, counts: { items: 5, invalid: 0 } });
    const units = (await t.get(`/api/v1/tasks/${res.body.id}/items`, { token: annotator.token, query: { limit: 500 } })).body.data;
    expect(units.map((u: any) => u.itemId).sort()).toEqual([...a.itemIds, ...b.itemIds].sort());
    // The task list's dataset filter finds it by either dataset.
    const listed = (await t.get(`/api/v1/projects/${project.id}/tasks`, { query: { datasetId: b.datasetId } })).body.data;
    expect(listed.map((x: any) => x.id)).toEqual([res.body.id]);
  });

  it('keeps datasetId working, with a dataset count of one', async () => {
    const { project, token, a } = await twoDatasets();
    const res = await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'single', type: 'labeling', datasetId: a.datasetId }, { token });
    expect(res.body).toMatchObject({ datasetId: a.datasetId, datasetCount: 1, counts: { items: 3 } });
    const list = (await t.get(`/api/v1/tasks/${res.body.id}/datasets`)).body.data;
    expect(list).toEqual([{ datasetId: a.datasetId, name: expect.any(String), items: 3, annotated: 0, done: 0, percent: 0 }]);
  });

  it('refuses a dataset of another project and writes nothing', async () => {
    const { project, token, a } = await twoDatasets();
    const other = await t.project();
    const foreign = await importItems(t, other.id, other.owner.token, texts(1, 'x'));
    const before = (await t.get(`/api/v1/projects/${project.id}/tasks`)).body.data.length;
    const res = await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'bad', type: 'labeling', datasetIds: [a.datasetId, foreign.datasetId] }, { token });
    expect(res.status).toBe(422);
    expect((await t.get(`/api/v1/projects/${project.id}/tasks`)).body.data.length).toBe(before);
  });

  it('refuses datasetId and datasetIds together with 400', async () => {
    const { project, token, a, b } = await twoDatasets();
    const res = await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'both', type: 'labeling', datasetId: a.datasetId, datasetIds: [b.datasetId] }, { token });
    expect(res.status).toBe(400);
  });
});

describe('GET /api/v1/tasks/:taskId/datasets', () => {
  it('reports items, annotated, done and percent per dataset', async () => {
    const { project, token, a, b, annotator, recipe } = await twoDatasets([4, 2]);
    const task = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'p', type: 'labeling', datasetIds: [a.datasetId, b.datasetId], recipeId: recipe, assigneeIds: [annotator.id] }, { token })).body;
    for (const id of a.itemIds.slice(0, 2)) await t.put(`/api/v1/tasks/${task.id}/items/${id}/annotations`, { shapes: cat }, { token: annotator.token });
    await t.put(`/api/v1/tasks/${task.id}/items/${a.itemIds[0]}/status`, { status: 'completed' }, { token: annotator.token });
    await t.put(`/api/v1/tasks/${task.id}/items/${b.itemIds[0]}/status`, { status: 'discarded' }, { token: annotator.token });
    const list = (await t.get(`/api/v1/tasks/${task.id}/datasets`)).body.data;
    expect(list).toEqual([
      { datasetId: a.datasetId, name: expect.any(String), items: 4, annotated: 2, done: 1, percent: 25 },
      { datasetId: b.datasetId, name: expect.any(String), items: 2, annotated: 0, done: 1, percent: 50 },
    ]);
  });

  it('answers 404 to a member of another project', async () => {
    const { project, token, a } = await twoDatasets();
    const task = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'p', type: 'labeling', datasetId: a.datasetId }, { token })).body;
    const stranger = (await t.project()).owner;
    expect((await t.get(`/api/v1/tasks/${task.id}/datasets`, { token: stranger.token })).status).toBe(404);
  });
});

describe('POST and DELETE /api/v1/tasks/:taskId/datasets', () => {
  it('adds a dataset whose items enter the allocation, once', async () => {
    const { project, token, a, b, annotator } = await twoDatasets([2, 3]);
    const task = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'add', type: 'labeling', datasetId: a.datasetId, assigneeIds: [annotator.id] }, { token })).body;
    const added = await t.post(`/api/v1/tasks/${task.id}/datasets`, { datasetId: b.datasetId }, { token });
    expect(added.body).toEqual({ datasetId: b.datasetId, added: 3 });
    expect((await t.post(`/api/v1/tasks/${task.id}/datasets`, { datasetId: b.datasetId }, { token })).body).toEqual({ datasetId: b.datasetId, added: 0 });
    const after = (await t.get(`/api/v1/tasks/${task.id}`)).body;
    expect(after).toMatchObject({ datasetCount: 2, counts: { items: 5 } });
    // Distributed to the annotator as "add items" does.
    const mine = (await t.get(`/api/v1/tasks/${task.id}/items`, { token: annotator.token, query: { limit: 500 } })).body.data;
    expect(mine.filter((u: any) => u.assignmentId !== null)).toHaveLength(5);
    const assignments = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data;
    expect(assignments.find((x: any) => x.role === 'annotator')?.counts?.items ?? assignments[0].counts.items).toBe(5);
  });

  it('lets only managers and owners add or remove datasets', async () => {
    const { project, token, a, b, annotator } = await twoDatasets();
    const task = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'roles', type: 'labeling', datasetId: a.datasetId }, { token })).body;
    expect((await t.post(`/api/v1/tasks/${task.id}/datasets`, { datasetId: b.datasetId }, { token: annotator.token })).status).toBe(403);
    expect((await t.delete(`/api/v1/tasks/${task.id}/datasets/${a.datasetId}`, { token: annotator.token })).status).toBe(403);
  });

  it('removes a dataset without work: its units leave and the counters follow', async () => {
    const { project, token, a, b, annotator } = await twoDatasets([2, 3]);
    const task = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'rm', type: 'labeling', datasetIds: [a.datasetId, b.datasetId], assigneeIds: [annotator.id] }, { token })).body;
    const res = await t.delete(`/api/v1/tasks/${task.id}/datasets/${a.datasetId}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ datasetId: a.datasetId, removed: 2 });
    const after = (await t.get(`/api/v1/tasks/${task.id}`)).body;
    expect(after).toMatchObject({ datasetId: b.datasetId, datasetCount: 1, counts: { items: 3 } });
    const assignments = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data;
    expect(assignments[0].counts.items).toBe(3);
    // The dataset and its items are untouched.
    expect((await t.get(`/api/v1/datasets/${a.datasetId}/items`)).body.data).toHaveLength(2);
    // The last dataset stays.
    expect((await t.delete(`/api/v1/tasks/${task.id}/datasets/${b.datasetId}`, { token })).status).toBe(422);
  });

  it('refuses to remove a dataset whose items carry annotations (409 dataset_has_work) and changes nothing', async () => {
    const { project, token, a, b, annotator, recipe } = await twoDatasets([2, 2]);
    const task = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'work', type: 'labeling', datasetIds: [a.datasetId, b.datasetId], recipeId: recipe, assigneeIds: [annotator.id] }, { token })).body;
    await t.put(`/api/v1/tasks/${task.id}/items/${b.itemIds[1]}/annotations`, { shapes: cat }, { token: annotator.token });
    const res = await t.delete(`/api/v1/tasks/${task.id}/datasets/${b.datasetId}`, { token });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('dataset_has_work');
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body).toMatchObject({ datasetCount: 2, counts: { items: 4 } });
    expect((await t.get(`/api/v1/tasks/${task.id}/datasets`)).body.data).toHaveLength(2);
  });

  it('deleting a task removes only the association: its datasets and items stay', async () => {
    const { project, token, a, b, annotator, recipe } = await twoDatasets([2, 2]);
    const fresh = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'gone', type: 'labeling', datasetIds: [a.datasetId, b.datasetId] }, { token })).body;
    expect((await t.delete(`/api/v1/tasks/${fresh.id}`, { token })).status).toBe(204);
    const worked = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'archived', type: 'labeling', datasetIds: [a.datasetId, b.datasetId], recipeId: recipe, assigneeIds: [annotator.id] }, { token })).body;
    await t.put(`/api/v1/tasks/${worked.id}/items/${b.itemIds[0]}/annotations`, { shapes: cat }, { token: annotator.token });
    expect((await t.delete(`/api/v1/tasks/${worked.id}`, { token })).body).toEqual({ archived: true });
    for (const d of [a, b]) expect((await t.get(`/api/v1/datasets/${d.datasetId}/items`)).body.data).toHaveLength(2);
    // The second dataset now has task history through the association: it cannot be deleted.
    const del = await t.delete(`/api/v1/datasets/${b.datasetId}`, { token });
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('dataset_in_use');
  });
});
