import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import type { Ctx } from '../../src/context.ts';
import { openDb, type Database } from '../../src/db/client.ts';
import { PgBossQueue } from '../../src/jobs/jobs.ts';
import { readEvents } from '../../src/outbox/outbox.service.ts';
import { relayEverythingWritten } from '../support/outbox.ts';
import { periodAt } from '../../src/workloads/periods.ts';
import { tickWorkloads } from '../../src/workloads/cycles.service.ts';
import { tickJob } from '../../src/workloads/workloads.jobs.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { usingPostgres } from '../support/test-db.ts';
import { createWorkload, cyclesOf, evaluate, setup, taskItems } from './helpers.ts';

const clock = new ManualClock(new Date('2026-10-21T12:00:00Z'));
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t.close();
});

const at = (iso: string) => clock.set(new Date(iso));

describe('period calendar', () => {
  it('starts weeks on Monday 00:00 local time, so the Berlin week of the October change lasts 169 hours', () => {
    const p = periodAt('weekly', 'Europe/Berlin', new Date('2026-10-25T12:00:00Z'));
    expect(p.start.toISOString()).toBe('2026-10-18T22:00:00.000Z');
    expect(p.end.toISOString()).toBe('2026-10-25T23:00:00.000Z');
    expect((p.end.getTime() - p.start.getTime()) / 3_600_000).toBe(169);
    expect(periodAt('weekly', 'Europe/Berlin', new Date('2026-10-25T23:00:00Z')).start.toISOString()).toBe('2026-10-25T23:00:00.000Z');
  });

  it('gives a 23-hour day in spring and starts months on the 1st at local midnight', () => {
    const spring = periodAt('daily', 'Europe/Berlin', new Date('2026-03-29T12:00:00Z'));
    expect((spring.end.getTime() - spring.start.getTime()) / 3_600_000).toBe(23);
    const nov = periodAt('monthly', 'America/New_York', new Date('2026-11-15T12:00:00Z'));
    expect(nov.start.toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(nov.end.toISOString()).toBe('2026-12-01T05:00:00.000Z');
    expect(periodAt('monthly', 'UTC', new Date('2026-12-31T23:59:59Z')).end.toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('the scheduler tick', () => {
  it('starts a daily cycle at each day start and closes the previous one as completed or uncompleted', async () => {
    at('2031-03-01T09:00:00Z');
    const s = await setup(t);
    const w = await createWorkload(t, s, { target: { count: 2, per: 'total' } });
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    expect(await cyclesOf(t, s, w.id)).toHaveLength(1);
    // Meet the target of the first cycle.
    for (const u of await taskItems(t, w.currentCycle.taskId)) {
      const who = (await t.get(`/api/v1/tasks/${w.currentCycle.taskId}/assignments`)).body.data.find((a: any) => a.id === u.assignmentId).assigneeId;
      await evaluate(t, w.currentCycle.taskId, u.itemId, s.evaluators.find((e) => e.id === who)!, { tone: 5 });
    }
    expect((await cyclesOf(t, s, w.id))[0]).toMatchObject({ done: 2, target: 2 });
    at('2031-03-01T23:59:59Z');
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    expect(await cyclesOf(t, s, w.id)).toHaveLength(1);
    at('2031-03-02T00:00:30Z');
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    at('2031-03-03T00:01:00Z');
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    const cycles = await cyclesOf(t, s, w.id);
    expect(cycles.map((c) => [c.periodStart, c.status])).toEqual([
      ['2031-03-03T00:00:00.000Z', 'in_progress'],
      ['2031-03-02T00:00:00.000Z', 'uncompleted'],
      ['2031-03-01T00:00:00.000Z', 'completed'],
    ]);
    const closed = await readEvents(t.ctx.db, { afterSeq: 0, limit: 100, projectId: s.projectId, types: ['cycle.closed'] });
    expect(closed.map((e) => [e.data.status, e.data.underTarget])).toEqual([
      ['completed', false],
      ['uncompleted', true],
    ]);
    // Webhooks hear of every close; the subscriber's inbox only of the one under target.
    expect(closed.map((e) => e.recipientIds)).toEqual([[], [s.owner.id]]);
    await relayEverythingWritten(t.ctx);
    const inbox = (await t.get('/api/v1/me/notifications', { token: s.owner.token, query: { limit: 50 } })).body.data as Array<{ type: string; data: Record<string, unknown> }>;
    expect(inbox.filter((n) => n.type === 'cycle.closed').map((n) => [n.data.status, n.data.underTarget])).toEqual([['uncompleted', true]]);
    // The two cycles the scheduler started (the owner started the first, and is not told of their own act).
    expect(inbox.filter((n) => n.type === 'cycle.started').map((n) => n.data.periodStart)).toEqual(['2031-03-03T00:00:00.000Z', '2031-03-02T00:00:00.000Z']);
  });

  it('follows the Berlin calendar across the October DST change for a weekly workload', async () => {
    at('2026-10-21T12:00:00Z');
    const s = await setup(t);
    const w = await createWorkload(t, s, { schedule: { frequency: 'weekly', timeZone: 'Europe/Berlin' } });
    expect(w.currentCycle.periodStart).toBe('2026-10-18T22:00:00.000Z');
    expect(w.currentCycle.periodEnd).toBe('2026-10-25T23:00:00.000Z');
    at('2026-10-25T22:30:00Z'); // Sunday 23:30 in Berlin, after clocks went back: still the old week
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    expect(await cyclesOf(t, s, w.id)).toHaveLength(1);
    at('2026-10-25T23:00:05Z'); // Monday 00:00:05 in Berlin
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    const cycles = await cyclesOf(t, s, w.id);
    expect(cycles.map((c) => [c.periodStart, c.periodEnd, c.status])).toEqual([
      ['2026-10-25T23:00:00.000Z', '2026-11-01T23:00:00.000Z', 'in_progress'],
      ['2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 'uncompleted'],
    ]);
  });

  it('starts monthly cycles on the 1st at local midnight, and not before startAt', async () => {
    at('2027-01-15T12:00:00Z');
    const s = await setup(t);
    const w = await createWorkload(t, s, { schedule: { frequency: 'monthly', timeZone: 'America/New_York', startAt: '2027-02-01T05:00:00Z' } });
    expect(w.currentCycle).toBeNull();
    at('2027-02-01T04:59:00Z'); // Jan 31, 23:59 in New York
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    expect(await cyclesOf(t, s, w.id)).toHaveLength(0);
    at('2027-02-01T05:00:01Z');
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    at('2027-03-01T05:00:00Z');
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    const cycles = await cyclesOf(t, s, w.id);
    expect(cycles.map((c) => [c.periodStart, c.periodEnd])).toEqual([
      ['2027-03-01T05:00:00.000Z', '2027-04-01T04:00:00.000Z'],
      ['2027-02-01T05:00:00.000Z', '2027-03-01T05:00:00.000Z'],
    ]);
  });

  it('runs as a cron job whose handler is the same idempotent tick', async () => {
    expect(tickJob.cron).toBe('* * * * *');
    at('2031-06-01T10:00:00Z');
    const s = await setup(t);
    const w = await createWorkload(t, s);
    at('2031-06-02T00:00:10Z');
    await Promise.all([tickJob.handler(t.ctx, { projectId: s.projectId }), tickJob.handler(t.ctx, { projectId: s.projectId }), tickJob.handler(t.ctx, { projectId: s.projectId })]);
    expect(await cyclesOf(t, s, w.id)).toHaveLength(2);
  });
});

describe('two scheduler processes on one database', () => {
  let second: Database | null = null;
  let secondJobs: PgBossQueue | null = null;
  afterAll(async () => {
    await secondJobs?.stop(1000).catch(() => {});
    await second?.close();
  });

  it('start exactly one cycle per workload and period however many ticks race over the same boundaries', { timeout: 180_000 }, async () => {
    at('2032-01-05T08:00:00Z');
    const s = await setup(t);
    const workloads = [await createWorkload(t, s, { schedule: { frequency: 'daily', timeZone: 'Europe/Berlin' } }), await createWorkload(t, s, { schedule: { frequency: 'weekly', timeZone: 'Asia/Tokyo' } })];
    // A second "process": its own connection pool (PostgreSQL) and its own queue, on the same database.
    let other: Ctx = t.ctx;
    if (usingPostgres()) {
      second = await openDb({ databaseUrl: inject('testDatabaseUrl'), poolSize: 8 });
      secondJobs = new PgBossQueue(second, { schedule: false });
      other = { ...t.ctx, db: second.db, clock, jobs: secondJobs };
    }
    const boundaries = ['2032-01-05T23:00:01Z', '2032-01-06T23:00:01Z', '2032-01-11T15:00:01Z', '2032-01-12T00:00:00Z'];
    for (const b of boundaries) {
      at(b);
      await Promise.all(Array.from({ length: 8 }, (_, i) => tickWorkloads(i % 2 ? other : t.ctx, { projectId: s.projectId })));
    }
    const daily = await cyclesOf(t, s, workloads[0]!.id);
    const starts = daily.map((c) => c.periodStart);
    expect(new Set(starts).size).toBe(starts.length);
    expect(starts.sort()).toEqual(['2032-01-04T23:00:00.000Z', '2032-01-05T23:00:00.000Z', '2032-01-06T23:00:00.000Z', '2032-01-10T23:00:00.000Z', '2032-01-11T23:00:00.000Z']);
    expect(daily.filter((c) => c.status === 'in_progress')).toHaveLength(1);
    const weekly = await cyclesOf(t, s, workloads[1]!.id);
    expect(weekly.map((c) => c.periodStart).sort()).toEqual(['2032-01-04T15:00:00.000Z', '2032-01-11T15:00:00.000Z']);
    const started = await readEvents(t.ctx.db, { afterSeq: 0, limit: 500, projectId: s.projectId, types: ['cycle.started'] });
    expect(started).toHaveLength(daily.length + weekly.length);
  });
});
