import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sql } from 'drizzle-orm';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';
import { defineJob, PgBossQueue } from '../../src/jobs/jobs.ts';
import { jobDefinitions } from '../../src/main/job-definitions.ts';
import { appendJobLog } from '../../src/jobs/job-logs.ts';

const seen: string[] = [];
let release: () => void = () => {};
let gate = Promise.resolve();
const adminEcho = defineJob({
  name: 'test.admin-echo',
  schema: z.object({ mark: z.string(), fail: z.boolean().optional(), hold: z.boolean().optional() }),
  retryLimit: 0,
  handler: async (ctx, data, job) => {
    await appendJobLog(ctx.db, job?.id ?? 'direct', `handling ${data.mark}`);
    if (data.hold) await gate;
    if (data.fail) throw new Error(`failing ${data.mark}`);
    seen.push(data.mark);
  },
});

/** The retry test's own queue: no other test's failed jobs compete for "oldest failure first". */
const retryEcho = defineJob({ ...adminEcho, name: 'test.admin-retry' });

let t: TestApp;
beforeAll(async () => {
  // Its own database on PostgreSQL: pause, clear, clean and retry act on every queue of a
  // database, and the run's shared database holds other test files' jobs.
  t = await createTestApp({ work: true, jobs: [...jobDefinitions, adminEcho, retryEcho], ownDatabase: true });
});
afterAll(async () => {
  await t?.ctx.db.execute(sql`update job_queue_state set paused = false where id = 1`);
  await t?.close();
});

const waitFor = async (check: () => boolean | Promise<boolean>, ms = 20_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};
const enqueue = (data: z.infer<typeof adminEcho.schema>, options: Record<string, unknown> = {}) =>
  t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(tx, adminEcho, data, options)) as Promise<string>;
const stats = async () => (await t.get('/api/v1/jobs/stats')).body.queues.find((q: { name: string }) => q.name === adminEcho.name);
const stateOf = async (id: string) => (await t.get(`/api/v1/jobs/${id}`)).body.state as string;

