import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

let t: TestApp;
const clock = new ManualClock(new Date('2032-06-01T08:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

const pull = (taskId: string, user: TestUser) => t.post(`/api/v1/tasks/${taskId}/pull`, { count: 1 }, { token: user.token });

/**
 * Waits until `n` backends of this database wait on a row lock of task_assignees. Asked through
 * the pool, not the blocking session: inside a transaction pg_stat_activity is a frozen snapshot.
 */
async function waitForLockWaiters(client: { query: (q: string) => Promise<{ rows: Array<{ n: number }> }> }, n: number) {
  for (let i = 0; i < 500; i++) {
    const { rows } = await client.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%task_assignees%'`,
    );
    if (rows[0]!.n >= n) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never saw ${n} pulls waiting on assignment rows`);
}

describe('pull counters under crossing re-claims', () => {
  it('never deadlocks when two annotators re-claim each other’s expired items at the same moment', async () => {
    const w = await world(t, 2);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id], allocation: { method: 'pulling', batchSize: 1, leaseSeconds: 60 } });
    // b holds the first item, a the second; then both leases run out.
    expect((await pull(task.id, b)).body.items[0].itemId).toBe(w.itemIds[0]);
    expect((await pull(task.id, a)).body.items[0].itemId).toBe(w.itemIds[1]);
    clock.advance(61_000);

    let results: Array<Awaited<ReturnType<typeof pull>>>;
    const pool = t.database.pool;
    if (pool) {
      // PostgreSQL: force the worst interleaving. Each pull returns the OTHER's expired item to
      // the queue and claims it, so each moves both assignment rows' counters (the holder's -1,
      // its own +1). One session holds both assignment rows (FOR NO KEY UPDATE: the claim's
      // foreign-key checks still pass) so both pulls queue on the counters; another holds a's
      // expired unit while a pulls, so a's sweep returns only b's item. Released together, pulls
      // that lock "own row first" hold one row each and wait for the other's: a deadlock,
      // answered 500. Locking in assignment-id order, one waits for the other instead.
      const counters = await pool.connect();
      const unit = await pool.connect();
      try {
        await counters.query('begin');
        await counters.query('select id from task_assignees where task_id = $1 order by id for no key update', [task.id]);
        await unit.query('begin');
        await unit.query('select id from task_items where task_id = $1 and item_id = $2 for update', [task.id, w.itemIds[1]]);
        const pa = pull(task.id, a);
        await waitForLockWaiters(pool, 1);
        await unit.query('commit');
        const pb = pull(task.id, b);
        await waitForLockWaiters(pool, 2);
        await counters.query('commit');
        results = await Promise.all([pa, pb]);
      } finally {
        counters.release();
        unit.release();
      }
    } else {
      // PGlite runs one transaction at a time: no interleaving to force, the outcome must match.
      const pa = await pull(task.id, a);
      results = [pa, await pull(task.id, b)];
    }

    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(results[0]!.body.items.map((i: any) => i.itemId)).toEqual([w.itemIds[0]]);
    expect(results[1]!.body.items.map((i: any) => i.itemId)).toEqual([w.itemIds[1]]);
    const counts = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data.map((x: any) => [x.assigneeId, x.counts.items]);
    expect(counts.sort()).toEqual([[a.id, 1], [b.id, 1]].sort());
  });
});
