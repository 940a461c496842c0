import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneReadEvents, recordEvent } from '../../src/outbox/outbox.service.ts';
import { applyOutboxRetention } from '../../src/webhooks/outbox.job.ts';
import { newId } from '../../src/core/ids.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { relayEverythingWritten } from '../support/outbox.ts';

// Its own database: pruning reads every consumer's position and deletes across projects. The
// relay reads an event only once every transaction older than it has ended, on the whole server
// (docs/events.md#reading): another file's open transaction held it back once, so each relay
// below passes until it has read everything written (`relayEverythingWritten`).
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ ownDatabase: true });
});
afterAll(() => t?.close());

const DAY = 86_400_000;
const ago = (days: number) => new Date(t.ctx.clock.now().getTime() - days * DAY);
const record = (days: number) =>
  t.ctx.db.transaction(async (tx) => (await recordEvent(tx, { projectId: null, type: 'task.created', subjectKind: 'task', subjectId: newId(), data: { days } }, ago(days)))!);
const remaining = async () => new Set(rowsOf<{ id: string }>(await t.ctx.db.execute(sql`select id from outbox_events`)).map((r) => r.id));

/** docs/events.md#retention: old events go once every consumer has read them, never before. */
describe('outbox retention', () => {
  it('deletes only the events older than the retention that the relay has read', async () => {
    const old = [await record(10), await record(9)];
    const recent = await record(1);
    // No consumer has stored a position yet: nothing is known to be read.
    expect(await pruneReadEvents(t.ctx.db, ago(7))).toBe(0);
    await relayEverythingWritten(t.ctx);
    // Recorded after the relay's pass: old, but not read yet.
    const unread = await record(20);
    expect(await applyOutboxRetention(t.ctx, 7)).toBe(2);
    const left = await remaining();
    for (const id of old) expect(left.has(id)).toBe(false);
    expect(left.has(recent)).toBe(true);
    expect(left.has(unread)).toBe(true);
    // Once read, it goes too.
    await relayEverythingWritten(t.ctx);
    expect(await applyOutboxRetention(t.ctx, 7)).toBe(1);
    expect((await remaining()).has(unread)).toBe(false);
    expect((await remaining()).has(recent)).toBe(true);
  });

  it('works through a backlog in batches, each its own transaction', async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await record(30 + i));
    await relayEverythingWritten(t.ctx);
    expect(await pruneReadEvents(t.ctx.db, ago(7), 2)).toBe(7);
    const left = await remaining();
    expect(ids.filter((id) => left.has(id))).toEqual([]);
  });
});