describe('job queue admin', () => {
  it('refuses non-administrators', async () => {
    const user = await t.user();
    expect((await t.get('/api/v1/jobs/stats', { token: user.token })).status).toBe(403);
    expect((await t.post('/api/v1/jobs/pause', undefined, { token: user.token })).status).toBe(403);
  });

  it('counts jobs per state live, and shows a job with its data, error and logs', async () => {
    const failed = await enqueue({ mark: unique('f'), fail: true });
    expect(await waitFor(async () => (await stateOf(failed)) === 'failed')).toBe(true);
    const detail = (await t.get(`/api/v1/jobs/${failed}`)).body;
    expect(detail.error).toContain('failing');
    expect(detail.data.fail).toBe(true);
    expect(detail.logs.map((l: { message: string }) => l.message)[0]).toContain('handling');
    const delayed = await enqueue({ mark: unique('d') }, { startAfter: 3600 });
    const counts = await stats();
    expect(counts.failed).toBeGreaterThanOrEqual(1);
    expect(counts.delayed).toBeGreaterThanOrEqual(1);
    const list = await t.get('/api/v1/jobs', { query: { state: 'delayed', queue: adminEcho.name } });
    expect(list.body.data.map((j: { id: string }) => j.id)).toContain(delayed);
    expect((await t.get('/api/v1/jobs/not-an-id')).status).toBe(404);
  });

  it('pause lets the running job finish and starts none; resume runs the waiting ones', async () => {
    gate = new Promise((r) => (release = r));
    const running = unique('running');
    const runningId = await enqueue({ mark: running, hold: true });
    expect(await waitFor(async () => (await stateOf(runningId)) === 'active')).toBe(true);
    expect((await t.post('/api/v1/jobs/pause')).body).toEqual({ paused: true });
    const waiting = unique('waiting');
    const waitingId = await enqueue({ mark: waiting });
    release();
    expect(await waitFor(() => seen.includes(running))).toBe(true);
    await new Promise((r) => setTimeout(r, 2500));
    expect(seen).not.toContain(waiting);
    expect(await stateOf(waitingId)).toBe('waiting');
    expect((await t.get('/api/v1/jobs/stats')).body.paused).toBe(true);
    expect((await t.post('/api/v1/jobs/resume')).body).toEqual({ paused: false });
    expect(await waitFor(() => seen.includes(waiting))).toBe(true);
  });

  it('clear deletes waiting and delayed jobs only', async () => {
    await t.post('/api/v1/jobs/pause');
    const waitingId = await enqueue({ mark: unique('w') });
    const delayedId = await enqueue({ mark: unique('d') }, { startAfter: 3600 });
    const failedBefore = (await stats()).failed;
    const res = await t.post('/api/v1/jobs/clear', { queue: adminEcho.name });
    expect(res.body.deleted).toBeGreaterThanOrEqual(2);
    expect((await t.get(`/api/v1/jobs/${waitingId}`)).status).toBe(404);
    expect((await t.get(`/api/v1/jobs/${delayedId}`)).status).toBe(404);
    expect((await stats()).failed).toBe(failedBefore);
    await t.post('/api/v1/jobs/resume');
  });

  it('clean deletes completed and failed jobs older than 24 hours and keeps newer ones', async () => {
    const old = await enqueue({ mark: unique('old'), fail: true });
    const recent = await enqueue({ mark: unique('recent'), fail: true });
    expect(await waitFor(async () => (await stateOf(old)) === 'failed' && (await stateOf(recent)) === 'failed')).toBe(true);
    await t.ctx.db.execute(sql`update pgboss.job set completed_on = now() - interval '25 hours' where id = ${old}::uuid`);
    const res = await t.post('/api/v1/jobs/clean');
    expect(res.body.deleted).toBeGreaterThanOrEqual(1);
    expect((await t.get(`/api/v1/jobs/${old}`)).status).toBe(404);
    expect(await stateOf(recent)).toBe('failed');
  });

  it('retry-failed sends at most `limit` failed jobs back, oldest failure first, and refuses more than 1000', async () => {
    expect((await t.post('/api/v1/jobs/retry-failed', { limit: 1001 })).status).toBe(400);
    const send = (mark: string) => t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(tx, retryEcho, { mark, fail: true })) as Promise<string>;
    const ids = [await send(unique('r')), await send(unique('r'))];
    const detail = async (id: string) => (await t.get(`/api/v1/jobs/${id}`)).body as { state: string; retryCount: number; completedAt: string };
    const settled = async () => {
      const all = await Promise.all(ids.map(detail));
      return all.every((d) => d.state === 'failed') ? all : null;
    };
    expect(await waitFor(async () => (await settled()) !== null)).toBe(true);
    // The second one failed an hour earlier: oldest failure first means it is the one retried.
    await t.ctx.db.execute(sql`update pgboss.job set completed_on = completed_on - interval '1 hour' where id = ${ids[1]}::uuid`);
    const before = (await settled())!;
    // pg-boss counts an attempt when a worker claims the job again: the retried one shows it.
    const res = await t.post('/api/v1/jobs/retry-failed', { limit: 1, queue: retryEcho.name });
    expect(res.body.retried).toBe(1);
    const total = (all: typeof before) => all.reduce((n, d) => n + d.retryCount, 0);
    expect(await waitFor(async () => {
      const now = await settled();
      return now !== null && total(now) === total(before) + 1;
    })).toBe(true);
    const after = (await settled())!;
    expect(after[1]!.retryCount).toBe(before[1]!.retryCount + 1);
    expect(after[0]!.retryCount).toBe(before[0]!.retryCount);
    // A queue filter keeps other queues' failures where they are.
    const elsewhere = await enqueue({ mark: unique('e'), fail: true });
    expect(await waitFor(async () => (await stateOf(elsewhere)) === 'failed')).toBe(true);
    expect((await t.post('/api/v1/jobs/retry-failed', { limit: 1000, queue: retryEcho.name })).body.retried).toBe(2);
    expect(await stateOf(elsewhere)).toBe('failed');
  });

  it('a queued job survives a restart: a new queue on the same database runs it, and honours the stored pause', async () => {
    await t.post('/api/v1/jobs/pause');
    const mark = unique('restart');
    await enqueue({ mark });
    await t.jobs.stop(1000);
    await t.ctx.db.execute(sql`update job_queue_state set paused = false where id = 1`);
    const second = new PgBossQueue(t.database, { schedule: false });
    await second.start(t.ctx, [...jobDefinitions, adminEcho, retryEcho], { work: true, schedule: false });
    try {
      expect(await waitFor(() => seen.includes(mark))).toBe(true);
    } finally {
      await second.stop(1000);
    }
  }, 60_000);
});
