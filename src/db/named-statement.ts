import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { PgDialect, type PgSession } from 'drizzle-orm/pg-core';
import type { Db } from './client.ts';

const dialect = new PgDialect();

/** Statement names by text, so a hot write digests its text once per process, not once per call. Bounded: texts are few. */
const names = new Map<string, string>();
const MAX_NAMES = 1000;

function nameOf(text: string) {
  let name = names.get(text);
  if (!name) {
    name = `loupe_${createHash('sha1').update(text).digest('base64url').slice(0, 24)}`;
    if (names.size >= MAX_NAMES) names.clear();
    names.set(text, name);
  }
  return name;
}

/**
 * `db.execute(query)` as a named prepared statement, for hot writes whose text is built per call
 * but takes few shapes (a status write's statement: one text per set of status listeners). The
 * name is a digest of the text, so one name always holds one text, as node-postgres requires,
 * and PostgreSQL parses and plans each shape once per connection instead of once per call (a
 * ten-CTE write costs more to plan than to run). PGlite runs it as an ordinary statement.
 */
export function executeNamed(db: Db, query: SQL): Promise<unknown> {
  const q = dialect.sqlToQuery(query);
  const session = (db as unknown as { _: { session: PgSession } })._.session;
  return session.prepareQuery(q, undefined, nameOf(q.sql), false).execute();
}
