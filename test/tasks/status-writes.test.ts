import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ManualClock } from '../../src/core/clock.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import type { ItemStatusListener } from '../../src/context.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, emptyAnswersRecipe, world } from './helpers.ts';
import { foldCounterShards } from '../../src/task-units/counter-fold.ts';

let t: TestApp;
const clock = new ManualClock(new Date('2031-03-01T10:00:00Z'));
/** A listener of this app only (`Ctx.statusListeners`): it refuses every change of the task named here. */
let refusedTask: string | null = null;
let seen: unknown = 'not called';
const refusing: ItemStatusListener = {
  prefetch: (change) => (change.taskId === refusedTask ? { select: sql`select status from task_items where id = ${change.taskItemId}::uuid` } : null),
  run: async (_tx, change, prefetched) => {
    if (change.taskId !== refusedTask) return;
    seen = prefetched;
    throw new Error('listener refuses');
  },
  hasWork: (change) => change.taskId === refusedTask,
};
/** A listener whose work a condition in the write statement decides: a `discarded` status in the watched task. */
let watchedTask: string | null = null;
const ran: Array<{ after: string | null; prefetched: unknown }> = [];
const onDiscard: ItemStatusListener = {
  prefetch: (change) => (change.taskId === watchedTask ? { select: sql`${change.after}::text = 'discarded'` } : null),
  hasWork: (change, prefetched) => (change.taskId === watchedTask ? sql`coalesce(${prefetched}, false)` : false),
  run: async (_tx, change, prefetched) => {
    if (change.taskId === watchedTask) ran.push({ after: change.after, prefetched });
  },
};
beforeAll(async () => {
  t = await createTestApp({ clock, statusListeners: [refusing, onDiscard] });
});
afterAll(() => t?.close());

const put = (taskId: string, itemId: string, status: string, token: string) => t.put(`/api/v1/tasks/${taskId}/items/${itemId}/status`, { status }, { token });
const one = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await t.ctx.db.execute(query))[0]!;

/** The task's and its assignment's counters next to a recount of the units, and the hourly done total. */
async function countersAndRecount(taskId: string) {
  return one<Record<string, number>>(sql`select
    (select status_count + (select coalesce(sum(statuses), 0) from task_counter_shards where task_id = ${taskId}::uuid) from tasks where id = ${taskId}::uuid)::int as "statusCount",
    (select done_count + (select coalesce(sum(done), 0) from task_counter_shards where task_id = ${taskId}::uuid) from tasks where id = ${taskId}::uuid)::int as "doneCount",
    (select count(*)::int from task_items where task_id = ${taskId}::uuid and status is not null) as "statusRecount",
    (select count(*)::int from task_items where task_id = ${taskId}::uuid and done) as "doneRecount",
    (select coalesce(sum(status_count), 0)::int from task_assignees where task_id = ${taskId}::uuid) as "assignmentStatus",
    (select coalesce(sum(done_count), 0)::int from task_assignees where task_id = ${taskId}::uuid) as "assignmentDone",
    (select coalesce(sum(done), 0)::int from task_done_hourly where task_id = ${taskId}::uuid and assignment_id between '00000000-0000-0000-0000-000000000000' and '00000000-0000-0000-0000-0000000000ff') as "hourlyDone"`);
}

