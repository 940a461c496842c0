import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimCandidates } from '../../src/assignments/claim.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

/**
 * Why pull throughput holds over time: the claim never walks past held units. 3,000 of 3,200
 * units are held (pulled, unfinished, lease live) at the head of the queue; the claim's candidate
 * scan must read the free-unit index from its first free entry and touch no held row. With the
 * old queue index (every unit without a status) the scan read the 3,000 held rows first and threw
 * them away, and every claim paid for every held unit.
 */
describe('the pull claim’s plan', () => {
  it('reads only free units, however many held units sit at the head of the queue', async () => {
    const w = await world(t, 3200);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling' } });
    await t.ctx.db.execute(sql`
      update task_items set worker_id = ${w.manager.id}::uuid, lease_expires_at = now() + interval '1 hour', started_at = now()
      where id in (select id from task_items where task_id = ${task.id}::uuid order by position limit 3000)`);
    await t.ctx.db.execute(sql`analyze task_items`);

    const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(await t.ctx.db.execute(sql`explain (analyze, format json) ${claimCandidates(task.id, a.id, 5, new Date())}`));
    const raw = row!['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
    const all = nodes(plan[0]!.Plan);
    const scan = all.find((n) => n['Index Name'] === 'task_items_free_idx');
    expect(scan, JSON.stringify(plan)).toBeDefined();
    // It stops after the five it needs, and filters nothing out: no held unit was read.
    expect(scan!['Actual Rows']).toBe(5);
    expect(all.reduce((s, n) => s + (n['Rows Removed by Filter'] ?? 0), 0)).toBe(0);
    // The five are the first free units in queue order.
    const first = rowsOf<{ item_id: string }>(await t.ctx.db.execute(claimCandidates(task.id, a.id, 5, new Date()))).map((r) => r.item_id);
    expect(first).toEqual(w.itemIds.slice(3000, 3005));
  });
});
