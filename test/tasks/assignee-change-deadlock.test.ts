import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, emptyAnswersRecipe, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('assignee changes racing status writes', () => {
  it('answers every status write and the assignee change without a 5xx when an annotator leaves mid-work', async () => {
    const statuses: number[] = [];
    const patches: number[] = [];
    for (let round = 0; round < 4; round++) {
      const w = await world(t, 40);
      const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
      // Empty answers allowed: the race is between status writes and the assignee change, not answers.
      const task = await createTask(t, w, { assigneeIds: [a.id, b.id], recipeId: await emptyAnswersRecipe(t, w) });
      const mine = (await t.get(`/api/v1/tasks/${task.id}/items`, { token: a.token, query: { limit: 100 } })).body.data.map((u: any) => u.itemId);
      const writes = mine.map((itemId: string) => t.put(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { status: 'completed' }, { token: a.token }));
      const patch = t.request('PATCH', `/api/v1/tasks/${task.id}`, { token: w.manager.token, body: { assigneeIds: [b.id] } });
      const [done, changed] = await Promise.all([Promise.all(writes), patch]);
      statuses.push(...done.map((r: any) => r.status));
      patches.push(changed.status);
      // Whatever the interleaving, the counters agree with the units.
      const view = (await t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token })).body;
      const units = (await t.get(`/api/v1/tasks/${task.id}/items`, { token: w.manager.token, query: { limit: 100 } })).body.data;
      expect(view.counts.done).toBe(units.filter((u: any) => u.done).length);
    }
    expect(patches).toEqual(patches.map(() => 200));
    // A write that lost the race to the change is refused (the item is no longer a's), never a 5xx.
    expect(statuses.filter((s) => s !== 200 && s !== 403)).toEqual([]);
  });

  it('deletes or archives a task whose first statuses are being set at that moment, without a 5xx', async () => {
    const outcomes: number[] = [];
    const writes: number[] = [];
    for (let round = 0; round < 4; round++) {
      const w = await world(t, 30);
      const a = await t.member(w.projectId, 'annotator');
      // Empty answers allowed: an answer would give the task history before the race starts.
      const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: await emptyAnswersRecipe(t, w) });
      const sets = w.itemIds.map((itemId) => t.put(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { status: 'completed' }, { token: a.token }));
      const removal = t.delete(`/api/v1/tasks/${task.id}`, { token: w.manager.token });
      const [done, removed] = await Promise.all([Promise.all(sets), removal]);
      writes.push(...done.map((r: any) => r.status));
      outcomes.push(removed.status);
      // Archived when a status got in first (docs/workflow.md, Delete and archive: history is kept), gone otherwise.
      const after = await t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token });
      if (removed.status === 200) expect(after.body.archived).toBe(true);
      else expect(after.status).toBe(404);
    }
    expect(outcomes.filter((s) => s !== 200 && s !== 204)).toEqual([]);
    expect(writes.filter((s) => s !== 200 && s !== 404 && s !== 409)).toEqual([]);
  });
});
