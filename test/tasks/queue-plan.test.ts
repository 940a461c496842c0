import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundClaim, claimCandidates } from '../../src/assignments/claim.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { planNodes, type PlanNode } from '../support/plans.ts';
import { createTask, world } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

/**
 * A pulling task of 3,200 units whose first 3,000 in queue order are held by someone else
 * (pulled, unfinished, lease live), its annotator, and fresh statistics.
 */
async function heldAtHead() {
  const w = await world(t, 3200);
  const a = await t.member(w.projectId, 'annotator');
  const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling' } });
  await t.ctx.db.execute(sql`
    update task_items set worker_id = ${w.manager.id}::uuid, lease_expires_at = now() + interval '1 hour', started_at = now()
    where id in (select id from task_items where task_id = ${task.id}::uuid order by position limit 3000)`);
  await t.ctx.db.execute(sql`analyze task_items`);
  return { w, a, task };
}

/**
 * Why pull throughput holds over time: the claim never walks past held units. 3,000 of 3,200
 * units are held (pulled, unfinished, lease live) at the head of the queue; the claim's candidate
 * scan must read the free-unit index from its first free entry and touch no held row. With the
 * old queue index (every unit without a status) the scan read the 3,000 held rows first and threw
 * them away, and every claim paid for every held unit.
 */
describe('the pull claim’s plan', () => {
  it('reads only free units, however many held units sit at the head of the queue', async () => {
    const { w, a, task } = await heldAtHead();

    const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(await t.ctx.db.execute(sql`explain (analyze, format json) ${claimCandidates(task.id, a.id, 5, new Date())}`));
    const all = planNodes(row!['QUERY PLAN']);
    const scan = all.find((n) => n['Index Name'] === 'task_items_free_idx');
    expect(scan, JSON.stringify(all)).toBeDefined();
    // It stops after the five it needs, and filters nothing out: no held unit was read (the
    // per-candidate item probe reads the candidate's own row, and only that, besides).
    expect(scan!['Actual Rows']).toBe(5);
    expect(scan!['Rows Removed by Filter'] ?? 0).toBe(0);
    const probes = all.filter((n) => n['Relation Name'] === 'task_items' && n !== scan);
    expect(probes.reduce((s, n) => s + (n['Rows Removed by Filter'] ?? 0) * (n['Actual Loops'] ?? 1), 0)).toBeLessThanOrEqual(5);
    // The five are the first free units in queue order.
    const first = rowsOf<{ item_id: string }>(await t.ctx.db.execute(claimCandidates(task.id, a.id, 5, new Date()))).map((r) => r.item_id);
    expect(first).toEqual(w.itemIds.slice(3000, 3005));
  });
});

/**
 * Why the pull → annotate → complete loop holds over time (the soak, docs/benchmarks.md): the
 * claim's "not an item the person already has a copy of" check probes the candidate's item, never
 * the person's history. Statistics taken before the person worked anything (as after a fresh
 * ANALYZE, or with autovacuum off) estimate their units at one row; the planner then read ALL of
 * the person's units once per claim (an anti join over `task_items_worker_idx`), and every claim
 * cost more than the last. Checked with the plan PL/pgSQL keeps for `loupe_pull_claim` (generic)
 * and the inline claim's (custom).
 */
