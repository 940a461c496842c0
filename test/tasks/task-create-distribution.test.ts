import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/task-units/distribute.ts';
import { taskItems } from '../../src/task-units/task-items.table.ts';
import { taskAssignees } from '../../src/task-units/assignments.table.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { createTask, emptyAnswersRecipe, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

/** The task's units in queue order, with the share each one is in. */
const unitsOf = (taskId: string) =>
  t.ctx.db
    .select({ itemId: taskItems.itemId, copy: taskItems.copy, assignmentId: taskItems.assignmentId, workerId: taskItems.workerId })
    .from(taskItems)
    .where(eq(taskItems.taskId, taskId))
    .orderBy(asc(taskItems.position), asc(taskItems.copy));

const sharesOf = (taskId: string) =>
  t.ctx.db
    .select({ id: taskAssignees.id, items: taskAssignees.itemCount, workload: taskAssignees.workload })
    .from(taskAssignees)
    .where(and(eq(taskAssignees.taskId, taskId), eq(taskAssignees.role, 'annotator')))
    .orderBy(asc(taskAssignees.createdAt), asc(taskAssignees.id));

/**
 * A new distributed task with equal shares inserts each unit in its share in one statement
 * (src/task-units/item-selection.ts, `insertDistributedUnits`). It must give out exactly what
 * the general distribution (`plan`, which later edits still use) gives out, and count it.
 */
describe('distribution when a task is created', () => {
  it('gives each unit the share the greedy plan gives it, and counts every share', async () => {
    const w = await world(t, 103);
    const people = await Promise.all([1, 2, 3, 4].map(() => t.member(w.projectId, 'annotator')));
    for (const [type, extra] of [
      ['labeling', {}],
      ['consensus', { consensus: { annotatorsPerItem: 3 } }],
    ] as const) {
      const task = await createTask(t, w, { type, ...extra, assigneeIds: people.map((p) => p.id), allocation: { method: 'distribution' } });
      const units = await unitsOf(task.id);
      const shares = await sharesOf(task.id);
      const copies = type === 'consensus' ? 3 : 1;
      expect(units).toHaveLength(103 * copies);
      const expected = plan(units, shares.map((s) => ({ assignmentId: s.id, weight: null })));
      expect(units.map((u) => u.assignmentId)).toEqual(expected);
      // Consensus: the copies of an item are in distinct shares.
      const holders = new Map<string, Set<string | null>>();
      for (const u of units) holders.set(u.itemId, (holders.get(u.itemId) ?? new Set()).add(u.assignmentId));
      expect([...holders.values()].every((h) => h.size === copies)).toBe(true);
      // Counters agree with a recount, and nothing is owned before anyone works it.
      for (const s of shares) expect(s.items).toBe(units.filter((u) => u.assignmentId === s.id).length);
      expect(units.every((u) => u.workerId === null)).toBe(true);
      const detail = (await t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token })).body;
      expect(detail.progress.total).toBe(103 * copies);
    }
  });

  it('keeps the general plan for workload percentages, and for items added to a task later', async () => {
    const w = await world(t, 40);
    const [a, b, c] = (await Promise.all([1, 2, 3].map(() => t.member(w.projectId, 'annotator')))) as [TestUser, TestUser, TestUser];
    const weighted = await createTask(t, w, { assigneeIds: [a.id, b.id, c.id], allocation: { method: 'distribution', workload: { [a.id]: 50, [b.id]: 30, [c.id]: 20 } } });
    const shares = await sharesOf(weighted.id);
    const units = await unitsOf(weighted.id);
    expect(units.map((u) => u.assignmentId)).toEqual(plan(units, shares.map((s) => ({ assignmentId: s.id, weight: s.workload }))));
    expect(shares.map((s) => s.items)).toEqual([20, 12, 8]);

    // A task over the first 10 items, then the next 30 added: the new ones fill the shares up.
    const task = await createTask(t, w, { itemIds: w.itemIds.slice(0, 10), assigneeIds: [a.id, b.id, c.id], allocation: { method: 'distribution' } });
    const added = await t.post(`/api/v1/tasks/${task.id}/items`, { itemIds: w.itemIds.slice(10) }, { token: w.manager.token });
    expect(added.status).toBeLessThan(300);
    const after = await sharesOf(task.id);
    const all = await unitsOf(task.id);
    expect(all).toHaveLength(40);
    for (const s of after) expect(s.items).toBe(all.filter((u) => u.assignmentId === s.id).length);
    expect(after.map((s) => s.items).sort()).toEqual([13, 13, 14]);
  });
});

/**
 * A task with one unit per item and equal shares redistributes in the database
 * (`distributeEqually`, src/task-units/distribute.ts): after every kind of edit, each unit must
 * be where the general plan (`plan`, what `distributeUnits` computes in the server for the other
 * cases) puts it, counting what stays put, and the counters must agree with a recount.
 */
