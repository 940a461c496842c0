import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('smoke', () => {
  it('creates a distribution task and sets statuses', async () => {
    const w = await world(t, 4);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.email] });
    expect(task.progress.total).toBe(4);
    const items = await t.get(`/api/v1/tasks/${task.id}/items`, { token: a.token });
    expect(items.status).toBe(200);
    expect(items.body.data).toHaveLength(4);
    const res = await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const got = await t.get(`/api/v1/tasks/${task.id}`, { token: a.token });
    expect(got.body.status).toBe('in_progress');
    expect(got.body.progress.done).toBe(1);
  });
});
