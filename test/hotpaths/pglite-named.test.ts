import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { integer, jsonb, numeric, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { openDb, type Database } from '../../src/db/client.ts';
import { prepared } from '../../src/db/prepared.ts';
import { executeNamed } from '../../src/db/named-statement.ts';
import { observeNamedStatements } from '../../src/db/pglite-named.ts';

/**
 * On the embedded database, statements built by `prepared` and `executeNamed` run as named
 * statements (src/db/pglite-named.ts): parsed once per instance, then bound and executed. They
 * must answer exactly what PGlite's own `query` answers, survive a `DEALLOCATE ALL`, keep their
 * errors, and wait for an open transaction as any root statement does. This file always uses an
 * in-memory PGlite, whatever database the suite runs on.
 */
const things = pgTable('things', {
  id: integer('id').primaryKey(),
  label: text('label'),
  at: timestamp('at', { withTimezone: true, mode: 'string' }),
  tags: text('tags').array(),
  doc: jsonb('doc'),
  amount: numeric('amount'),
});

let database: Database;
beforeAll(async () => {
  database = await openDb({ dataDir: 'memory://' });
  await database.pglite!.exec(`
    create table things (id int primary key, label text, at timestamptz, tags text[], doc jsonb, amount numeric);
    insert into things values
      (1, 'one', '2026-12-01T01:02:03.456Z', '{a,b}', '{"k": [1, 2]}', 1.5),
      (2, null, null, null, null, null);`);
});
afterAll(() => database?.close());

const byId = () =>
  prepared(database.db, 'test_thing_by_id', () =>
    database.db.select().from(things).where(eq(things.id, sql.placeholder('id'))).prepare('test_thing_by_id'),
  );

/** How often PGlite has run the named statement with this text (its own bookkeeping), 0 when none holds it. */
async function runsOf(fragment: string) {
  const { rows } = await database.pglite!.query<{ runs: number }>(
    `select generic_plans + custom_plans as runs from pg_prepared_statements where statement like $1`,
    [`%${fragment}%`],
  );
  return rows.length ? Number(rows[0]!.runs) : 0;
}

describe('named statements on PGlite', () => {
  it('answer what an unnamed statement answers, values and nulls alike, and are parsed once', async () => {
    const unnamed = async (id: number) => database.db.select().from(things).where(eq(things.id, id));
    for (const id of [1, 2, 3]) {
      expect(await byId().execute({ id })).toEqual(await unnamed(id));
    }
    expect((await byId().execute({ id: 1 }))[0]).toEqual({ id: 1, label: 'one', at: '2026-12-01 01:02:03.456+00', tags: ['a', 'b'], doc: { k: [1, 2] }, amount: '1.5' });
    const before = await runsOf('"things"."id" = $1');
    for (let i = 0; i < 7; i++) await byId().execute({ id: 1 });
    // One statement holds this text, and it counted every run: Bind and Execute, no new Parse.
    const { rows } = await database.pglite!.query<{ n: number }>(`select count(*)::int as n from pg_prepared_statements where statement like '%"things"."id" = $1%'`);
    expect(rows[0]!.n).toBe(1);
    expect(await runsOf('"things"."id" = $1')).toBe(before + 7);
  });

  it('run a write through executeNamed, and keep a failing write’s error and code', async () => {
    await executeNamed(database.db, sql`insert into things (id, label) values (${10}, ${'ten'})`);
    expect(await byId().execute({ id: 10 })).toMatchObject([{ id: 10, label: 'ten' }]);
    const duplicate = executeNamed(database.db, sql`insert into things (id, label) values (${10}, ${'again'})`);
    // drizzle wraps the driver's error, as for an unnamed statement; the code is on its cause.
    await expect(duplicate).rejects.toMatchObject({ cause: expect.objectContaining({ code: '23505', constraint: 'things_pkey' }) });
    // The failed Execute left the session usable, and the statement in place.
    await executeNamed(database.db, sql`insert into things (id, label) values (${11}, ${'eleven'})`);
    expect(await runsOf('insert into things (id, label)')).toBeGreaterThanOrEqual(2);
    expect((await byId().execute({ id: 11 }))[0]!.label).toBe('eleven');
  });

  it('prepare again after DEALLOCATE ALL', async () => {
    await byId().execute({ id: 1 });
    await database.pglite!.exec('deallocate all');
    expect(await runsOf('"things"."id" = $1')).toBe(0);
    expect((await byId().execute({ id: 1 }))[0]!.label).toBe('one');
    expect(await runsOf('"things"."id" = $1')).toBe(1);
  });

  it('prepare again when a column it reads changed its type since', async () => {
    expect((await byId().execute({ id: 1 }))[0]!.label).toBe('one');
    await database.pglite!.exec('alter table things alter column label type varchar(50)');
    // PostgreSQL refuses to run the old statement ("cached plan must not change result type").
    expect((await byId().execute({ id: 1 }))[0]!.label).toBe('one');
    expect(await runsOf('"things"."id" = $1')).toBe(1);
  });

  it('wait for an open transaction, and see its writes only once it commits', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const transaction = database.db.transaction(async (tx) => {
      await tx.execute(sql`update things set label = 'changed' where id = 1`);
      entered();
      await held;
    });
    await inside;
    let answered = false;
    const read = byId()
      .execute({ id: 1 })
      .then((rows) => {
        answered = true;
        return rows;
      });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    release();
    await transaction;
    expect((await read)[0]!.label).toBe('changed');
  });

  it('are shown to observers with their values, and only while observed', async () => {
    const seen: Array<[string, unknown[]]> = [];
    const stop = observeNamedStatements(database.pglite!, (text, params) => seen.push([text, params]));
    await byId().execute({ id: 2 });
    stop();
    await byId().execute({ id: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0]![0]).toContain('"things"."id" = $1');
    expect(seen[0]![1]).toEqual([2]);
  });
});