describe('the pull claim’s plan with a long history', () => {
  it('reads a few rows per candidate, however many units the person has finished', async () => {
    const w = await world(t, 2400);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling' } });
    await t.ctx.db.execute(sql`analyze task_items`);
    await t.ctx.db.execute(sql`
      update task_items set worker_id = ${a.id}::uuid, status = 'completed', done = true, status_by = ${a.id}::uuid, started_at = now(), finished_at = now()
      where id in (select id from task_items where task_id = ${task.id}::uuid order by position limit 2000)`);
    const now = new Date();
    const query = new PgDialect().sqlToQuery(claimCandidates(task.id, a.id, 5, now));
    const plans = await t.ctx.db.transaction(async (tx) => {
      const explainNodes = async (text: string) => {
        const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(await tx.execute(sql.raw(text)));
        return planNodes(row!['QUERY PLAN']);
      };
      const custom = await explainNodes(`explain (analyze, format json) ${inline(query.sql, query.params)}`);
      await tx.execute(sql.raw(`prepare queue_plan_claim as ${query.sql}`));
      await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
      const generic = await explainNodes(`explain (analyze, format json) execute queue_plan_claim(${query.params.map(literal).join(', ')})`);
      await tx.execute(sql`deallocate queue_plan_claim`);
      return { custom, generic };
    });
    for (const [kind, all] of Object.entries(plans)) {
      const why = `${kind}: ${JSON.stringify(all.map((n) => [n['Node Type'], n['Index Name'], n['Actual Rows'], n['Actual Loops']]))}`;
      expect(all.some((n) => n['Index Name'] === 'task_items_worker_idx'), why).toBe(false);
      // Besides the free-unit index, the task's units are read a few rows per candidate, not 2,000.
      const read = all
        .filter((n) => n['Relation Name'] === 'task_items' && n['Index Name'] !== 'task_items_free_idx')
        .reduce((s, n) => s + (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1), 0);
      expect(read, why).toBeLessThanOrEqual(20);
    }
    const first = rowsOf<{ item_id: string }>(await t.ctx.db.execute(claimCandidates(task.id, a.id, 5, now))).map((r) => r.item_id);
    expect(first).toEqual(w.itemIds.slice(2000, 2005));
  });
});

/** A bound value as an SQL literal (uuids, timestamps and numbers only: this test's parameters). */
const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
/** The query with its `$n` placeholders replaced by literals, for EXPLAIN of the custom plan. */
const inline = (text: string, params: unknown[]) => text.replace(/\$(\d+)/g, (_, i: string) => literal(params[Number(i) - 1]));

/**
 * `loupe_pull_claim` runs the claim on a generic plan (`CLAIM_PLAN_CACHE_MODE`, src/assignments/claim.ts):
 * planning it per call was a fifth of PostgreSQL's CPU per pull. The generic plan knows neither
 * the LIMIT nor the room left; it must still walk the free-unit index from its head and read no
 * held unit, like the custom plan in the first test. Explained with ANALYZE inside a transaction
 * that is rolled back (the claim is an UPDATE).
 */
describe('the claim’s generic plan', () => {
  it('walks the free-unit index from its head, past no held unit', async () => {
    const { w, a, task } = await heldAtHead();
    const [assignment] = rowsOf<{ id: string }>(await t.ctx.db.execute(sql`select id from task_assignees where task_id = ${task.id}::uuid and assignee_id = ${a.id}::uuid`));
    const now = new Date();
    const query = new PgDialect().sqlToQuery(boundClaim(task, a.id, assignment!.id, 5, now, new Date(now.getTime() + 3_600_000)));
    let all: PlanNode[] = [];
    let claimed: string[] = [];
    await t.ctx.db
      .transaction(async (tx) => {
        await tx.execute(sql.raw(`prepare queue_plan_full_claim as ${query.sql}`));
        await tx.execute(sql`set local plan_cache_mode = force_generic_plan`);
        const [row] = rowsOf<{ 'QUERY PLAN': unknown }>(await tx.execute(sql.raw(`explain (analyze, format json) execute queue_plan_full_claim(${query.params.map(literal).join(', ')})`)));
        all = planNodes(row!['QUERY PLAN']);
        claimed = rowsOf<{ item_id: string }>(await tx.execute(sql`select item_id from task_items where task_id = ${task.id}::uuid and worker_id = ${a.id}::uuid order by position`)).map((r) => r.item_id);
        tx.rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Error) || !/rollback/i.test(error.name + error.message)) throw error;
      });
    const why = JSON.stringify(all.map((n) => [n['Node Type'], n['Index Name'], n['Actual Rows'], n['Actual Loops'], n['Rows Removed by Filter']]));
    const scan = all.find((n) => n['Index Name'] === 'task_items_free_idx');
    expect(scan, why).toBeDefined();
    expect(scan!['Actual Rows'], why).toBe(5);
    expect(scan!['Rows Removed by Filter'] ?? 0, why).toBe(0);
    expect(all.some((n) => n['Node Type'] === 'Sort' && (n['Actual Rows'] ?? 0) > 50), why).toBe(false);
    expect(claimed).toEqual(w.itemIds.slice(3000, 3005));
  });
});
