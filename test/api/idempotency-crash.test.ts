import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { freeAbandonedIdempotencyKey } from '../../src/db/idempotency.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';
import { createTask, world } from '../tasks/helpers.ts';

/**
 * A process that dies between its request's COMMIT and the stored answer leaves an unanswered
 * reservation behind (docs/deployment.md, `Idempotency-Key`). The tests put a reservation in
 * exactly the state such a process leaves (its answer wiped after a real request) and move the
 * server's clock past the abandonment delay (2 minutes) before the retry.
 */
const clock = new ManualClock(new Date('2034-03-01T00:00:00Z'));
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

interface KeyRow {
  status: number | null;
  committed_at: Date | string | null;
  fingerprint: string;
}
const keyRow = async (userId: string, key: string) =>
  rowsOf<KeyRow>(await t.ctx.db.execute(sql`select status, committed_at, fingerprint from idempotency_keys where user_id = ${userId}::uuid and key = ${key}`))[0];

async function datasetsNamed(projectId: string, token: string, name: string) {
  const listed = await t.get(`/api/v1/projects/${projectId}/datasets`, { token, query: { limit: 500 } });
  return listed.body.data.filter((d: { name: string }) => d.name === name).length;
}

describe('a keyed request whose process died before its answer was stored', () => {
  it('is marked committed by the transaction that did its work', async () => {
    const p = await t.project();
    const key = unique('key');
    const created = await t.post(`/api/v1/projects/${p.id}/datasets`, { name: 'marked' }, { token: p.owner.token, headers: { 'idempotency-key': key } });
    expect(created.status).toBe(201);
    const row = await keyRow(p.owner.id, key);
    expect(row?.status).toBe(201);
    expect(row?.committed_at).not.toBeNull();
  });

  it('is not run again when its work committed: the retry answers idempotency_answer_lost, and the dataset exists once', async () => {
    const p = await t.project();
    const key = unique('key');
    const name = unique('crash');
    const first = await t.post(`/api/v1/projects/${p.id}/datasets`, { name }, { token: p.owner.token, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    // What the dead process left: its work and the mark committed, no answer.
    await t.ctx.db.execute(sql`update idempotency_keys set status = null, body = null where user_id = ${p.owner.id}::uuid and key = ${key}`);
    clock.advance(150_000);

    const retry = await t.post(`/api/v1/projects/${p.id}/datasets`, { name }, { token: p.owner.token, headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(409);
    expect(retry.headers['content-type']).toContain('application/problem+json');
    expect(retry.body.code).toBe('idempotency_answer_lost');
    expect(await datasetsNamed(p.id, p.owner.token, name)).toBe(1);
    // Later retries get the same answer: the key is kept, not freed.
    const again = await t.post(`/api/v1/projects/${p.id}/datasets`, { name }, { token: p.owner.token, headers: { 'idempotency-key': key } });
    expect(again.body.code).toBe('idempotency_answer_lost');
    expect(await datasetsNamed(p.id, p.owner.token, name)).toBe(1);
  });

  it('runs again when none of its work committed (the reservation is freed for the retry)', async () => {
    const p = await t.project();
    const name = unique('uncommitted');
    // The fingerprint of this exact request, taken from a real one under another key.
    const probe = unique('key');
    expect((await t.post(`/api/v1/projects/${p.id}/datasets`, { name }, { token: p.owner.token, headers: { 'idempotency-key': probe } })).status).toBe(201);
    const { fingerprint } = (await keyRow(p.owner.id, probe))!;
    // A reservation whose process died before any COMMIT: no mark, not renewed for 3 minutes.
    const key = unique('key');
    const reservedAt = new Date(clock.now().getTime() - 180_000);
    await t.ctx.db.execute(sql`insert into idempotency_keys (user_id, key, method, path, fingerprint, created_at)
      values (${p.owner.id}::uuid, ${key}, 'POST', ${`/api/v1/projects/${p.id}/datasets`}, ${fingerprint}, ${reservedAt.toISOString()}::timestamptz)`);

    const retry = await t.post(`/api/v1/projects/${p.id}/datasets`, { name }, { token: p.owner.token, headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(201);
    expect(await datasetsNamed(p.id, p.owner.token, name)).toBe(2);
    expect((await keyRow(p.owner.id, key))?.status).toBe(201);
  });
});

describe('a keyed pull whose process died before its answer was stored', () => {
  it('marks the key with its one-call claim, so the retry claims nothing more', async () => {
    const w = await world(t, 10);
    const annotator = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [annotator.id], allocation: { method: 'pulling', batchSize: 2, maxWorkload: 10, leaseSeconds: 3600 } });
    const taskId = task.id as string;
    // The task's first pull sweeps it, in a transaction; the next ones take the one-call path
    // (the first of them installs the claim function, in a transaction of its own).
    for (let i = 0; i < 2; i++) expect((await t.post(`/api/v1/tasks/${taskId}/pull`, {}, { token: annotator.token })).body.items).toHaveLength(2);
    const key = unique('key');
    const first = await t.post(`/api/v1/tasks/${taskId}/pull`, {}, { token: annotator.token, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect((await keyRow(annotator.id, key))?.committed_at).not.toBeNull();
    // What the dead process left: the claim and the mark committed, no answer.
    await t.ctx.db.execute(sql`update idempotency_keys set status = null, body = null where user_id = ${annotator.id}::uuid and key = ${key}`);
    clock.advance(150_000);

    const retry = await t.post(`/api/v1/tasks/${taskId}/pull`, {}, { token: annotator.token, headers: { 'idempotency-key': key } });
    expect(retry.status).toBe(409);
    expect(retry.body.code).toBe('idempotency_answer_lost');
    const held = rowsOf<{ n: number }>(await t.ctx.db.execute(sql`select count(*)::int as n from task_items where task_id = ${taskId}::uuid and worker_id = ${annotator.id}::uuid`))[0];
    expect(Number(held?.n)).toBe(6);
  });
});

describe('a retry freeing an abandoned reservation', () => {
  it('frees nothing when the first attempt commits between the retry’s read and its delete', async () => {
    const p = await t.project();
    const key = unique('key');
    const reservedAt = new Date(clock.now().getTime() - 180_000);
    await t.ctx.db.execute(sql`insert into idempotency_keys (user_id, key, method, path, fingerprint, created_at)
      values (${p.owner.id}::uuid, ${key}, 'POST', '/x', 'f', ${reservedAt.toISOString()}::timestamptz)`);
    // The retry read the reservation unmarked; the stalled first attempt's transaction commits its mark now.
    await t.ctx.db.execute(sql`update idempotency_keys set committed_at = ${clock.now().toISOString()}::timestamptz where user_id = ${p.owner.id}::uuid and key = ${key}`);
    await freeAbandonedIdempotencyKey(t.ctx.db, p.owner.id, key, reservedAt);
    const kept = await keyRow(p.owner.id, key);
    expect(kept).toBeDefined();
    expect(kept!.committed_at).not.toBeNull();
  });
});
