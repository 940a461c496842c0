import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { pullItems } from '../../src/assignments/pull.service.ts';
import { returnExpiredLeases } from '../../src/assignments/lease-sweep.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { answer, createTask, world } from './helpers.ts';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/task-units/item-selection.ts';

let t: TestApp;
const clock = new ManualClock(new Date('2032-05-01T08:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

const pull = (taskId: string, user: TestUser, count?: number) => t.post(`/api/v1/tasks/${taskId}/pull`, count ? { count } : {}, { token: user.token });
const pulling = (extra: Record<string, unknown> = {}) => ({ method: 'pulling', ...extra });

describe('POST /api/v1/tasks/:taskId/pull', () => {
  it('hands out batches in item order up to maxWorkload', async () => {
    const w = await world(t, 12);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: pulling({ batchSize: 4, maxWorkload: 6 }) });
    const first = await pull(task.id, a);
    expect(first.status).toBe(200);
    expect(first.body.items.map((i: any) => i.itemId)).toEqual(w.itemIds.slice(0, 4));
    const second = await pull(task.id, a);
    expect(second.body.items.map((i: any) => i.itemId)).toEqual(w.itemIds.slice(4, 6));
    expect((await pull(task.id, a)).body.items).toEqual([]);
    await answer(t, task.id, w.itemIds[0]!, a.token);
    expect((await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token })).status).toBe(200);
    expect((await pull(task.id, a)).body.items.map((i: any) => i.itemId)).toEqual([w.itemIds[6]]);
  });

  it('applies the defaults: batches of 5, at most 10 held, leases of an hour', async () => {
    const w = await world(t, 14);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: pulling() });
    expect(task.allocation).toMatchObject({ method: 'pulling', batchSize: 5, maxWorkload: 10, leaseSeconds: 3600 });
    const first = (await pull(task.id, a)).body.items;
    expect(first).toHaveLength(5);
    expect(new Date(first[0].leaseExpiresAt).getTime() - clock.now().getTime()).toBe(3_600_000);
    expect((await pull(task.id, a)).body.items).toHaveLength(5);
    expect((await pull(task.id, a)).body.items).toEqual([]);
  });

  it('refuses people who are not annotators of the task', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const other = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: pulling() });
    expect((await pull(task.id, other)).status).toBe(403);
  });

  it('returns items whose lease ran out to the queue, and heartbeats renew the lease', async () => {
    const w = await world(t, 2);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id], allocation: pulling({ batchSize: 1, leaseSeconds: 60 }) });
    const mine = (await pull(task.id, a)).body.items[0];
    expect(mine.itemId).toBe(w.itemIds[0]);
    clock.advance(50_000);
    expect((await t.post(`/api/v1/tasks/${task.id}/items/${mine.itemId}/heartbeat`, undefined, { token: a.token })).status).toBe(200);
    clock.advance(50_000);
    // Renewed 50 s ago with a 60 s lease: still a's.
    expect((await pull(task.id, b)).body.items[0].itemId).toBe(w.itemIds[1]);
    clock.advance(61_000);
    const b2 = await pull(task.id, b, 1);
    expect(b2.body.items[0].itemId).toBe(w.itemIds[0]);
    const lost = await t.post(`/api/v1/tasks/${task.id}/items/${mine.itemId}/heartbeat`, undefined, { token: a.token });
    expect(lost.status).toBe(409);
    // b's own lease on item 1 ran out too: it went back to the queue, counted to nobody.
    expect((await t.post(`/api/v1/tasks/${task.id}/items/${w.itemIds[1]}/heartbeat`, undefined, { token: b.token })).status).toBe(409);
    const counts = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data.map((x: any) => [x.assigneeId, x.counts.items]);
    expect(counts).toEqual([[a.id, 0], [b.id, 1]]);
    expect((await pull(task.id, a, 1)).body.items.map((i: any) => i.itemId)).toEqual([w.itemIds[1]]);
  });

  it('returns expired items of a task nobody pulls from by the lease job, and leaves distributed work alone', async () => {
    const w = await world(t, 4);
    const a = await t.member(w.projectId, 'annotator');
    const pullTask = await createTask(t, w, { assigneeIds: [a.id], allocation: pulling({ batchSize: 3, leaseSeconds: 60 }) });
    const distTask = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'distribution' } });
    expect((await pull(pullTask.id, a)).body.items).toHaveLength(3);
    // Working a distributed item stamps a lease on it too; distributed items never go back to a queue.
    expect((await t.put(`/api/v1/tasks/${distTask.id}/items/${w.itemIds[0]}/annotations`, { shapes: [] }, { token: a.token })).status).toBe(200);
    clock.advance(3_700_000);
    // Scoped to this test's project: other test files share the database and have clocks of their own.
    expect(await returnExpiredLeases(t.ctx, { projectId: w.projectId })).toBe(3);
    const held = async (taskId: string) =>
      (await t.get(`/api/v1/tasks/${taskId}/items?assigneeId=${a.id}&limit=100`)).body.data.length;
    expect(await held(pullTask.id)).toBe(0);
    expect(await held(distTask.id)).toBe(4);
    const counts = (await t.get(`/api/v1/tasks/${pullTask.id}/assignments`)).body.data.map((x: any) => x.counts.items);
    expect(counts).toEqual([0]);
    const audit = (await t.get(`/api/v1/audit?projectId=${w.projectId}&subjectId=${pullTask.id}`, { token: w.manager.token })).body.data;
    expect(audit[0]).toMatchObject({ action: 'task.leases_expired', actorId: null });
    expect([...audit[0].after.itemIds].sort()).toEqual(w.itemIds.slice(0, 3).sort());
    // Nothing left to return: the job is idempotent.
    expect(await returnExpiredLeases(t.ctx, { projectId: w.projectId })).toBe(0);
    // Back in the queue, in item order.
    expect((await pull(pullTask.id, a, 2)).body.items.map((i: any) => i.itemId)).toEqual(w.itemIds.slice(0, 2));
  });

  it('never stamps a lease that starts before the previous one ended, whatever clock reading a puller brings', async () => {
    const w = await world(t, 3);
    const [a, c] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { assigneeIds: [a.id, c.id], allocation: pulling({ batchSize: 1, leaseSeconds: 60 }) });
    const start = clock.now().getTime();
    expect((await pull(task.id, a)).body.items[0].itemId).toBe(w.itemIds[0]);
    // Another process, whose clock is past a's lease, sweeps item 0 back to the queue...
    const later = { ...t.ctx, clock: new ManualClock(new Date(start + 61_000)) };
    expect(await returnExpiredLeases(later, { projectId: w.projectId })).toBe(1);
    // ...while c's pull read the clock before a's lease ended: it must not take item 0 (its lease
    // would start inside a's), and takes the next free one.
    const stale = { ...t.ctx, clock: new ManualClock(new Date(start + 30_000)) };
    const caller = { userId: c.id, isAdmin: false };
    expect((await pullItems(stale, caller, task.id, { count: 1 })).items.map((u) => u.itemId)).toEqual([w.itemIds[1]]);
    expect((await pullItems(later, caller, task.id, { count: 1 })).items.map((u) => u.itemId)).toEqual([w.itemIds[0]]);
  });

  it('gives each consensus item to exactly N distinct annotators', async () => {
    const w = await world(t, 3);
    const people: TestUser[] = [];
    for (let i = 0; i < 4; i++) people.push(await t.member(w.projectId, 'annotator'));
    const task = await createTask(t, w, { type: 'consensus', consensus: { annotatorsPerItem: 2 }, assigneeIds: people.map((p) => p.id), allocation: pulling({ batchSize: 10, maxWorkload: 10 }) });
    expect(task.progress.total).toBe(6);
    const holders = new Map<string, string[]>();
    for (const p of people) {
      for (const item of (await pull(task.id, p)).body.items) holders.set(item.itemId, [...(holders.get(item.itemId) ?? []), p.id]);
    }
    for (const id of w.itemIds) {
      const who = holders.get(id) ?? [];
      expect(who).toHaveLength(2);
      expect(new Set(who).size).toBe(2);
    }
  });

  it('mixes honeypot gold items into each stream at the ratio', async () => {
    const w = await world(t, 12);
    const a = await t.member(w.projectId, 'annotator');
    const gold = w.itemIds.slice(10);
    const task = await createTask(t, w, { type: 'honeypot', honeypot: { goldItemIds: gold, ratio: 0.2 }, assigneeIds: [a.id], allocation: pulling({ batchSize: 10, maxWorkload: 20 }) });
    expect(task.progress.total).toBe(10);
    const got = (await pull(task.id, a)).body.items.map((i: any) => i.itemId);
    expect(got).toHaveLength(10);
    expect(got.filter((id: string) => gold.includes(id))).toHaveLength(2);
    expect(Object.keys((await pull(task.id, a)).body.items[0] ?? {})).not.toContain('isGold');
  });
});

