import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eq, lt } from 'drizzle-orm';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';
import { defineJob, PgBossQueue } from '../../src/jobs/jobs.ts';
import { jobDefinitions } from '../../src/main/job-definitions.ts';
import { purgeExpiredJob } from '../../src/auth/maintenance.job.ts';
import { sessions } from '../../src/auth/auth.table.ts';
import { idempotencyKeys } from '../../src/db/idempotency.table.ts';
import { newId } from '../../src/core/ids.ts';

const seen: string[] = [];
const echoJob = defineJob({
  name: 'test.echo',
  schema: z.object({ mark: z.string() }),
  handler: async (_ctx, data) => {
    seen.push(data.mark);
  },
});

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ work: true, jobs: [...jobDefinitions, echoJob] });
});
afterAll(() => t?.close());

const waitFor = async (check: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
};

describe('jobs enqueued in a transaction', () => {
  it('runs a job whose transaction committed and never one whose transaction rolled back', async () => {
    const committed = unique('commit');
    const rolledBack = unique('rollback');
    await t.ctx.db.transaction(async (tx) => {
      await t.ctx.jobs.enqueue(tx, echoJob, { mark: committed });
    });
    await t.ctx.db
      .transaction(async (tx) => {
        await t.ctx.jobs.enqueue(tx, echoJob, { mark: rolledBack });
        throw new Error('abort');
      })
      .catch(() => {});
    expect(await waitFor(() => seen.includes(committed))).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).not.toContain(rolledBack);
  });

  it('refuses a payload that breaks the job’s schema before anything is queued', async () => {
    await expect(
      t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(tx, echoJob, { mark: 42 } as unknown as { mark: string })),
    ).rejects.toThrow();
  });
});

describe('a job registered after start', () => {
  it('is enqueued inside a transaction at once (pg-boss\'s queue cache is warm) and is worked once a working process registers it', async () => {
    const marks: string[] = [];
    const late = defineJob({
      name: unique('test.late'),
      schema: z.object({ mark: z.string() }),
      handler: async (_ctx, data) => {
        marks.push(data.mark);
      },
    });
    // A process that does not work jobs (as the CLI's): no worker touches the new queue, so only
    // register()'s own warming can fill pg-boss's cache for it.
    const sender = new PgBossQueue(t.database, { schedule: false });
    await sender.start(t.ctx, [], { work: false, schedule: false });
    try {
      await sender.register(late);
      const mark = unique('late');
      // A cold cache makes pg-boss read the queue on its own connection; on PGlite that waits for
      // the session this transaction holds, forever. The bound turns such a hang into a failure.
      const enqueued = t.ctx.db.transaction((tx) => sender.enqueue(tx, late, { mark }));
      const jobId = await Promise.race([enqueued, new Promise((_, reject) => setTimeout(() => reject(new Error('enqueue hung: the queue cache was cold')), 5000))]);
      expect(jobId).toEqual(expect.any(String));
      expect(marks).toEqual([]);
      // The working process learns the job after its start too, and runs what was queued.
      await t.jobs.register(late);
      expect(await waitFor(() => marks.includes(mark))).toBe(true);
    } finally {
      await sender.stop(1000);
    }
  });
});

describe('maintenance.purge-expired', () => {
  it('removes expired sessions and idempotency keys older than a day, and keeps the rest', async () => {
    const user = await t.user();
    const now = Date.now();
    const expired = newId();
    const live = newId();
    await t.ctx.db.insert(sessions).values([
      { id: expired, userId: user.id, tokenHash: unique('h'), expiresAt: new Date(now - 1000) },
      { id: live, userId: user.id, tokenHash: unique('h'), expiresAt: new Date(now + 3600_000) },
    ]);
    const oldKey = unique('old');
    await t.ctx.db.insert(idempotencyKeys).values({ userId: user.id, key: oldKey, method: 'POST', path: '/x', fingerprint: 'f', createdAt: new Date(now - 25 * 3600_000) });
    await t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(tx, purgeExpiredJob, {}));
    // The job purges sessions, then keys, in two statements: wait for the last one's effect.
    const oldKeys = () => t.ctx.db.select().from(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(now - 24 * 3600_000)));
    expect(await waitFor(async () => (await oldKeys()).length === 0)).toBe(true);
    expect(await t.ctx.db.select().from(sessions).where(eq(sessions.id, expired))).toHaveLength(0);
    expect(await t.ctx.db.select().from(sessions).where(eq(sessions.id, live))).toHaveLength(1);
    expect(await oldKeys()).toHaveLength(0);
  });
});
