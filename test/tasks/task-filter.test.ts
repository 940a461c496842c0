import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('item filters in task bodies', () => {
  it('creates a task over the items a filter selects', async () => {
    const w = await world(t, 6);
    const task = await createTask(t, w, { filter: { field: 'externalId', op: 'in', value: ['e1', 'e3'] } });
    expect(task.counts.items).toBe(2);
  });

  it('answers 400 invalid_filter, as ?filter= does, for a bad filter on create and on add-items, and creates nothing', async () => {
    const w = await world(t, 3);
    const before = await t.get(`/api/v1/projects/${w.projectId}/summary`, { token: w.manager.token });
    const bad = await t.post(
      `/api/v1/projects/${w.projectId}/tasks`,
      { name: 'bad', type: 'labeling', datasetId: w.datasetId, filter: { field: 'payload; drop table items', op: 'eq', value: 1 } },
      { token: w.manager.token },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_filter');
    const after = await t.get(`/api/v1/projects/${w.projectId}/summary`, { token: w.manager.token });
    expect(after.body.tasks).toBe(before.body.tasks);

    const task = await createTask(t, w, { itemIds: [w.itemIds[0]] });
    const add = await t.post(`/api/v1/tasks/${task.id}/items`, { filter: { field: 'kind', op: 'regex', value: '.*' } }, { token: w.manager.token });
    expect(add.status).toBe(400);
    expect(add.body.code).toBe('invalid_filter');
  });
});