describe('pull under concurrency', () => {
  it('sizes gold from what the queue really hands out: no gold-heavy batch from a short queue, no gold alone from an empty one', async () => {
    const w = await world(t, 6);
    const a = await t.member(w.projectId, 'annotator');
    const gold = w.itemIds.slice(1);
    const task = await createTask(t, w, { type: 'honeypot', honeypot: { goldItemIds: gold, ratio: 0.2 }, assigneeIds: [a.id], allocation: pulling({ batchSize: 10, maxWorkload: 20 }) });
    // One regular item left: 0.2 of what is served allows no gold beside it (it would be 2 of 3).
    expect((await pull(task.id, a)).body.items.map((i: any) => i.itemId)).toEqual([w.itemIds[0]]);
    // The queue is empty: a pull that returned gold alone would give the gold away.
    expect((await pull(task.id, a)).body.items).toEqual([]);
  });

  it('holds maxWorkload and hands no item twice to one person firing 16 pulls at once, with counters and audit in step', async () => {
    // After the first pull (which sweeps), pulls take the one-call path (`loupe_pull_claim`): its
    // per-person lock must serialize one person's parallel pulls as the transaction path does.
    const w = await world(t, 30);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { type: 'consensus', consensus: { annotatorsPerItem: 2 }, assigneeIds: [a.id, b.id], allocation: pulling({ batchSize: 3, maxWorkload: 7 }) });
    expect((await pull(task.id, a, 1)).body.items).toHaveLength(1);
    const replies = await Promise.all(Array.from({ length: 16 }, (_, i) => pull(task.id, i % 2 ? a : b)));
    expect(replies.map((r) => r.status)).toEqual(Array(16).fill(200));
    const held = new Map<string, string[]>([[a.id, []], [b.id, []]]);
    held.get(a.id)!.push(w.itemIds[0]!);
    replies.forEach((r, i) => held.get(i % 2 ? a.id : b.id)!.push(...r.body.items.map((x: any) => x.itemId)));
    for (const [, itemIds] of held) {
      expect(itemIds).toHaveLength(7);
      expect(new Set(itemIds).size).toBe(7);
    }
    // Counters moved with the claims, and agree with a recount from the units.
    const counts = (await t.get(`/api/v1/tasks/${task.id}/assignments`, { token: w.manager.token })).body.data.map((x: any) => [x.assigneeId, x.counts.items]);
    expect(counts).toEqual([[a.id, 7], [b.id, 7]]);
    const recount = await t.ctx.db.execute(sql`select a.assignee_id, count(u.id)::int as n from task_assignees a left join task_items u on u.assignment_id = a.id where a.task_id = ${task.id}::uuid group by a.assignee_id`);
    expect(Object.fromEntries(rowsOf<{ assignee_id: string; n: number }>(recount).map((r) => [r.assignee_id, Number(r.n)]))).toEqual({ [a.id]: 7, [b.id]: 7 });
    // One `task.pull` event per pull that handed something out, naming exactly what it handed out.
    const events = (await t.get('/api/v1/audit', { token: w.owner.token, query: { projectId: w.projectId, subjectId: task.id, limit: 100 } })).body.data.filter((e: any) => e.action === 'task.pull');
    const audited = new Map<string, string[]>([[a.id, []], [b.id, []]]);
    for (const e of events) {
      audited.get(e.actorId)!.push(...e.after.itemIds);
      expect(new Date(e.after.leaseExpiresAt).getTime() - clock.now().getTime()).toBe(3_600_000);
    }
    expect(events).toHaveLength(1 + replies.filter((r) => r.body.items.length).length);
    for (const [who, itemIds] of held) expect([...audited.get(who)!].sort()).toEqual([...itemIds].sort());
  });

  it('never hands one item to two live leases with 32 parallel pullers', async () => {
    const w = await world(t, 150);
    const people: TestUser[] = [];
    for (let i = 0; i < 32; i++) people.push(await t.member(w.projectId, 'annotator'));
    const task = await createTask(t, w, { assigneeIds: people.map((p) => p.id), allocation: pulling({ batchSize: 3, maxWorkload: 3 }) });
    const claims: Array<{ itemId: string; user: string }> = [];
    const replies = await Promise.all(people.map((p) => pull(task.id, p).then((r) => ({ r, p }))));
    for (const { r, p } of replies) {
      expect(r.status).toBe(200);
      for (const item of r.body.items) claims.push({ itemId: item.itemId, user: p.id });
    }
    expect(claims).toHaveLength(96);
    expect(new Set(claims.map((c) => c.itemId)).size).toBe(96);
  });

  it('gives consensus items to exactly N distinct annotators with 32 parallel pullers pulling twice', async () => {
    const w = await world(t, 40);
    const people: TestUser[] = [];
    for (let i = 0; i < 32; i++) people.push(await t.member(w.projectId, 'annotator'));
    const task = await createTask(t, w, { type: 'consensus', consensus: { annotatorsPerItem: 3 }, assigneeIds: people.map((p) => p.id), allocation: pulling({ batchSize: 2, maxWorkload: 4 }) });
    const claims: Array<{ itemId: string; user: string }> = [];
    const round = async () => {
      const replies = await Promise.all(people.map((p) => Promise.all([pull(task.id, p), pull(task.id, p)]).then((rs) => ({ rs, p }))));
      for (const { rs, p } of replies) for (const r of rs) {
        expect(r.status).toBe(200);
        for (const item of r.body.items) claims.push({ itemId: item.itemId, user: p.id });
      }
    };
    // SKIP LOCKED lets a puller come back short while others hold candidate rows: pull again until the queue is empty.
    for (let i = 0; i < 6 && claims.length < 120; i++) await round();
    expect(claims).toHaveLength(120);
    const byItem = new Map<string, string[]>();
    for (const c of claims) byItem.set(c.itemId, [...(byItem.get(c.itemId) ?? []), c.user]);
    for (const [, users] of byItem) {
      expect(new Set(users).size).toBe(users.length);
      expect(users.length).toBeLessThanOrEqual(3);
    }
    expect([...byItem.values()].every((u) => u.length === 3)).toBe(true);
    for (const p of people) expect(claims.filter((c) => c.user === p.id).length).toBeLessThanOrEqual(4);
  });
});
