import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUnitsSql, rowsOf, taskMayHoldDatasetUnits, withIndexProbes } from '../../src/task-units/item-selection.ts';
import { newId } from '../../src/core/ids.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { planNodes } from '../support/plans.ts';
import { createTask, world } from './helpers.ts';

// Its own database: these tests read plans, and plans follow the statistics. On the shared
// PostgreSQL test database, other files running at the same time insert units and ANALYZE, which
// moved the first test's plan once.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ ownDatabase: true });
});
afterAll(() => t?.close());


/**
 * Creating a task right after a large import, before autovacuum analyzed the new items: the
 * statistics say the dataset is empty. The units' insert must still probe "is this item already
 * in the task" by task AND item, never read the task's units per item. The join the planner
 * chose here read every unit of the task for each item, the rows the statement was inserting
 * included, and creating a task over 585,000 items never finished in five minutes
 * (src/task-units/item-selection.ts, `insertUnitsSql`). The setting is put back after.
 */
describe('the plan of the units’ insert when a task is created', () => {
  it('probes each item by task and item, even when the statistics predate the items', async () => {
    const old = await world(t, 200);
    await t.ctx.db.execute(sql`analyze items`);
    await t.ctx.db.execute(sql`analyze task_items`);
    // Imported after the ANALYZE: the statistics know nothing of this dataset.
    const fresh = await world(t, 300);
    const task = { id: newId(), projectId: fresh.projectId };
    // As `insertUnits` runs it. The table is small here, as on a new installation: without
    // `withIndexProbes` the probe is a sequential scan per item, of the rows inserted so far.
    const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(
      await t.ctx.db.transaction((tx) => withIndexProbes(tx, () => tx.execute(sql`explain (format json) ${insertUnitsSql(task, fresh.datasetId, null, 1, new Date())}`))),
    );
    const all = planNodes(row!['QUERY PLAN']);
    const plan = JSON.stringify(all);
    const probes = all.filter((n) => n['Node Type'].includes('Scan') && (n['Relation Name'] === 'task_items' || n['Index Name']?.startsWith('task_items')));
    expect(probes.length, plan).toBeGreaterThan(0);
    for (const probe of probes) expect(probe['Index Cond'] ?? '', plan).toMatch(/item_id = items\.id/);
    expect(old.itemIds).toHaveLength(200);
  });

  /**
   * The probe made creation quadratic when the statistics said the new task had no units: the
   * planner probed by task alone, with the item as a filter. A task being created holds no unit,
   * so its insert leaves the probe out (`insertUnits`); `on conflict` still refuses a unit twice.
   */
  it('leaves the probe out while the task holds no unit of the dataset, and still never adds an item twice', async () => {
    const w = await world(t, 40);
    const other = await t.post(`/api/v1/projects/${w.projectId}/datasets`, { name: `other-${Math.random()}` }, { token: w.owner.token });
    const planOf = async (probe: boolean) => {
      const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(
        await t.ctx.db.execute(sql`explain (format json) ${insertUnitsSql({ id: newId(), projectId: w.projectId }, w.datasetId, null, 1, new Date(), [], probe)}`),
      );
      return planNodes(row!['QUERY PLAN']).filter((n) => n['Node Type'] !== 'ModifyTable' && (n['Relation Name'] === 'task_items' || n['Index Name']?.startsWith('task_items')));
    };
    expect(await planOf(false)).toEqual([]);
    expect((await planOf(true)).length).toBeGreaterThan(0);

    expect(await t.ctx.db.transaction((tx) => taskMayHoldDatasetUnits(tx, newId(), w.datasetId))).toBe(false);
    const task = await createTask(t, w, { itemIds: w.itemIds.slice(0, 25) });
    expect(task.counts.items).toBe(25);
    expect(await t.ctx.db.transaction((tx) => taskMayHoldDatasetUnits(tx, task.id, w.datasetId))).toBe(true);
    expect(await t.ctx.db.transaction((tx) => taskMayHoldDatasetUnits(tx, task.id, other.body.id))).toBe(false);

    // Overlapping the 25 it holds: only the 15 new ones are added, each once.
    const added = await t.post(`/api/v1/tasks/${task.id}/items`, { allRemaining: true }, { token: w.manager.token });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.added).toBe(15);
    const again = await t.post(`/api/v1/tasks/${task.id}/items`, { itemIds: w.itemIds.slice(10, 30) }, { token: w.manager.token });
    expect(again.body.added).toBe(0);
    expect((await t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token })).body.counts.items).toBe(40);
    const units = (await t.get(`/api/v1/tasks/${task.id}/items`, { token: w.manager.token, query: { limit: 100 } })).body.data.map((u: { itemId: string }) => u.itemId);
    expect(units.sort()).toEqual([...w.itemIds].sort());
  });

  it('puts the planner setting back for the rest of the transaction', async () => {
    const setting = await t.ctx.db.transaction(async (tx) => {
      await withIndexProbes(tx, async () => {
        expect(rowsOf<{ s: string }>(await tx.execute(sql`select current_setting('enable_seqscan') as s`))[0]!.s).toBe('off');
      });
      return rowsOf<{ s: string }>(await tx.execute(sql`select current_setting('enable_seqscan') as s`))[0]!.s;
    });
    expect(setting).toBe('on');
  });
});
