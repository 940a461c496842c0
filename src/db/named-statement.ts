import { createHash } from 'node:crypto';
import { Column, is, Name, Param, Placeholder, SQL, StringChunk, Subquery, Table, View } from 'drizzle-orm';
import { PgDialect, type PgSession } from 'drizzle-orm/pg-core';
import type { Db } from './client.ts';
import { withNamedClient } from './pglite-named.ts';

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
 * ten-CTE write costs more to plan than to run). On PGlite, outside a transaction, it runs named
 * the same way (`pglite-named.ts`); inside one, as an ordinary statement.
 */
export function executeNamed(db: Db, query: SQL): Promise<unknown> {
  const q = compileSql(query) ?? dialect.sqlToQuery(query);
  const session = (db as unknown as { _: { session: PgSession } })._.session;
  return withNamedClient(session.prepareQuery(q, undefined, nameOf(q.sql), false)).execute();
}

/**
 * `dialect.sqlToQuery(query)` for the statements hot writes build per call, in one pass with one
 * output buffer: drizzle's compiler returns and merges a `{ sql, params }` object per chunk and
 * copies its config per nested `sql` (a status write's statement: ~6× the CPU, some 3 % of the
 * request, bench/hot-path-micro.ts). It knows the chunks those statements are made of (text,
 * nested `sql`, names, tables, columns, SQL-aliased fields, subqueries and values) and gives the
 * same text and parameters as drizzle; anything else (placeholders, inlined or encoded-to-SQL
 * parameters, lists, views, aliased tables, columns named by key) returns null and the caller
 * asks drizzle.
 */
export function compileSql(query: SQL): { sql: string; params: unknown[] } | null {
  const out: string[] = [];
  const params: unknown[] = [];
  return walk(query, out, params) ? { sql: out.join(''), params } : null;
}

// drizzle's own symbols for a table's name, schema and alias flag (Table.Symbol, internal in its types).
const TABLE_NAME = Symbol.for('drizzle:Name');
const TABLE_SCHEMA = Symbol.for('drizzle:Schema');
const IS_ALIAS = Symbol.for('drizzle:IsAlias');
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

function walk(query: SQL, out: string[], params: unknown[]): boolean {
  if ((query as unknown as { shouldInlineParams: boolean }).shouldInlineParams) return false;
  for (const chunk of query.queryChunks as unknown[]) {
    if (chunk instanceof StringChunk) out.push((chunk.value as string[]).join(''));
    else if (chunk instanceof SQL) {
      if (!walk(chunk, out, params)) return false;
    } else if (chunk === undefined) continue;
    else if (typeof chunk === 'function') return false; // an enum
    else if (chunk === null || typeof chunk !== 'object') {
      params.push(chunk);
      out.push(`$${params.length}`);
    } else if (chunk instanceof Name) out.push(quote(chunk.value));
    else if (chunk instanceof Param) {
      if (chunk.value instanceof Placeholder) return false;
      const value = chunk.value === null ? null : chunk.encoder.mapToDriverValue(chunk.value);
      if (value instanceof SQL || is(value, SQL)) return false;
      params.push(value);
      out.push(`$${params.length}`);
    } else if (chunk instanceof Table) {
      const t = chunk as unknown as Record<symbol, unknown>;
      const schema = t[TABLE_SCHEMA] as string | undefined;
      const name = t[TABLE_NAME] as string;
      out.push(schema === undefined || t[IS_ALIAS] ? quote(name) : `${quote(schema)}.${quote(name)}`);
    } else if (chunk instanceof Column) {
      const table = chunk.table as unknown as Record<symbol, unknown>;
      if (chunk.keyAsName || table[IS_ALIAS] || table[TABLE_SCHEMA] !== undefined) return false;
      out.push(`${quote(table[TABLE_NAME] as string)}.${quote(chunk.name)}`);
    } else if (chunk instanceof SQL.Aliased && chunk.fieldAlias !== undefined) out.push(quote(chunk.fieldAlias));
    else if (is(chunk, Subquery)) {
      // A subquery used as a table (`db.select()….as('x')`), or a `with` query's name.
      const sub = (chunk as unknown as { _: { isWith?: boolean; alias: string; sql: SQL } })._;
      if (sub.isWith) out.push(quote(sub.alias));
      else {
        out.push('(');
        if (!walk(sub.sql, out, params)) return false;
        out.push(`) ${quote(sub.alias)}`);
      }
    } else if (Array.isArray(chunk) || chunk instanceof Placeholder || is(chunk, SQL) || is(chunk, Table) || is(chunk, Column) || is(chunk, Param) || 'getSQL' in chunk || is(chunk, View)) return false;
    else {
      // A value drizzle would send as a parameter (a Date, an object).
      params.push(chunk);
      out.push(`$${params.length}`);
    }
  }
  return true;
}
