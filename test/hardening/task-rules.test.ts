import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from '../tasks/helpers.ts';

// Issue 12's rule bugs found by exercising the seed features through the API (docs/hardening.md).
let t: TestApp;
const clock = new ManualClock(new Date('2032-05-01T08:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

describe('POST /api/v1/tasks/:taskId/pull answers with what the workspace needs (issue 12, item 13)', () => {
  it('returns each pulled item’s external id, kind and payload next to the unit fields', async () => {
    const w = await world(t, 3);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling', batchSize: 2 } });
    const pulled = await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token });
    expect(pulled.status).toBe(200);
    expect(pulled.body.items).toHaveLength(2);
    expect(pulled.body.items[0]).toMatchObject({ taskId: task.id, itemId: w.itemIds[0], copy: 0, workerId: a.id, externalId: 'e0', kind: 'text', payload: { text: 'item number 0' } });
    expect(pulled.body.items[1]).toMatchObject({ itemId: w.itemIds[1], externalId: 'e1', kind: 'text', payload: { text: 'item number 1' } });
    expect(pulled.body.items[0]).not.toHaveProperty('gold');
  });
});

describe('POST /api/v1/tasks/:taskId/unlock on a task locked by lockAfterDueDate (issue 12, item 11)', () => {
  it('unlocks it until the due date changes, and a new past due date locks it again', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const due = new Date(clock.now().getTime() + 3600_000);
    const task = await createTask(t, w, { assigneeIds: [a.id], dueDate: due.toISOString(), lockAfterDueDate: true });
    clock.advance(2 * 3600_000);
    const status = () => t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token });
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(true);
    expect((await status()).status).toBe(409);

    const unlocked = await t.post(`/api/v1/tasks/${task.id}/unlock`, undefined, { token: w.manager.token });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.locked).toBe(false);
    expect(unlocked.body.lockAfterDueDate).toBe(true);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(false);
    expect((await status()).status).toBe(200);

    const newDue = new Date(clock.now().getTime() + 60_000);
    expect((await t.patch(`/api/v1/tasks/${task.id}`, { dueDate: newDue.toISOString() }, { token: w.manager.token })).status).toBe(200);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(false);
    clock.advance(120_000);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(true);
  });

  it('locks again by hand after an unlock lifted the automatic lock', async () => {
    const w = await world(t, 1);
    const task = await createTask(t, w, { dueDate: new Date(clock.now().getTime() - 1000).toISOString(), lockAfterDueDate: true });
    await t.post(`/api/v1/tasks/${task.id}/unlock`, undefined, { token: w.manager.token });
    const locked = await t.post(`/api/v1/tasks/${task.id}/lock`, undefined, { token: w.manager.token });
    expect(locked.body.locked).toBe(true);
    expect((await t.post(`/api/v1/tasks/${task.id}/unlock`, undefined, { token: w.manager.token })).body.locked).toBe(false);
  });
});
