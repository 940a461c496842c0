import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { answer, createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const ids = (res: any) => res.body.data.map((x: any) => x.id);

describe('GET /api/v1/projects/:projectId/tasks', () => {
  it('filters by q, type, priority (none too), owner, assignee and dataset', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const t1 = await createTask(t, w, { name: 'Cats alpha', priority: 'high', assigneeIds: [a.id] });
    const t2 = await createTask(t, w, { name: 'Dogs beta', type: 'consensus', consensus: { annotatorsPerItem: 1 } });
    const t3 = await createTask(t, w, { name: 'Birds', priority: 'low', ownerId: a.email });
    const url = `/api/v1/projects/${w.projectId}/tasks`;
    expect(ids(await t.get(url, { query: { q: 'alpha' } }))).toEqual([t1.id]);
    expect(ids(await t.get(url, { query: { q: t2.id } }))).toEqual([t2.id]);
    expect(ids(await t.get(url, { query: { type: 'consensus' } }))).toEqual([t2.id]);
    expect(ids(await t.get(url, { query: { priority: 'none' } }))).toEqual([t2.id]);
    expect(ids(await t.get(url, { query: { ownerId: a.id } }))).toEqual([t3.id]);
    expect(ids(await t.get(url, { query: { assignee: 'me' }, token: a.token }))).toEqual([t1.id]);
    expect(ids(await t.get(url, { query: { assignee: 'unassigned' } }))).toEqual([t2.id, t3.id]);
    expect(ids(await t.get(url, { query: { datasetId: w.datasetId, status: 'open' } }))).toHaveLength(3);
    expect(ids(await t.get(url, { query: { forReview: true } }))).toEqual([]);
    // q also finds tasks by their dataset's name.
    const zebra = await t.post(`/api/v1/projects/${w.projectId}/datasets`, { name: 'Zebra crossings' }, { token: w.owner.token });
    const t4 = await createTask(t, w, { name: 'Plain', datasetId: zebra.body.id });
    expect(ids(await t.get(url, { query: { q: 'zebra' } }))).toEqual([t4.id]);
    expect(ids(await t.get(url, { query: { q: 'plain' } }))).toEqual([t4.id]);
    // assignee=me (or a person's id) also finds the tasks of their groups.
    const group = (await t.post(`/api/v1/projects/${w.projectId}/groups`, { name: 'team', memberIds: [a.id] }, { token: w.owner.token })).body;
    const t5 = await createTask(t, w, { name: 'Team work', assigneeIds: [group.id] });
    expect(ids(await t.get(url, { query: { assignee: 'me' }, token: a.token })).sort()).toEqual([t1.id, t5.id].sort());
    expect(ids(await t.get(url, { query: { assignee: a.id } })).sort()).toEqual([t1.id, t5.id].sort());
  });

  it('pages through every sort with keyset cursors, without gaps or repeats', async () => {
    const w = await world(t, 1);
    const made = [];
    const prios = ['high', 'low', null, 'medium', 'high', null, 'low'];
    for (const [i, p] of prios.entries()) made.push(await createTask(t, w, { name: `n${(7 - i) % 4}`, priority: p, dueDate: i % 2 ? new Date(Date.UTC(2040, 0, i + 1)).toISOString() : null }));
    for (const sort of ['createdAt', '-createdAt', 'name', '-name', 'priority', '-priority', 'dueDate', '-dueDate', 'updatedAt']) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { sort, limit: 2, cursor } });
        expect(res.status, sort).toBe(200);
        seen.push(...ids(res));
        cursor = res.body.nextCursor ?? undefined;
      } while (cursor);
      expect(new Set(seen).size, sort).toBe(7);
      expect(seen.length, sort).toBe(7);
    }
    const byPriority = ids(await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { sort: 'priority' } }));
    expect(byPriority.slice(0, 2).sort()).toEqual([made[0].id, made[4].id].sort());
  });
});

describe('allocation changes', () => {
  it('reassigns unfinished items, rebalances only items with no status, and adds items later', async () => {
    const w = await world(t, 8);
    const [a, b, c] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id], itemIds: w.itemIds.slice(0, 6) });
    const aItems = (await t.get(`/api/v1/tasks/${task.id}/items`, { query: { assigneeId: a.id } })).body.data;
    await answer(t, task.id, aItems[0].itemId, a.token);
    expect((await t.put(`/api/v1/tasks/${task.id}/items/${aItems[0].itemId}/status`, { status: 'completed' }, { token: a.token })).status).toBe(200);
    const moved = await t.post(`/api/v1/tasks/${task.id}/reassign`, { fromId: a.id, toId: c.email }, { token: w.manager.token });
    expect(moved.body.moved).toBe(2);
    let counts = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data.map((x: any) => [x.assigneeId, x.counts.items, x.counts.withStatus]);
    expect(counts).toEqual([[a.id, 1, 1], [b.id, 3, 0], [c.id, 2, 0]]);
    const rebalanced = await t.post(`/api/v1/tasks/${task.id}/rebalance`, undefined, { token: w.manager.token });
    expect(rebalanced.status).toBe(200);
    counts = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data.map((x: any) => [x.assigneeId, x.counts.items, x.counts.withStatus]);
    // The item with a status stays with a; the five others are spread over a, b, c.
    expect(counts.find((x: any) => x[0] === a.id)![2]).toBe(1);
    expect(counts.reduce((s: number, x: any) => s + x[1], 0)).toBe(6);
    expect(Math.max(...counts.map((x: any) => x[1])) - Math.min(...counts.map((x: any) => x[1]))).toBeLessThanOrEqual(1);
    const added = await t.post(`/api/v1/tasks/${task.id}/items`, { allRemaining: true }, { token: w.manager.token });
    expect(added.body.added).toBe(2);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.progress.total).toBe(8);
    expect((await t.post(`/api/v1/tasks/${task.id}/items`, { itemIds: [w.itemIds[0]] }, { token: w.manager.token })).body.added).toBe(0);
  });
});

describe('POST /api/v1/projects/:projectId/tasks/batch', () => {
  it('applies each action by the single-operation rules and reports one outcome per task', async () => {
    const w = await world(t, 1);
    const a = await t.member(w.projectId, 'annotator');
    const plain = await createTask(t, w, { assigneeIds: [a.id] });
    const used = await createTask(t, w, { assigneeIds: [a.id] });
    const locked = await createTask(t, w, { assigneeIds: [a.id] });
    await answer(t, used.id, w.itemIds[0]!, a.token);
    expect((await t.put(`/api/v1/tasks/${used.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token })).status).toBe(200);
    await t.post(`/api/v1/tasks/${locked.id}/lock`, undefined, { token: w.manager.token });
    const upd = await t.post(`/api/v1/projects/${w.projectId}/tasks/batch`, { action: 'update', filter: { assignee: a.id }, patch: { priority: 'medium' } }, { token: w.manager.token });
    expect(upd.body.results.map((r: any) => [r.id, r.ok])).toEqual([[plain.id, true], [used.id, true], [locked.id, false]]);
    expect(upd.body.results[2].code).toBe('task_locked');
    const del = await t.post(`/api/v1/projects/${w.projectId}/tasks/batch`, { action: 'delete', ids: [plain.id, used.id] }, { token: w.manager.token });
    expect(del.body.results).toEqual([
      { id: plain.id, ok: true, status: 204 },
      { id: used.id, ok: true, status: 200, archived: true },
    ]);
    const annot = await t.post(`/api/v1/projects/${w.projectId}/tasks/batch`, { action: 'delete', ids: [locked.id] }, { token: a.token });
    expect(annot.status).toBe(403);
  });
});
