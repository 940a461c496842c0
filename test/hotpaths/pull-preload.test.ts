import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { findTaskAs, findTaskAsPreloaded, findTaskAsWithItem, findTaskAsWithItemPreloaded, taskActorJson, taskItemActorJson } from '../../src/task-units/task-access.ts';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from '../tasks/helpers.ts';

/**
 * A pull reads its task and the caller's assignments in the authenticating statement
 * (`preload: 'taskActor'`): the task row rebuilt from that JSON must be the row `findTaskAs`
 * reads (dates, JSON settings, counters), and every answer must stay the same.
 */
let t: TestApp;
const clock = new ManualClock(new Date('2033-02-01T09:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

const pull = (taskId: string, token: string | null, body: Record<string, unknown> = {}) => t.post(`/api/v1/tasks/${taskId}/pull`, body, { token });

describe('a pull with the task read by the authentication', () => {
  it('rebuilds exactly the row and actor findTaskAs reads', async () => {
    const w = await world(t, 4);
    const a = await t.member(w.projectId, 'annotator');
    const b = await t.member(w.projectId, 'annotator');
    const group = (await t.post(`/api/v1/projects/${w.projectId}/groups`, { name: `g-${Math.random()}`, memberIds: [a.id, b.id] }, { token: w.owner.token })).body;
    const task = await createTask(t, w, {
      assigneeIds: [a.id, group.id],
      dueDate: new Date(clock.now().getTime() + 86_400_000).toISOString(),
      lockAfterDueDate: true,
      priority: 'high',
      consensus: { annotatorsPerItem: 2 },
      allocation: { method: 'pulling', batchSize: 2, maxWorkload: 3 },
    });
    const caller = { userId: a.id, isAdmin: false };
    const [row] = rowsOf<{ preload: unknown }>(await t.ctx.db.execute(sql`select ${taskActorJson(sql`${task.id}::uuid`, sql`${a.id}::uuid`)} as preload`));
    const fromJson = await findTaskAsPreloaded(t.ctx.db, caller, task.id, 'annotator', row!.preload);
    const read = await findTaskAs(t.ctx.db, caller, task.id, 'annotator');
    expect(fromJson).toEqual(read);
    expect(fromJson.task.dueDate).toBeInstanceOf(Date);
    expect(fromJson.actor.annotatorAssignmentIds).toHaveLength(2);
    // A preload of another task is not used.
    const other = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling' } });
    expect((await findTaskAsPreloaded(t.ctx.db, caller, other.id, 'annotator', row!.preload)).task.id).toBe(other.id);
  });

  it('rebuilds, for a status write (`taskItemActor`), exactly the units, row versions and recipe facts findTaskAsWithItem reads', async () => {
    const w = await world(t, 3);
    const a = await t.member(w.projectId, 'annotator');
    const b = await t.member(w.projectId, 'annotator');
    const recipe = await t.post(`/api/v1/projects/${w.projectId}/recipes`, {
      name: `r-${Math.random()}`, labels: [{ name: 'cat' }], tools: ['classification'], allowEmpty: true, statuses: [{ name: 'needs_work', countsAsDone: false }],
    }, { token: w.owner.token });
    expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id], recipeId: recipe.body.id, consensus: { annotatorsPerItem: 2 }, allocation: { method: 'pulling', batchSize: 1 } });
    expect((await pull(task.id, a.token)).status).toBe(200); // a unit with a worker, a lease and a start
    const itemId = w.itemIds[0]!;
    const caller = { userId: a.id, isAdmin: false };
    const [row] = rowsOf<{ preload: unknown }>(await t.ctx.db.execute(sql`select ${taskItemActorJson(sql`${task.id}::uuid`, sql`${a.id}::uuid`, sql`${itemId}::uuid`)} as preload`));
    const fromJson = await findTaskAsWithItemPreloaded(t.ctx.db, caller, task.id, itemId, 'annotator', row!.preload);
    const read = await findTaskAsWithItem(t.ctx.db, caller, task.id, itemId, 'annotator', { lock: false });
    expect(fromJson).toEqual(read);
    expect(fromJson.units).toHaveLength(2);
    expect(fromJson.units.some((u) => u.workerId === a.id && u.leaseExpiresAt instanceof Date)).toBe(true);
    expect(fromJson.versions.size).toBe(2);
    expect(fromJson.recipe).toEqual({ statuses: [{ name: 'needs_work', countsAsDone: false }], allowEmpty: true, validates: false });
    // A preload of another item is not used.
    const other = await findTaskAsWithItemPreloaded(t.ctx.db, caller, task.id, w.itemIds[1]!, 'annotator', row!.preload);
    expect(other.units.map((u) => u.itemId)).toEqual([w.itemIds[1], w.itemIds[1]]);
  });

  it('answers as before: items for an annotator, 404 for a non-member, 403 for a viewer and for a member not assigned, 409 once the due date locks the task', async () => {
    const w = await world(t, 6);
    const a = await t.member(w.projectId, 'annotator');
    const viewer = await t.member(w.projectId, 'viewer');
    const unassigned = await t.member(w.projectId, 'annotator');
    const outsider = await t.user();
    const task = await createTask(t, w, { assigneeIds: [a.id], dueDate: new Date(clock.now().getTime() + 60_000).toISOString(), lockAfterDueDate: true, allocation: { method: 'pulling', batchSize: 2 } });
    const got = await pull(task.id, a.token);
    expect(got.status).toBe(200);
    expect(got.body.items).toHaveLength(2);
    expect(got.body.items[0]).toMatchObject({ kind: 'text', externalId: 'e0', payload: { text: 'item number 0' } });
    expect((await pull(task.id, outsider.token)).status).toBe(404);
    expect((await pull(task.id, viewer.token)).status).toBe(403);
    expect((await pull(task.id, unassigned.token)).status).toBe(403);
    expect((await pull('00000000-0000-4000-8000-000000000000', a.token)).status).toBe(404);
    clock.advance(61_000);
    const locked = await pull(task.id, a.token);
    expect(locked.status).toBe(409);
    expect(locked.body.code).toBe('task_locked');
  });
});
