import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.ts';

/**
 * The node-postgres pool under a drizzle database, or null on PGlite. It reads drizzle's
 * `$client` (the client drizzle was built on); the PostgreSQL run of test/exports/exports.test.ts
 * checks through the job's log that JSONL is streamed by COPY there.
 */
export function pgPoolOf(db: Db): pg.Pool | null {
  const client = (db as unknown as { $client?: unknown }).$client;
  return client instanceof pg.Pool ? client : null;
}

const dialect = new PgDialect();

/**
 * Streams `select` (one text column: a whole JSON line) as `COPY … TO STDOUT` on its own pooled
 * connection, in one REPEATABLE READ transaction that first runs `before` (the versioned export's
 * digests, so they describe exactly the rows the file holds). The chunks are the file's bytes:
 * CSV format with a delimiter and quote character (0x01, 0x02) a JSON text never holds raw (JSON
 * escapes control characters), so no value is ever quoted and every line is the record as built.
 * Reading waits while the caller awaits (the stream pauses the socket): memory stays flat.
 */
export async function* copyLines(pool: pg.Pool, select: SQL, before?: SQL): AsyncIterable<Buffer> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('begin isolation level repeatable read');
    // The rows leave in task item order from the first one: left to itself, PostgreSQL hashes
    // and sorts the whole export before the first row (~7 s for 1,000,000 rows here) and spends
    // ~1.4 s compiling it (JIT). The index-ordered plan streams at once for about the same total
    // time (docs/exports.md). These settings end with this transaction.
    await client.query('set local enable_sort = off; set local enable_hashjoin = off; set local jit = off');
    if (before) {
      const q = dialect.sqlToQuery(before);
      await client.query(q.sql, q.params as unknown[]);
    }
    // COPY takes no bind parameters: the values (ids, instants) are inlined as escaped literals.
    const text = dialect.sqlToQuery(select.inlineParams()).sql;
    const stream = client.query(copyTo(`copy (${text}) to stdout with (format csv, delimiter e'\\x01', quote e'\\x02')`));
    broken = true; // until the stream ends, the connection is mid-COPY and cannot be reused
    for await (const chunk of stream) yield chunk as Buffer;
    broken = false;
    await client.query('commit');
  } catch (error) {
    if (!broken) await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    // An early return (the consumer stopped) also leaves the COPY unfinished: drop that connection.
    client.release(broken ? new Error('export COPY left unfinished') : undefined);
  }
}

/** How many `\n` bytes `chunk` holds (records, as each ends in its only newline). */
export function newlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}
