import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plan } from '../../src/task-units/distribute.ts';
import { taskItems } from '../../src/task-units/task-items.table.ts';
import { taskAssignees } from '../../src/task-units/assignments.table.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

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
