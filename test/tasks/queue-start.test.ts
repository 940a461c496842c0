import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { claimCandidates } from '../../src/assignments/claim.ts';
import { raiseQueueStart } from '../../src/task-units/queue-start.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

/**
 * Where a pulling task's queue starts (docs/allocation.md, "Where the queue starts"): the claim
 * walks the free-unit index from there, so a unit before it that is free, or can become free
 * again, would never be handed out. Each way a unit comes back before the start must lower it.
 */
let t: TestApp;
const clock = new ManualClock(new Date('2034-03-01T08:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

const startOf = async (taskId: string) =>
  rowsOf<{ free_from: string | number }>(await t.ctx.db.execute(sql`select free_from from task_queue_heads where task_id = ${taskId}::uuid`)).map((r) => Number(r.free_from))[0];
const positionOf = async (taskId: string, itemId: string) =>
  Number(rowsOf<{ position: string | number }>(await t.ctx.db.execute(sql`select position from task_items where task_id = ${taskId}::uuid and item_id = ${itemId}::uuid`))[0]!.position);

type Pulled = { items: Array<{ itemId: string }> };

describe('where the queue starts', () => {
  it('moves up past finished units, comes back down for a unit that loses its status or a dataset added later, and no unit is ever skipped', async () => {
    const w = await world(t, 30);
    const a = await t.member(w.projectId, 'annotator');
    const b = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id], allocation: { method: 'pulling', batchSize: 10, maxWorkload: 20, leaseSeconds: 600 } });
    const pull = async (who: { token: string }, count: number) => {
      const res = await t.post<Pulled>(`/api/v1/tasks/${task.id}/pull`, { count }, { token: who.token });
      expect(res.status).toBe(200);
      return res.body.items.map((i) => i.itemId);
    };
    const setStatus = async (who: { token: string }, itemId: string, status: string | null) => {
      const url = `/api/v1/tasks/${task.id}/items/${itemId}/status`;
      const res = status === null ? await t.delete(url, { token: who.token }) : await t.put(url, { status }, { token: who.token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };

    // a takes items 0–9, finishes 0–7 and keeps 8 and 9.
    expect(await pull(a, 10)).toEqual(w.itemIds.slice(0, 10));
    for (const id of w.itemIds.slice(0, 8)) await setStatus(a, id, 'discarded');
    // b's pull is due to sweep (the clock moved on), so it raises the start: to a's held item 8,
    // the first unit without a status, not to b's first free one.
    clock.advance(11_000);
    expect(await pull(b, 2)).toEqual(w.itemIds.slice(10, 12));
    expect(await startOf(task.id)).toBe(await positionOf(task.id, w.itemIds[8]!));

    // a takes item 3's status back: the start comes down to it in the same write.
    await setStatus(a, w.itemIds[3]!, null);
    expect(await startOf(task.id)).toBe(await positionOf(task.id, w.itemIds[3]!));
    // A raise now stops at item 3 (a holds it again, without a status).
    await raiseQueueStart(t.ctx.db, task.id);
    expect(await startOf(task.id)).toBe(await positionOf(task.id, w.itemIds[3]!));

    // The leases run out (a's on 3, 8 and 9, b's on 10 and 11): they go back to the queue, and
    // b's next pull gets them first, in queue order, though 3 sits before the start b's last
    // claim walked from.
    clock.advance(601_000);
    expect(await pull(b, 4)).toEqual([3, 8, 9, 10].map((i) => w.itemIds[i]));

    // b finishes those four; the next due pull claims item 11 and raises the start to it.
    for (const id of [3, 8, 9, 10].map((i) => w.itemIds[i]!)) await setStatus(b, id, 'discarded');
    clock.advance(11_000);
    expect(await pull(b, 1)).toEqual([w.itemIds[11]]);
    expect(await startOf(task.id)).toBe(await positionOf(task.id, w.itemIds[11]!));

    // A dataset imported before this one, added to the task now: its units sit before the start,
    // and they come first in the queue.
    const early = await t.post(`/api/v1/projects/${w.projectId}/datasets`, { name: `early-${Math.random()}` }, { token: w.owner.token });
    // (Positions are the items' import order across datasets, so make this dataset's items older
    // than the task's by moving them before the task's first unit.)
    await t.post(`/api/v1/datasets/${early.body.id}/items`, [{ kind: 'text', externalId: 'early', payload: { text: 'early' } }], { token: w.owner.token });
    const [earlyItem] = rowsOf<{ id: string }>(await t.ctx.db.execute(sql`select id from items where dataset_id = ${early.body.id}::uuid`));
    await t.ctx.db.execute(sql`update items set seq = (select min(seq) from items where dataset_id = ${w.datasetId}::uuid) - 1 where id = ${earlyItem!.id}::uuid`);
    const added = await t.post(`/api/v1/tasks/${task.id}/datasets`, { datasetId: early.body.id }, { token: w.manager.token });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.added).toBe(1);
    expect(await startOf(task.id)).toBe(await positionOf(task.id, earlyItem!.id));
    expect(await pull(a, 2)).toEqual([earlyItem!.id, w.itemIds[12]]);
  });

  it('is where the claim starts its walk of the free-unit index', async () => {
    const w = await world(t, 400);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling' } });
    await t.ctx.db.execute(sql`
      update task_items set worker_id = ${a.id}::uuid, status = 'discarded', done = true, started_at = now(), finished_at = now()
      where id in (select id from task_items where task_id = ${task.id}::uuid order by position limit 300)`);
    await raiseQueueStart(t.ctx.db, task.id);
    expect(await startOf(task.id)).toBe(await positionOf(task.id, w.itemIds[300]!));
    const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(await t.ctx.db.execute(sql`explain (format json) ${claimCandidates(task.id, a.id, 5, clock.now())}`));
    const raw = row!['QUERY PLAN'];
    type Node = { 'Index Name'?: string; 'Index Cond'?: string; Plans?: Node[] };
    const nodes = (n: Node): Node[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
    const plan = ((typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: Node }>)[0]!.Plan;
    const scan = nodes(plan).find((n) => n['Index Name'] === 'task_items_free_idx');
    // The free-unit index scan is bounded below by the start: an index condition, not a filter.
    expect(scan?.['Index Cond'], JSON.stringify(plan)).toMatch(/"position" >= /);
    const first = rowsOf<{ item_id: string }>(await t.ctx.db.execute(claimCandidates(task.id, a.id, 5, clock.now()))).map((r) => r.item_id);
    expect(first).toEqual(w.itemIds.slice(300, 305));
  });

  // The start already sits before the unit, so lowering it changes nothing: the trigger must
  // still take the start row's lock, or a raise beside it looks before the change commits and
  // raises the start past the unit (migration 0028). On PostgreSQL both cases fail without the
  // migration; on PGlite the held transaction holds the only session, so the raise waits anyway.
  for (const change of ['clears a unit’s status', 'inserts a unit'] as const) {
    it(`makes a raise wait for a transaction that ${change} after the start`, async () => {
      const w = await world(t, 12);
      const a = await t.member(w.projectId, 'annotator');
      const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling', batchSize: 10, maxWorkload: 10 } });
      const pulled = await t.post<Pulled>(`/api/v1/tasks/${task.id}/pull`, { count: 10 }, { token: a.token });
      expect(pulled.body.items.map((i) => i.itemId)).toEqual(w.itemIds.slice(0, 10));
      for (const id of w.itemIds.slice(0, 10)) {
        const res = await t.put(`/api/v1/tasks/${task.id}/items/${id}/status`, { status: 'discarded' }, { token: a.token });
        expect(res.status).toBe(200);
      }
      await t.ctx.db.execute(sql`update task_queue_heads set free_from = -1 where task_id = ${task.id}::uuid`);
      const unit = sql`task_id = ${task.id}::uuid and item_id = ${w.itemIds[5]}::uuid`;

      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let changed!: () => void;
      const started = new Promise<void>((resolve) => (changed = resolve));
      const writer = t.ctx.db.transaction(async (tx) => {
        if (change === 'clears a unit’s status') await tx.execute(sql`update task_items set status = null, done = false, finished_at = null where ${unit}`);
        else
          await tx.execute(sql`insert into task_items (id, project_id, task_id, item_id, copy, position)
            select gen_random_uuid(), project_id, task_id, item_id, 1, position from task_items where ${unit}`);
        changed();
        await held;
      });
      await started;
      let raised = false;
      const raise = raiseQueueStart(t.ctx.db, task.id).then(() => (raised = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const raisedWhileHeld = raised;
      release();
      expect(raisedWhileHeld).toBe(false);
      await Promise.all([writer, raise]);
      expect(await startOf(task.id)).toBe(await positionOf(task.id, w.itemIds[5]!));
    });
  }

  it('never passes a unit without a status, with status removals and raises running at once', async () => {
    const w = await world(t, 120);
    const people = await Promise.all(Array.from({ length: 6 }, () => t.member(w.projectId, 'annotator')));
    const task = await createTask(t, w, { assigneeIds: people.map((p) => p.id), allocation: { method: 'pulling', batchSize: 20, maxWorkload: 20 } });
    const mine = await Promise.all(
      people.map(async (p) => {
        const res = await t.post<Pulled>(`/api/v1/tasks/${task.id}/pull`, { count: 20 }, { token: p.token });
        expect(res.status).toBe(200);
        return res.body.items.map((i) => i.itemId);
      }),
    );
    await Promise.all(people.map((p, k) => Promise.all(mine[k]!.map((id) => t.put(`/api/v1/tasks/${task.id}/items/${id}/status`, { status: 'discarded' }, { token: p.token })))));
    await raiseQueueStart(t.ctx.db, task.id);
    expect(await startOf(task.id)).toBeGreaterThan(0);
    // Each person takes back the status of five of their items while raises run beside them.
    const removals = people.flatMap((p, k) => mine[k]!.filter((_, i) => i % 4 === 0).map((id) => t.delete(`/api/v1/tasks/${task.id}/items/${id}/status`, { token: p.token })));
    const raises = Array.from({ length: 20 }, () => raiseQueueStart(t.ctx.db, task.id));
    const answers = await Promise.all([...removals, ...raises]);
    expect(answers.slice(0, removals.length).map((r) => (r as { status: number }).status)).toEqual(removals.map(() => 200));
    const [broken] = rowsOf<{ n: number }>(
      await t.ctx.db.execute(sql`select count(*)::int as n from task_items u join task_queue_heads h on h.task_id = u.task_id
        where u.task_id = ${task.id}::uuid and u.status is null and not u.is_gold and u.position < h.free_from`),
    );
    expect(broken!.n).toBe(0);
    await raiseQueueStart(t.ctx.db, task.id);
    const firstWithout = rowsOf<{ p: string | number }>(await t.ctx.db.execute(sql`select min(position) as p from task_items where task_id = ${task.id}::uuid and status is null and not is_gold`))[0]!.p;
    expect(await startOf(task.id)).toBe(Number(firstWithout));
  });
});
