import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { createTask, world } from './helpers.ts';

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
    await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token });
    expect((await pull(task.id, a)).body.items.map((i: any) => i.itemId)).toEqual([w.itemIds[6]]);
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
    const counts = (await t.get(`/api/v1/tasks/${task.id}/assignments`)).body.data.map((x: any) => [x.assigneeId, x.counts.items]);
    expect(counts).toEqual([[a.id, 0], [b.id, 2]]);
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
