import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type SQL } from 'drizzle-orm';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { compiledSerializer } from '../../src/core/compiled-serializer.ts';
import { page } from '../../src/core/pagination.ts';
import { listTasks } from '../../src/tasks/list-tasks.ts';
import { listTasksQuery, taskOut } from '../../src/tasks/tasks.schema.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { foldCounterShards } from '../../src/task-units/counter-fold.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { answer, createTask, world } from './helpers.ts';
import { observeNamedStatements } from '../../src/db/pglite-named.ts';

/**
 * The task list's status filter and the shape of its page statement (docs/benchmarks.md): the
 * derived status is computed from the row's base counters plus its counter shards, summed ONCE
 * per row; a list request is the authenticating statement and the page, nothing per row.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const ids = (res: { body: { data: Array<{ id: string }> } }) => res.body.data.map((x) => x.id);

/** The statements the application sends while `fn` runs, with their parameters (both drivers' query entry points; both pools on PostgreSQL). */
async function statementsDuring(fn: () => Promise<unknown>) {
  type Queryable = { query: (...args: unknown[]) => unknown };
  const targets = (t.database.pool ? [t.database.pool, t.database.genericPlanPool!] : [t.database.pglite]) as unknown as Queryable[];
  const seen: Array<{ text: string; params: unknown[] }> = [];
  const originals = targets.map((target) => target.query);
  targets.forEach((target, i) => {
    target.query = function (this: unknown, ...args: unknown[]) {
      const first = args[0] as string | { text?: string; values?: unknown[] };
      const text = typeof first === 'string' ? first : String(first?.text);
      seen.push({ text, params: (args[1] as unknown[] | undefined) ?? (typeof first === 'string' ? [] : (first?.values ?? [])) });
      return originals[i]!.apply(this, args);
    };
  });
  // On PGlite, the statements it runs named go round `query` (src/db/pglite-named.ts).
  const stopObserving = t.database.pglite ? observeNamedStatements(t.database.pglite, (text, params) => seen.push({ text, params })) : undefined;
  try {
    await fn();
  } finally {
    targets.forEach((target, i) => (target.query = originals[i]!));
    stopObserving?.();
  }
  const lines = (rows: Array<Record<string, string>>) => rows.map((r) => Object.values(r)[0]).join('\n');
  return {
    seen,
    /** The plan PostgreSQL makes for these values (a custom plan), as `explain` shows it. */
    explain: async (s: { text: string; params: unknown[] }, options = '') =>
      lines(((await originals[0]!.call(targets[0], `explain ${options ? `(${options}) ` : ''}${s.text}`, s.params)) as { rows: Array<Record<string, string>> }).rows),
    /**
     * On PostgreSQL, the plan the generic-plan pool runs: one plan for any values, made before
     * seeing these (`plan_cache_mode=force_generic_plan`), explained on one of its connections.
     * On the embedded database, which plans every statement for its values, `explain`'s.
     */
    explainGeneric: async (s: { text: string; params: unknown[] }, options = '') => {
      const pool = t.database.genericPlanPool;
      if (!pool) return lines(((await originals[0]!.call(targets[0], `explain ${options ? `(${options}) ` : ''}${s.text}`, s.params)) as { rows: Array<Record<string, string>> }).rows);
      const client = await pool.connect();
      try {
        expect((await client.query('show plan_cache_mode')).rows[0].plan_cache_mode).toBe('force_generic_plan');
        await client.query(`prepare generic_probe as ${s.text}`);
        const literal = (v: unknown) => (v === null ? 'null' : client.escapeLiteral(v instanceof Date ? v.toISOString() : String(v)));
        const plan = await client.query(`explain ${options ? `(${options}) ` : ''}execute generic_probe(${s.params.map(literal).join(', ')})`);
        return lines(plan.rows);
      } finally {
        await client.query('deallocate generic_probe');
        client.release();
      }
    },
  };
}