describe('redistribution with equal shares', () => {
  type Unit = { id: string; itemId: string; assignmentId: string | null; status: string | null; isGold: boolean };
  const fullUnits = (taskId: string): Promise<Unit[]> =>
    t.ctx.db
      .select({ id: taskItems.id, itemId: taskItems.itemId, assignmentId: taskItems.assignmentId, status: taskItems.status, isGold: taskItems.isGold })
      .from(taskItems)
      .where(eq(taskItems.taskId, taskId))
      .orderBy(asc(taskItems.position), asc(taskItems.copy));
  /** Where `plan` puts each unit of `before` among `shareIds` (units that stay or get no share keep theirs). */
  const planned = (before: Unit[], shareIds: string[], onlyUnassigned: boolean) => {
    const movable = (u: Unit) => u.status === null && !u.isGold && (!onlyUnassigned || u.assignmentId === null);
    const fixed = new Map<string, number>();
    for (const u of before) if (!movable(u) && u.assignmentId && !u.isGold) fixed.set(u.assignmentId, (fixed.get(u.assignmentId) ?? 0) + 1);
    const units = before.filter(movable);
    const targets = plan(units, shareIds.map((id) => ({ assignmentId: id, weight: null })), fixed);
    const out = new Map(before.map((u) => [u.id, u.assignmentId]));
    units.forEach((u, i) => targets[i] && out.set(u.id, targets[i]!));
    return before.map((u) => out.get(u.id) ?? null);
  };
  const expectCounted = async (taskId: string) => {
    const units = await fullUnits(taskId);
    for (const s of await sharesOf(taskId)) expect(s.items, s.id).toBe(units.filter((u) => u.assignmentId === s.id).length);
  };

  it('puts each unit where the plan does after statuses, a new annotator, a leaver, a manual move, a rebalance and added items', async () => {
    const w = await world(t, 61);
    const recipeId = await emptyAnswersRecipe(t, w);
    const people = await Promise.all([1, 2, 3, 4, 5].map(() => t.member(w.projectId, 'annotator')));
    const [a, b, c, d, e] = people as [TestUser, TestUser, TestUser, TestUser, TestUser];
    const task = await createTask(t, w, { recipeId, itemIds: w.itemIds.slice(0, 50), assigneeIds: [a.id, b.id, c.id], allocation: { method: 'distribution' } });
    const mine = async (who: TestUser) => (await t.get(`/api/v1/tasks/${task.id}/items`, { token: who.token, query: { limit: 100 } })).body.data.map((x: { itemId: string }) => x.itemId);
    // Uneven finished work: a finishes 9 of theirs, b 2, c none.
    for (const [who, n] of [[a, 9], [b, 2]] as const) {
      for (const itemId of (await mine(who)).slice(0, n)) expect((await t.put(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { status: 'completed' }, { token: who.token })).status).toBe(200);
    }
    const step = async (what: string, edit: () => Promise<{ status: number }>, onlyUnassigned = false) => {
      const before = await fullUnits(task.id);
      const res = await edit();
      expect(res.status, what).toBeLessThan(300);
      const shareIds = (await sharesOf(task.id)).map((s) => s.id);
      const after = await fullUnits(task.id);
      const unchanged = new Map(before.map((u) => [u.id, u]));
      // Units a leaver released were unassigned by the edit before the plan ran.
      // Units the edit added come in with no share.
      const input = after.map((u) => {
        const was = unchanged.get(u.id);
        return was ? { ...was, assignmentId: releasedOr(was, shareIds) } : { ...u, assignmentId: null };
      });
      expect(after.map((u) => u.assignmentId), what).toEqual(planned(input, shareIds, onlyUnassigned));
      await expectCounted(task.id);
    };
    /** A unit held by an assignment that is no longer a share, and not finished, was released by the edit. */
    const releasedOr = (u: Unit, shareIds: string[]) => (u.assignmentId && !shareIds.includes(u.assignmentId) && u.status === null ? null : u.assignmentId);
    await step('a fourth annotator', () => t.patch(`/api/v1/tasks/${task.id}`, { assigneeIds: [a.id, b.id, c.id, d.id] }, { token: w.manager.token }));
    await step('c leaves, e joins', () => t.patch(`/api/v1/tasks/${task.id}`, { assigneeIds: [a.id, b.id, d.id, e.id] }, { token: w.manager.token }));
    const moved = await t.post(`/api/v1/tasks/${task.id}/reassign`, { fromId: d.id, toId: a.id }, { token: w.manager.token });
    expect(moved.body.moved).toBeGreaterThan(0);
    await step('rebalance', () => t.post(`/api/v1/tasks/${task.id}/rebalance`, {}, { token: w.manager.token }));
    await step('11 items added', () => t.post(`/api/v1/tasks/${task.id}/items`, { itemIds: w.itemIds.slice(50) }, { token: w.manager.token }), true);
    // Every unit is in a share; the four shares hold 61 with c's history gone (c finished nothing).
    expect((await fullUnits(task.id)).every((u) => u.assignmentId !== null)).toBe(true);
    expect((await sharesOf(task.id)).map((s) => s.items).sort((x, y) => x - y)).toEqual([15, 15, 15, 16]);
  });
});
