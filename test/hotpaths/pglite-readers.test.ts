import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Database } from '../../src/db/client.ts';

/**
 * The embedded database runs one statement or one transaction at a time (src/db/client.ts,
 * `statementsFirst`). A statement outside a transaction (a reader's) must wait for the
 * transaction running now, not for every transaction queued before it, and a transaction must
 * not starve behind a stream of statements. Run on PGlite whatever the suite's database.
 */
let database: Database;
beforeAll(async () => {
  database = await openDb({ dataDir: 'memory://' });
  await database.db.execute(sql`create table readers_probe (n int)`);
});
afterAll(() => database?.close());

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PGlite statements beside queued transactions', () => {
  it('runs a statement after the running transaction, ahead of the transactions queued before it, and it sees only committed rows', async () => {
    const db = database.db;
    const log: string[] = [];
    const writers = Array.from({ length: 4 }, (_, i) =>
      db.transaction(async (tx) => {
        log.push(`tx${i} start`);
        await tx.execute(sql`insert into readers_probe values (${i})`);
        await pause(40); // the session stays with this transaction across its awaits
        log.push(`tx${i} end`);
      }),
    );
    const read = db.execute(sql`select count(*)::int as n from readers_probe`).then((r) => {
      log.push('read');
      return (r as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
    });
    const [seen] = await Promise.all([read, ...writers]);
    expect(log).toEqual(['tx0 start', 'tx0 end', 'read', 'tx1 start', 'tx1 end', 'tx2 start', 'tx2 end', 'tx3 start', 'tx3 end']);
    expect(seen).toBe(1); // tx0's row, committed; nothing of the transactions still waiting
  });

  it('does not starve a transaction behind a stream of statements', async () => {
    const db = database.db;
    let stop = false;
    let statements = 0;
    const readers = Array.from({ length: 3 }, async () => {
      while (!stop) {
        await db.execute(sql`select count(*) from readers_probe`);
        statements++;
        // PGlite answers without I/O: let timers run between statements, as requests' I/O does in the server.
        await new Promise((r) => setImmediate(r));
      }
    });
    await pause(50);
    const before = statements;
    const t0 = performance.now();
    await db.transaction(async (tx) => {
      await tx.execute(sql`insert into readers_probe values (99)`);
    });
    const waited = performance.now() - t0;
    const during = statements - before;
    stop = true;
    await Promise.all(readers);
    // It waited for at most the statements queued when it arrived (one per reader), not for the stream.
    expect(waited).toBeLessThan(500);
    expect(during).toBeLessThan(20);
    const rows = await db.execute(sql`select count(*)::int as n from readers_probe where n = 99`);
    expect((rows as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(1);
  });

  it('keeps PGlite’s own methods working through the handle', async () => {
    const db = database.db;
    await expect(db.transaction(async (tx) => {
      await tx.execute(sql`insert into readers_probe values (-1)`);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    const rows = await db.execute(sql`select count(*)::int as n from readers_probe where n = -1`);
    expect((rows as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(0);
    expect((await database.pglite!.query<{ one: number }>('select 1 as one')).rows[0]!.one).toBe(1);
  });
});