describe('GET /api/v1/projects/:projectId/tasks?status=', () => {
  it('lists exactly the tasks showing that status, in every sort, with statuses set, removed and flagged; the batch filter selects the same', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const r = await t.member(w.projectId, 'reviewer');
    const make = (name: string) => createTask(t, w, { name, assigneeIds: [a.id], reviewerIds: [r.id] });
    const complete = async (taskId: string, itemId: string) => {
      const saved = await answer(t, taskId, itemId, a.token);
      expect((await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/status`, { status: 'completed' }, { token: a.token })).status).toBe(200);
      return saved as { id: string };
    };
    const fresh = await make('d fresh');
    // A status set and removed again: its counter shards sum to zero, the task is open.
    const reopened = await make('c reopened');
    await complete(reopened.id, w.itemIds[0]!);
    expect((await t.delete(`/api/v1/tasks/${reopened.id}/items/${w.itemIds[0]}/status`, { token: a.token })).status).toBe(200);
    const started = await make('b started');
    await complete(started.id, w.itemIds[1]!);
    const done = await make('a done');
    for (const itemId of w.itemIds) await complete(done.id, itemId);
    const flagged = await make('e flagged');
    const flaggedAnswer = await complete(flagged.id, w.itemIds[0]!);
    await complete(flagged.id, w.itemIds[1]!);
    expect((await t.post(`/api/v1/annotations/${flaggedAnswer.id}/issues`, { comment: 'not a cat' }, { token: r.token })).status).toBe(201);

    const expected = {
      open: [fresh.id, reopened.id],
      in_progress: [started.id],
      completed: [done.id],
      completed_with_issues: [flagged.id],
    };
    const url = `/api/v1/projects/${w.projectId}/tasks`;
    // Twice: with the statuses in counter shards, then folded into the task rows (no shard left).
    for (const folded of [false, true]) {
      if (folded) {
        expect(await foldCounterShards(t.ctx.db, { projectId: w.projectId })).toBe(4);
        const [left] = rowsOf<{ n: number }>(await t.ctx.db.execute(sql`select count(*)::int as n from task_counter_shards where project_id = ${w.projectId}::uuid`));
        expect(left!.n).toBe(0);
      }
      for (const [status, want] of Object.entries(expected)) {
        for (const sort of ['createdAt', '-name', 'priority', '-updatedAt', 'dueDate']) {
          const res = await t.get(url, { query: { status, sort } });
          expect(res.status).toBe(200);
          expect(ids(res).sort(), `${status} ${sort} ${folded}`).toEqual([...want].sort());
          expect(res.body.data.map((x: { status: string }) => x.status)).toEqual(want.map(() => status));
        }
        // One row per page: the keyset cursor carries the filter over the shards' sums too.
        const paged: string[] = [];
        let cursor: string | undefined;
        do {
          const res = await t.get(url, { query: { status, limit: 1, ...(cursor ? { cursor } : {}) } });
          paged.push(...ids(res));
          cursor = res.body.nextCursor ?? undefined;
        } while (cursor);
        expect(paged.sort()).toEqual([...want].sort());
        const batch = await t.post(`/api/v1/projects/${w.projectId}/tasks/batch`, { action: 'update', filter: { status }, patch: { priority: 'high' } }, { token: w.manager.token });
        expect(batch.status).toBe(200);
        expect(batch.body.results.map((x: { id: string }) => x.id).sort(), status).toEqual([...want].sort());
      }
    }
  });
});

describe('the list statement', () => {
  it('is kept per shape and filled with each request’s values: projects, search terms, people, cursors', async () => {
    const [one, two] = [await world(t, 1), await world(t, 1)];
    const a = await t.member(one.projectId, 'annotator');
    const alpha = await createTask(t, one, { name: 'alpha one', priority: 'high', assigneeIds: [a.id] });
    const beta = await createTask(t, one, { name: 'beta one' });
    const alpha2 = await createTask(t, two, { name: 'alpha two', priority: 'low' });
    const list = async (w: typeof one, query: Record<string, string | number | boolean | undefined>, token?: string) => ids(await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query, ...(token ? { token } : {}) }));
    for (let round = 0; round < 2; round++) {
      expect(await list(one, { q: 'alpha' })).toEqual([alpha.id]);
      expect(await list(two, { q: 'alpha' })).toEqual([alpha2.id]);
      expect(await list(one, { q: 'beta' })).toEqual([beta.id]);
      expect(await list(one, { q: beta.id })).toEqual([beta.id]);
      expect(await list(one, { q: 'two' })).toEqual([]);
      expect(await list(one, { priority: 'high' })).toEqual([alpha.id]);
      expect(await list(two, { priority: 'low' })).toEqual([alpha2.id]);
      expect(await list(one, { priority: 'none' })).toEqual([beta.id]);
      expect(await list(one, { assignee: 'me' }, a.token)).toEqual([alpha.id]);
      expect(await list(one, { assignee: a.id })).toEqual([alpha.id]);
      expect(await list(one, { assignee: 'me' })).toEqual([]);
      const first = await t.get(`/api/v1/projects/${one.projectId}/tasks`, { query: { sort: '-name', limit: 1 } });
      expect(ids(first)).toEqual([beta.id]);
      expect(await list(one, { sort: '-name', limit: 1, cursor: first.body.nextCursor })).toEqual([alpha.id]);
    }
  });


  it('is one statement after authentication, summing each row’s counter shards once per row it reads', async () => {
    const w = await world(t, 1);
    const viewer = await t.member(w.projectId, 'viewer');
    await createTask(t, w, {});
    expect((await t.get('/api/v1/me', { token: viewer.token })).status).toBe(200);
    for (const query of ['', '?status=in_progress', '?status=completed_with_issues&sort=-name', '?assignee=unassigned&forReview=true']) {
      let status = 0;
      const { seen } = await statementsDuring(async () => {
        status = (await t.get(`/api/v1/projects/${w.projectId}/tasks${query}`, { token: viewer.token })).status;
      });
      expect(status, query).toBe(200);
      expect(seen, query).toHaveLength(2);
      // A status filter also reads its two candidate sets (each summing its rows' shards) and
      // which of the project's tasks have shards.
      const byStatus = query.includes('status=');
      expect(seen[1]!.text.match(/sum\("statuses"\)/g), query).toHaveLength(byStatus ? 3 : 1);
      expect(seen[1]!.text.match(/from "?task_counter_shards"?/g), query).toHaveLength(byStatus ? 4 : 1);
    }
  });

  it('walks an index in list order for `forReview=true` and for a rare type or workflow state, not the project’s tasks', async () => {
    const w = await world(t, 1);
    // Enough tasks that a walk of the project costs more than the index: 1 in 25 for review,
    // 1 in 250 a qualification task in its own state.
    await t.ctx.db.execute(sql`insert into tasks (id, project_id, name, type, workflow_state, allocation, item_count, for_review)
      select gen_random_uuid(), ${w.projectId}::uuid, 'bulk ' || g, case when g % 250 = 0 then 'qualification' else 'labeling' end,
        case when g % 250 = 0 then 'in_progress' else 'pending' end,
        '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}'::jsonb, 10, case when g % 25 = 0 then 1 else 0 end
      from generate_series(1, 5000) g`);
    await t.ctx.db.execute(sql`analyze tasks`);
    for (const [query, index, rows] of [
      ['forReview=true', 'tasks_project_for_review_idx', 50],
      ['type=qualification', 'tasks_project_type_idx', 20],
      ['workflowState=in_progress', 'tasks_project_workflow_idx', 20],
    ] as const) {
      let data: unknown[] = [];
      const { seen, explain, explainGeneric } = await statementsDuring(async () => {
        const res = await t.get(`/api/v1/projects/${w.projectId}/tasks?${query}`);
        expect(res.status).toBe(200);
        data = res.body.data;
      });
      expect(data, query).toHaveLength(rows);
      // These shapes are planned once on PostgreSQL, before the value is known: the generic
      // plan must read the same index, however rare the value turns out to be.
      for (const explainAs of [explain, explainGeneric]) {
        const plan = await explainAs(seen[seen.length - 1]!);
        expect(plan, query).toContain(index);
        expect(plan, query).not.toMatch(/Seq Scan on tasks/);
        const removed = [...(await explainAs(seen[seen.length - 1]!, 'analyze')).matchAll(/Rows Removed by Filter: (\d+)/g)].map((m) => Number(m[1]));
        expect(Math.max(0, ...removed), query).toBeLessThan(100);
      }
    }
  });

  it('reads a rare status from the base-status indexes in every sort, and still finds the tasks whose shards change it', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    // 5,000 finished tasks, 20 of them still in progress, all folded (no shards).
    await t.ctx.db.execute(sql`insert into tasks (id, project_id, name, type, workflow_state, allocation, item_count, status_count, done_count, priority, priority_rank)
      select gen_random_uuid(), ${w.projectId}::uuid, 'bulk ' || g, 'labeling', 'pending',
        '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}'::jsonb, 10, case when g % 250 = 0 then 5 else 10 end, 10, 'low', 2
      from generate_series(1, 5000) g`);
    // And one task started through the API since the last fold: its base says open, its shards in progress.
    const live = await createTask(t, w, { assigneeIds: [a.id] });
    await answer(t, live.id, w.itemIds[0]!, a.token);
    expect((await t.put(`/api/v1/tasks/${live.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token })).status).toBe(200);
    await t.ctx.db.execute(sql`analyze tasks`);
    for (const [sort, index] of [
      ['createdAt', 'tasks_project_status_idx'],
      ['-createdAt', 'tasks_project_status_idx'],
      ['name', 'tasks_project_status_name_idx'],
      ['-priority', 'tasks_project_status_priority_idx'],
      ['dueDate', 'tasks_project_status_due_idx'],
      ['-updatedAt', 'tasks_project_status_updated_idx'],
    ] as const) {
      let data: Array<{ id: string; status: string }> = [];
      const { seen, explain, explainGeneric } = await statementsDuring(async () => {
        const res = await t.get(`/api/v1/projects/${w.projectId}/tasks?status=in_progress&sort=${sort}`);
        expect(res.status).toBe(200);
        data = res.body.data;
      });
      expect(data, sort).toHaveLength(21);
      expect(data.map((x) => x.id), sort).toContain(live.id);
      expect(new Set(data.map((x) => x.status)), sort).toEqual(new Set(['in_progress']));
      // The plan for these values and the one generic plan the list runs on PostgreSQL (planned
      // before any value is known): both read the base-status index in the sort's order, and no
      // step of the page passes over the finished tasks.
      for (const explainAs of [explain, explainGeneric]) {
        const plan = await explainAs(seen[seen.length - 1]!);
        expect(plan, sort).toContain(index);
        expect(plan, sort).not.toMatch(/Seq Scan on tasks/);
        const removed = [...(await explainAs(seen[seen.length - 1]!, 'analyze')).matchAll(/Rows Removed by Filter: (\d+)/g)].map((m) => Number(m[1]));
        expect(Math.max(0, ...removed), sort).toBeLessThan(100);
      }
    }
    // Its status moves back to open in its shards: the list follows at once, before any fold.
    expect((await t.delete(`/api/v1/tasks/${live.id}/items/${w.itemIds[0]}/status`, { token: a.token })).status).toBe(200);
    expect(ids(await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { status: 'in_progress', limit: 100 } }))).not.toContain(live.id);
    expect(ids(await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { status: 'open', limit: 100 } }))).toContain(live.id);
  });

  it('pages a common status exactly when tasks written since the last fold sit before, inside and after the indexed page', async () => {
    const w = await world(t, 1);
    const id = (n: number) => `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
    // Tasks 100, 200, …, 6000: in progress in their base, no shards (60: more than a page).
    await t.ctx.db.execute(sql`insert into tasks (id, project_id, name, type, workflow_state, allocation, item_count, status_count, done_count)
      select ('00000000-0000-7000-8000-' || lpad(to_hex(g * 100), 12, '0'))::uuid, ${w.projectId}::uuid, 'indexed ' || g, 'labeling', 'pending',
        '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}'::jsonb, 10, 5, 5
      from generate_series(1, 60) g`);
    // Written since the last fold: open in their base, in progress by their shards (150: inside
    // the first page, 9950: after every indexed task), and one in progress in its base that its
    // shards complete (250: must not be listed).
    const sharded = [
      { n: 150, base: 0, shards: 3 },
      { n: 9950, base: 0, shards: 4 },
      { n: 250, base: 5, shards: 5 },
    ];
    for (const x of sharded) {
      await t.ctx.db.execute(sql`insert into tasks (id, project_id, name, type, workflow_state, allocation, item_count, status_count, done_count)
        values (${id(x.n)}::uuid, ${w.projectId}::uuid, ${`sharded ${x.n}`}, 'labeling', 'pending', '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}'::jsonb, 10, ${x.base}, ${x.base})`);
      await t.ctx.db.execute(sql`insert into task_counter_shards (task_id, shard, project_id, statuses, done) values (${id(x.n)}::uuid, 3, ${w.projectId}::uuid, ${x.shards}, ${x.shards})`);
    }
    await t.ctx.db.execute(sql`analyze tasks`);
    const want = [...Array.from({ length: 60 }, (_, i) => (i + 1) * 100), 150, 9950].sort((a, b) => a - b).map(id);
    for (const sort of ['createdAt', '-createdAt']) {
      const expected = sort === 'createdAt' ? want : [...want].reverse();
      const first = await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { status: 'in_progress', sort, limit: 51 } });
      expect(ids(first), sort).toEqual(expected.slice(0, 51));
      const second = await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { status: 'in_progress', sort, limit: 51, cursor: first.body.nextCursor } });
      expect(ids(second), sort).toEqual(expected.slice(51));
      expect(second.body.nextCursor).toBeNull();
    }
    const completed = await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { status: 'completed' } });
    expect(ids(completed)).toEqual([id(250)]);
  });

  it('plans an unfiltered, status or (in id order) type page once per connection on PostgreSQL, and a page filtered by owner or a type in name order for its values', async () => {
    const pool = t.database.genericPlanPool;
    if (!pool) return; // The embedded database plans every statement for its values.
    const w = await world(t, 1);
    const task = await createTask(t, w, {});
    const viaGenericPool = async (query: Record<string, string>) => {
      let calls = 0;
      const original = pool.query;
      pool.query = function (this: unknown, ...args: unknown[]) {
        calls++;
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof pool.query;
      try {
        const res = await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query });
        expect(res.status).toBe(200);
        return { calls, ids: ids(res) };
      } finally {
        pool.query = original;
      }
    };
    expect(await viaGenericPool({ status: 'open', sort: '-name' })).toEqual({ calls: 1, ids: [task.id] });
    expect(await viaGenericPool({})).toEqual({ calls: 1, ids: [task.id] });
    expect(await viaGenericPool({ type: 'labeling', sort: '-createdAt' })).toEqual({ calls: 1, ids: [task.id] });
    expect(await viaGenericPool({ forReview: 'false' })).toEqual({ calls: 1, ids: [task.id] });
    expect(await viaGenericPool({ ownerId: 'me' })).toEqual({ calls: 0, ids: [] });
    expect(await viaGenericPool({ type: 'labeling', sort: 'name' })).toEqual({ calls: 0, ids: [task.id] });
    expect(await viaGenericPool({ status: 'open', type: 'labeling' })).toEqual({ calls: 0, ids: [task.id] });
    // One after the other, the requests take the pool's most recently released connection.
    for (let i = 0; i < 6; i++) expect((await viaGenericPool({ status: 'open', sort: '-name' })).ids).toEqual([task.id]);
    const statements = (await pool.query<{ name: string; generic_plans: number; custom_plans: number }>(
      `select name, generic_plans::int, custom_plans::int from pg_prepared_statements where name like 'loupe_task_list_%'`,
    )).rows;
    expect(statements.length).toBeGreaterThan(0);
    expect(Math.max(...statements.map((r) => r.generic_plans))).toBeGreaterThanOrEqual(6);
    expect(statements.map((r) => r.custom_plans)).toEqual(statements.map(() => 0));
  });

  it('lists inside a transaction on that transaction, which sees its own uncommitted task', async () => {
    const w = await world(t, 1);
    const caller = { userId: w.manager.id, isAdmin: false, projectRole: { projectId: w.projectId, role: 'manager' as const } };
    const names = async (db: typeof t.ctx.db, query: Record<string, string>) =>
      (await listTasks({ ...t.ctx, db }, caller, w.projectId, listTasksQuery.parse(query))).data.map((x) => x.name);
    await t.ctx.db
      .transaction(async (tx) => {
        await tx.execute(sql`insert into tasks (id, project_id, name, type, workflow_state, allocation, item_count)
          values (gen_random_uuid(), ${w.projectId}::uuid, 'uncommitted', 'labeling', 'pending', '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}'::jsonb, 0)`);
        // Both shapes planned once (on the generic-plan pool outside a transaction) and one planned per call.
        expect(await names(tx, {})).toEqual(['uncommitted']);
        expect(await names(tx, { status: 'open' })).toEqual(['uncommitted']);
        expect(await names(tx, { q: 'uncommitted' })).toEqual(['uncommitted']);
        // Outside it, on PostgreSQL, the task is not there yet (PGlite runs one transaction at a time).
        if (t.database.pool) expect(await names(t.ctx.db, {})).toEqual([]);
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    expect(await names(t.ctx.db, {})).toEqual([]);
  });

  it('runs without JIT compilation on PostgreSQL (a filtered page’s cost estimate must not buy a compile)', async () => {
    if (!t.database.pool) return;
    const [row] = rowsOf<{ jit: string }>(await t.ctx.db.execute(sql`show jit`));
    expect(row!.jit).toBe('off');
  });
});

describe('the list reply', () => {
  it('is the same JSON from the compiled serializer as from the zod serializer, for managers and annotators', async () => {
    const w = await world(t, 4);
    const a = await t.member(w.projectId, 'annotator');
    await createTask(t, w, { name: 'plain' });
    await createTask(t, w, { name: 'dated', priority: 'low', dueDate: '2040-02-03T04:05:06.789Z', description: 'line one\n"quoted" \u2028 é', assigneeIds: [a.id], allocation: { method: 'distribution', workload: { [a.id]: 100 } } });
    await createTask(t, w, { name: 'gold', type: 'honeypot', honeypot: { goldItemIds: [w.itemIds[0]], ratio: 0.25 }, assigneeIds: [a.id] });
    await createTask(t, w, { name: 'pair', type: 'consensus', consensus: { annotatorsPerItem: 1 }, assigneeIds: [a.id] });
    await createTask(t, w, { name: 'ticket', type: 'ticket', datasetId: undefined });
    const schema = page(taskOut);
    const zod = serializerCompiler({ schema, method: 'GET', url: '/tasks' } as never) as (data: unknown) => string;
    const compiled = compiledSerializer({ schema });
    for (const [caller, role] of [[w.manager, 'manager'], [a, 'annotator']] as const) {
      const out = await listTasks(t.ctx, { userId: caller.id, isAdmin: false, projectRole: { projectId: w.projectId, role } }, w.projectId, listTasksQuery.parse({ limit: '2' }));
      expect(out.nextCursor).not.toBeNull();
      const all = await listTasks(t.ctx, { userId: caller.id, isAdmin: false, projectRole: { projectId: w.projectId, role } }, w.projectId, listTasksQuery.parse({}));
      expect(all.data).toHaveLength(5);
      for (const reply of [out, all]) expect(compiled(reply), role).toBe(zod(reply));
    }
    // And over HTTP: the route answers what the zod serializer would have written.
    const res = await t.get(`/api/v1/projects/${w.projectId}/tasks`, { token: a.token });
    const dated = res.body.data.find((x: { name: string }) => x.name === 'dated');
    expect(dated).toMatchObject({ dueDate: '2040-02-03T04:05:06.789Z', priority: 'low', description: 'line one\n"quoted" \u2028 é' });
    expect(res.body.data.find((x: { name: string }) => x.name === 'gold').honeypot).toEqual({ ratio: 0.25 });
  });
});

/** The list's sorts, each with the ORDER BY a hand-written query of the same page has. */
const listOrders = {
  createdAt: 't.id',
  '-createdAt': 't.id desc',
  name: 't.name, t.id',
  '-priority': 't.priority_rank desc, t.id desc',
  dueDate: "coalesce(t.due_date, 'infinity'), t.id",
} as const;

/**
 * The most task rows any one step of an `explain analyze` plan read: the rows it returned plus
 * those it read and dropped (by its filter or an index recheck). Fails when no step reads tasks.
 */
function mostTaskRowsRead(plan: string[]): number {
  const steps = plan.flatMap((line, i) => {
    const read = /on tasks\b.*actual[^)]*rows=([\d.]+)/.exec(line);
    if (!read) return [];
    const body = plan.slice(i + 1, plan.findIndex((l, j) => j > i && l.includes('->')) >>> 0);
    const removed = body.map((l) => /Rows Removed by (?:Filter|Index Recheck): (\d+)/.exec(l)).filter(Boolean).map((m) => Number(m![1]));
    return [Number(read[1]) + removed.reduce((a, b) => a + b, 0)];
  });
  expect(steps.length, 'a step reading tasks').toBeGreaterThan(0);
  return Math.max(...steps);
}

describe('GET /api/v1/projects/:projectId/tasks?assignee=', () => {
  it('reads a person’s few tasks from their assignments in every sort, and pages a person with many in the same order as the walk', async () => {
    const w = await world(t, 1);
    const [few, many] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    // 5,000 tasks: `few` is assigned to 3 of them, `many` to 2,500 (over the count past which a
    // page in another order than id walks its sort's index instead).
    await t.ctx.db.execute(sql`insert into tasks (id, project_id, name, type, workflow_state, allocation, item_count, priority, priority_rank)
      select gen_random_uuid(), ${w.projectId}::uuid, 'bulk ' || g, 'labeling', 'pending',
        '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}'::jsonb, 10,
        (array['high','medium','low',null])[1 + g % 4], g % 4
      from generate_series(1, 5000) g`);
    await t.ctx.db.execute(sql`insert into task_assignees (id, project_id, task_id, role, assignee_kind, assignee_id)
      select gen_random_uuid(), ${w.projectId}::uuid, x.id, 'annotator', 'user', case when x.n % 2 = 0 then ${many.id}::uuid else ${few.id}::uuid end
      from (select id, row_number() over (order by id) as n from tasks where project_id = ${w.projectId}::uuid) x
      where x.n % 2 = 0 or x.n in (7, 2001, 4999)`);
    await t.ctx.db.execute(sql`analyze tasks`);
    await t.ctx.db.execute(sql`analyze task_assignees`);
    const expected = async (userId: string, order: string) =>
      rowsOf<{ id: string }>(
        await t.ctx.db.execute(sql`select t.id from tasks t where t.project_id = ${w.projectId}::uuid and not t.archived
          and exists (select 1 from task_assignees a where a.task_id = t.id and a.assignee_id = ${userId}::uuid)
          order by ${sql.raw(order)} limit 50`),
      ).map((r) => r.id);
    for (const [sort, order] of Object.entries(listOrders)) {
      for (const [who, token] of [
        [few.id, few.token],
        [many.id, undefined],
      ] as const) {
        let data: Array<{ id: string }> = [];
        const { seen, explain, explainGeneric } = await statementsDuring(async () => {
          const res = await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { assignee: token ? 'me' : who, sort }, ...(token ? { token } : {}) });
          expect(res.status).toBe(200);
          data = res.body.data;
        });
        expect(data.map((x) => x.id), `${sort} ${who === few.id ? 'few' : 'many'}`).toEqual(await expected(who, order));
        // Every page of the person with three tasks reads their assignments, then those tasks:
        // no step reads (or reads and drops) the project's tasks, whatever the sort.
        // In id order the page is planned once for anyone (the generic plan on PostgreSQL).
        for (const explainAs of who === few.id ? (sort.endsWith('createdAt') ? [explain, explainGeneric] : [explain]) : []) {
          const plan = (await explainAs(seen[seen.length - 1]!, 'analyze')).split('\n');
          expect(mostTaskRowsRead(plan), `${sort}\n${plan.join('\n')}`).toBeLessThan(20);
        }
      }
    }
  });
});

describe('GET /api/v1/projects/:projectId/tasks?q=', () => {
  it('reads a rare term’s few tasks on the name’s trigrams in every sort, and still finds tasks by dataset name, id and literal % and _', async () => {
    const w = await world(t, 1);
    // 20,000 tasks (fewer, and reading them all is the cheaper plan); three carry the rare term, and the tasks of one dataset match by its name.
    await t.ctx.db.execute(sql`insert into tasks (id, project_id, name, type, workflow_state, allocation, item_count, priority, priority_rank)
      select gen_random_uuid(), ${w.projectId}::uuid, 'bulk ' || g || case when g in (7, 9001, 19999) then ' Quokka-survey' when g = 12000 then ' 100% done_x' else '' end,
        'labeling', 'pending', '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}'::jsonb, 10,
        (array['high','medium','low',null])[1 + g % 4], g % 4
      from generate_series(1, 20000) g`);
    const zebra = (await t.post(`/api/v1/projects/${w.projectId}/datasets`, { name: 'Zebra crossings' }, { token: w.owner.token })).body;
    const zebraTasks = [await createTask(t, w, { name: 'plain one', datasetId: zebra.id }), await createTask(t, w, { name: 'plain two', datasetId: zebra.id })];
    await t.ctx.db.execute(sql`analyze tasks`);
    const expected = async (where: SQL, order: string) =>
      rowsOf<{ id: string }>(
        await t.ctx.db.execute(sql`select t.id from tasks t where t.project_id = ${w.projectId}::uuid and not t.archived and (${where}) order by ${sql.raw(order)} limit 50`),
      ).map((r) => r.id);
    for (const [sort, order] of Object.entries(listOrders)) {
      let data: Array<{ id: string }> = [];
      const { seen, explain } = await statementsDuring(async () => {
        const res = await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { q: 'quokka', sort } });
        expect(res.status).toBe(200);
        data = res.body.data;
      });
      const found = data.map((x) => x.id);
      expect(found, sort).toHaveLength(3);
      expect(found, sort).toEqual(await expected(sql`t.name ilike '%quokka%'`, order));
      // No step reads (or reads and drops) more than a few of the project's 20,000 tasks.
      const plan = (await explain(seen[seen.length - 1]!, 'analyze')).split('\n');
      expect(mostTaskRowsRead(plan), `${sort}\n${plan.join('\n')}`).toBeLessThan(20);
    }
    const list = async (q: string) => ids(await t.get(`/api/v1/projects/${w.projectId}/tasks`, { query: { q, limit: 100 } }));
    // A dataset's name finds its tasks, beside the tasks whose own name matches.
    expect(await list('zebra')).toEqual(zebraTasks.map((x) => x.id));
    expect(await list('plain')).toEqual(zebraTasks.map((x) => x.id));
    // An id finds its task; `%` and `_` are the characters, not wildcards.
    expect(await list(zebraTasks[1]!.id)).toEqual([zebraTasks[1]!.id]);
    const literal = await expected(sql`t.name like '%100\\% done\\_x%'`, 't.id');
    expect(literal).toHaveLength(1);
    expect(await list('0% DONE_')).toEqual(literal);
    expect(await list('0%_')).toEqual([]);
  });
});