describe('PUT /api/v1/tasks/:taskId/items/:itemId/status', () => {
  it('keeps task, assignment and hourly counters equal to a recount through set, change and removal, with one audit event each', async () => {
    const w = await world(t, 4);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    // Empty answers allowed: these tests are about counters, not answers (docs/workflow.md).
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id], recipeId: await emptyAnswersRecipe(t, w) });
    const mine = async (user: { id: string }) =>
      rowsOf<{ item_id: string }>(await t.ctx.db.execute(sql`select ti.item_id from task_items ti join task_assignees s on s.id = ti.assignment_id where ti.task_id = ${task.id}::uuid and s.assignee_id = ${user.id}::uuid order by ti.position`)).map((r) => r.item_id);
    const [a1, a2] = await mine(a);
    const [b1] = await mine(b);
    expect((await put(task.id, a1!, 'completed', a.token)).status).toBe(200);
    expect((await put(task.id, a2!, 'discarded', a.token)).status).toBe(200);
    expect((await put(task.id, b1!, 'completed', b.token)).status).toBe(200);
    expect((await put(task.id, a2!, 'completed', a.token)).status).toBe(200); // a change: counts stay
    expect((await t.delete(`/api/v1/tasks/${task.id}/items/${a1}/status`, { token: a.token })).status).toBe(200);
    expect((await put(task.id, b1!, 'completed', b.token)).status).toBe(200); // the same status again: a no-op

    const c = await countersAndRecount(task.id);
    expect(c).toEqual({ statusCount: 2, doneCount: 2, statusRecount: 2, doneRecount: 2, assignmentStatus: 2, assignmentDone: 2, hourlyDone: 2 });
    const events = rowsOf<{ action: string; before: { status: string | null }; after: { status: string | null; itemId: string } }>(
      await t.ctx.db.execute(sql`select action, before, after from audit_events where subject_kind = 'task_item' and after->>'taskId' = ${task.id} order by id`),
    );
    expect(events.map((e) => [e.action, e.before.status, e.after.status])).toEqual([
      ['task_item.status_set', null, 'completed'],
      ['task_item.status_set', null, 'discarded'],
      ['task_item.status_set', null, 'completed'],
      ['task_item.status_set', 'discarded', 'completed'],
      ['task_item.status_remove', 'completed', null],
    ]);
  });

  it('rolls back the status, its audit event and every counter when a status listener throws', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: await emptyAnswersRecipe(t, w) });
    refusedTask = task.id;
    try {
      const res = await put(task.id, w.itemIds[0]!, 'completed', a.token);
      expect(res.status).toBe(500);
    } finally {
      refusedTask = null;
    }
    // The prefetch ran in the unit's statement, from its snapshot: it saw the status before the change.
    expect(seen).toBeNull();
    const unit = await one<{ status: string | null; done: boolean }>(sql`select status, done from task_items where task_id = ${task.id}::uuid and item_id = ${w.itemIds[0]}::uuid`);
    expect(unit).toEqual({ status: null, done: false });
    const audits = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where subject_kind = 'task_item' and after->>'taskId' = ${task.id}`);
    expect(audits.n).toBe(0);
    expect(await countersAndRecount(task.id)).toMatchObject({ statusCount: 0, doneCount: 0, assignmentStatus: 0, hourlyDone: 0 });
  });

  it('calls a listener exactly when the write statement finds it has work, and writes each change once either way', async () => {
    const w = await world(t, 3);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: await emptyAnswersRecipe(t, w) });
    // A webhook listens, so each status change records its event (docs/events.md#recorded-on-demand).
    const hook = await t.post(`/api/v1/projects/${w.projectId}/webhooks`, { url: 'https://hooks.example.com/loupe', events: ['item.status_set'] }, { token: w.owner.token });
    expect(hook.status).toBe(201);
    watchedTask = task.id;
    ran.length = 0;
    try {
      expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200); // no work: one statement, no call
      expect((await put(task.id, w.itemIds[1]!, 'discarded', a.token)).status).toBe(200); // work: refused, then in a transaction with the call
      expect((await put(task.id, w.itemIds[0]!, 'discarded', a.token)).status).toBe(200);
    } finally {
      watchedTask = null;
    }
    expect(ran).toEqual([
      { after: 'discarded', prefetched: true },
      { after: 'discarded', prefetched: true },
    ]);
    const audits = await one<{ n: number }>(sql`select count(*)::int as n from audit_events where subject_kind = 'task_item' and after->>'taskId' = ${task.id}`);
    expect(audits.n).toBe(3);
    const events = await one<{ n: number }>(sql`select count(*)::int as n from outbox_events where type = 'item.status_set' and data->>'taskId' = ${task.id}`);
    expect(events.n).toBe(3);
    expect(await countersAndRecount(task.id)).toMatchObject({ statusCount: 2, doneCount: 2, statusRecount: 2, doneRecount: 2, assignmentDone: 2, hourlyDone: 2 });
  });

  it('keeps one unit and its counters exact when its worker and a manager change its status at the same moment, many times', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: await emptyAnswersRecipe(t, w) });
    const itemId = w.itemIds[0]!;
    // 60 writes in flight on ONE unit: sets, changes and removals by two people. Each either
    // changes the unit from the version it read, or finds it changed and redoes its checks.
    const writes = Array.from({ length: 60 }, (_, i) => {
      const token = i % 2 ? a.token : w.manager.token;
      if (i % 3 === 2) return t.delete(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { token });
      return put(task.id, itemId, i % 3 ? 'discarded' : 'completed', token);
    });
    const results = await Promise.all(writes);
    expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const unit = await one<{ status: string | null }>(sql`select status from task_items where task_id = ${task.id}::uuid and item_id = ${itemId}::uuid`);
    const c = await countersAndRecount(task.id);
    const expected = unit.status === null ? 0 : 1;
    expect(c).toEqual({ statusCount: expected, doneCount: expected, statusRecount: expected, doneRecount: expected, assignmentStatus: expected, assignmentDone: expected, hourlyDone: expected });
    // The audit trail chains: each event starts from the status the one before left.
    const trail = rowsOf<{ before: { status: string | null }; after: { status: string | null } }>(
      await t.ctx.db.execute(sql`select before, after from audit_events where subject_kind = 'task_item' and after->>'taskId' = ${task.id} order by id`),
    );
    expect(trail.length).toBeGreaterThan(0);
    let status: string | null = null;
    for (const e of trail) {
      expect(e.before.status).toBe(status);
      expect(e.after.status).not.toBe(status);
      status = e.after.status;
    }
    expect(status).toBe(unit.status);
  });

  it('keeps the counters exact under many parallel status writes on one task (sharded counters), at every read and against a recount', async () => {
    const w = await world(t, 96);
    const annotators = await Promise.all(Array.from({ length: 8 }, () => t.member(w.projectId, 'annotator')));
    const task = await createTask(t, w, { assigneeIds: annotators.map((a) => a.id), recipeId: await emptyAnswersRecipe(t, w) });
    const itemsOf = async (user: { id: string }) =>
      rowsOf<{ item_id: string }>(await t.ctx.db.execute(sql`select ti.item_id from task_items ti join task_assignees s on s.id = ti.assignment_id where ti.task_id = ${task.id}::uuid and s.assignee_id = ${user.id}::uuid order by ti.position`)).map((r) => r.item_id);
    const shares = await Promise.all(annotators.map(itemsOf));
    expect(shares.flat().length).toBe(96);
    // The shard comes from the context's randomness port: cycle through all 16.
    let n = 0;
    const before = t.ctx.random;
    t.ctx.random = { next: () => ((n++ % 16) + 0.5) / 16 };
    const reads: Array<Record<string, unknown>> = [];
    try {
      // Every annotator sets all their items at once (96 writes in flight), while a manager reads the task.
      const writes = shares.flatMap((items, i) => items.map((itemId, j) => put(task.id, itemId, j % 3 === 0 ? 'discarded' : 'completed', annotators[i]!.token)));
      const reader = (async () => {
        for (let i = 0; i < 10; i++) reads.push((await t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token })).body);
      })();
      const results = await Promise.all(writes);
      await reader;
      expect(results.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
      // Then half of them remove a status, again all at once.
      const removals = await Promise.all(shares.flatMap((items, i) => items.filter((_, j) => j % 2 === 1).map((itemId) => t.delete(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { token: annotators[i]!.token }))));
      expect(removals.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    } finally {
      t.ctx.random = before;
    }
    // Each read saw a consistent snapshot: the counts it showed were between none and all.
    for (const r of reads) {
      const counts = r.counts as { items: number; withStatus: number; done: number };
      expect(counts.items).toBe(96);
      expect(counts.withStatus).toBeGreaterThanOrEqual(0);
      expect(counts.withStatus).toBeLessThanOrEqual(96);
      expect(counts.done).toBe(counts.withStatus); // completed and discarded both count as done
    }
    const c = await countersAndRecount(task.id);
    expect(c).toEqual({ statusCount: 48, doneCount: 48, statusRecount: 48, doneRecount: 48, assignmentStatus: 48, assignmentDone: 48, hourlyDone: 48 });
    const shards = await one<{ n: number }>(sql`select count(*)::int as n from task_counter_shards where task_id = ${task.id}::uuid`);
    expect(shards.n).toBe(16);
    // The API shows the exact counters and the derived status over them; the list filters on it.
    const shown = (await t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token })).body;
    expect(shown.counts).toMatchObject({ items: 96, withStatus: 48, done: 48, pending: 48 });
    expect(shown.status).toBe('in_progress');
    const listed = await t.get(`/api/v1/projects/${w.projectId}/tasks?status=in_progress`, { token: w.manager.token });
    expect(listed.body.data.map((x: { id: string }) => x.id)).toContain(task.id);
    const open = await t.get(`/api/v1/projects/${w.projectId}/tasks?status=open`, { token: w.manager.token });
    expect(open.body.data.map((x: { id: string }) => x.id)).not.toContain(task.id);
  });

  it('keeps the counters exact while folds move the shards into the task row beside many parallel status writes', async () => {
    const w = await world(t, 96);
    const annotators = await Promise.all(Array.from({ length: 8 }, () => t.member(w.projectId, 'annotator')));
    const task = await createTask(t, w, { assigneeIds: annotators.map((a) => a.id), recipeId: await emptyAnswersRecipe(t, w) });
    const shares = await Promise.all(
      annotators.map(async (a) =>
        rowsOf<{ item_id: string }>(await t.ctx.db.execute(sql`select ti.item_id from task_items ti join task_assignees s on s.id = ti.assignment_id where ti.task_id = ${task.id}::uuid and s.assignee_id = ${a.id}::uuid`)).map((r) => r.item_id),
      ),
    );
    // Folds and reads ride on the writes: after every fourth write ends, a fold and a read of
    // the task start, while the other writes are still running (on PGlite, between their
    // statements; a timer loop there would only run before and after them).
    let folds = 0;
    let foldedTasks = 0;
    const reads: Array<{ items: number; withStatus: number; done: number }> = [];
    const alongside = async (i: number) => {
      if (i % 4 !== 0) return;
      const [folded, read] = await Promise.all([foldCounterShards(t.ctx.db, { projectId: w.projectId }), t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token })]);
      folds++;
      foldedTasks += folded;
      reads.push(read.body.counts);
    };
    const writes = await Promise.all(
      shares.flatMap((items, i) => items.map(async (itemId, j) => {
        const res = await put(task.id, itemId, 'completed', annotators[i]!.token);
        await alongside(i * items.length + j);
        return res;
      })),
    );
    expect(writes.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    const removals = await Promise.all(
      shares.flatMap((items, i) => items.filter((_, j) => j % 2 === 0).map(async (itemId, j) => {
        const res = await t.delete(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { token: annotators[i]!.token });
        await alongside(i * items.length + j + 1);
        return res;
      })),
    );
    expect(removals.map((r) => r.status).filter((s) => s !== 200)).toEqual([]);
    expect(folds).toBeGreaterThan(20);
    // Some folds found shards to move while the writes ran (a fold is one task's at most here;
    // one that meets a write holding the shards skips the task, so how many move varies: 5 to 9
    // of 32 in runs on PostgreSQL, 25 on PGlite).
    expect(foldedTasks).toBeGreaterThan(1);
    for (const counts of reads) {
      // Every unit written is `completed` (done): a read that saw a fold twice or not at all would break this.
      expect(counts.done).toBe(counts.withStatus);
      expect(counts.withStatus).toBeGreaterThanOrEqual(0);
      expect(counts.withStatus).toBeLessThanOrEqual(96);
    }
    const c = await countersAndRecount(task.id);
    expect(c).toEqual({ statusCount: 48, doneCount: 48, statusRecount: 48, doneRecount: 48, assignmentStatus: 48, assignmentDone: 48, hourlyDone: 48 });
    // A last fold leaves no shard, and the row's base alone is the count.
    await foldCounterShards(t.ctx.db, { projectId: w.projectId });
    const base = await one<{ shards: number; status_count: number; done_count: number; base_status: string }>(
      sql`select (select count(*)::int from task_counter_shards where task_id = ${task.id}::uuid) as shards, status_count, done_count, base_status from tasks where id = ${task.id}::uuid`,
    );
    expect(base).toEqual({ shards: 0, status_count: 48, done_count: 48, base_status: 'in_progress' });
    expect(await countersAndRecount(task.id)).toEqual(c);
  });

  it('leaves a task whose row is held for the next fold, without waiting for it', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: await emptyAnswersRecipe(t, w) });
    expect((await put(task.id, w.itemIds[0]!, 'completed', a.token)).status).toBe(200);
    const shards = sql`select count(*)::int as n from task_counter_shards where task_id = ${task.id}::uuid`;
    expect((await one<{ n: number }>(shards)).n).toBe(1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = t.ctx.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from tasks where id = ${task.id}::uuid for update`);
      locked();
      await held;
    });
    await isLocked;
    try {
      // On PGlite (one connection) the fold would queue behind the holder: PostgreSQL only.
      if (t.database.pool) {
        expect(await foldCounterShards(t.ctx.db, { projectId: w.projectId })).toBe(0);
        expect((await one<{ n: number }>(shards)).n).toBe(1);
      }
    } finally {
      release();
      await holder;
    }
    expect(await foldCounterShards(t.ctx.db, { projectId: w.projectId })).toBe(1);
    expect((await one<{ n: number }>(shards)).n).toBe(0);
    expect(await one(sql`select status_count, done_count, base_status from tasks where id = ${task.id}::uuid`)).toEqual({ status_count: 1, done_count: 1, base_status: 'in_progress' });
  });
});
