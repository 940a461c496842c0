import { Column, is, SQL, Subquery } from 'drizzle-orm';
import type { Db } from './client.ts';
import { withNamedClient } from './pglite-named.ts';

/**
 * Named prepared statements for the hottest fixed-shape reads (authentication, task detail):
 * PostgreSQL parses and plans them once per connection instead of once per request, which for a
 * few joined primary-key lookups is most of their cost (planning ~0.3 ms, execution ~0.05 ms).
 * Built once per database handle and name; the same name always holds the same text, as
 * node-postgres requires. On PGlite every statement built here runs named too, keyed by its text
 * (`pglite-named.ts`), since PGlite's own `query` parses and plans each call.
 */
const cache = new WeakMap<Db, Map<string, unknown>>();
/** Statements kept per handle: keys built from request shapes (the task list's) stay bounded; past it, `build` runs per call. */
const MAX_PER_HANDLE = 1000;

/**
 * The statement `build` makes, built once per database handle and `key` (a statement name, or a
 * shape key for unnamed statements whose text depends on the request's shape, as the task
 * list's page). `named: false` says the statement is planned for each call's values on
 * PostgreSQL (built with `.prepare('')`), and keeps it so on PGlite, where every other statement
 * built here runs named.
 */
export function prepared<T>(db: Db, key: string, build: () => T, { named = true }: { named?: boolean } = {}): T {
  let byKey = cache.get(db);
  if (!byKey) cache.set(db, (byKey = new Map()));
  let statement = byKey.get(key) as T | undefined;
  if (!statement) {
    statement = withFlatRowMapper(build());
    if (named) statement = withNamedClient(statement);
    if (byKey.size < MAX_PER_HANDLE) byKey.set(key, statement);
  }
  return statement;
}

/** A selected field as drizzle keeps it on a prepared select: its key path and what decodes it. */
interface SelectedField {
  path: string[];
  field: unknown;
}
interface Decoder {
  mapFromDriverValue(value: unknown): unknown;
}

/** `decoder` is drizzle's internal name for what `mapWith` sets (the value as is, by default). */
const decoderOf = (query: SQL) => (query as unknown as { decoder: Decoder }).decoder;

/**
 * Gives a prepared select whose fields are all top-level (`select({ a: …, b: … })`, no nested
 * objects or joined tables) a row mapper resolved once: drizzle's own mapper works out each
 * field's decoder again for every value of every row (`is()` checks up the prototype chain),
 * a 51-row page of every task column costs about half (bench/hot-path-micro.ts). Same decoders, same keys, same nulls;
 * anything else (nested paths, a mapper already set, a non-select) is returned untouched.
 * Both drivers' prepared queries (node-postgres, PGlite) read rows as arrays and hand them to
 * `customResultMapper` when it is set.
 */
function withFlatRowMapper<T>(statement: T): T {
  const q = statement as { fields?: SelectedField[]; customResultMapper?: unknown };
  if (!q || typeof q !== 'object' || !Array.isArray(q.fields) || q.customResultMapper || !q.fields.every((f) => f.path.length === 1)) return statement;
  const keys = q.fields.map((f) => f.path[0]!);
  const decoders = q.fields.map(({ field }): Decoder => {
    if (is(field, Column)) return field;
    if (is(field, SQL)) return decoderOf(field);
    if (is(field, Subquery)) return decoderOf((field as unknown as { _: { sql: SQL } })._.sql);
    return decoderOf((field as SQL.Aliased).sql);
  });
  const width = keys.length;
  q.customResultMapper = (rows: unknown[][]) =>
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < width; i++) {
        const value = row[i];
        out[keys[i]!] = value === null ? null : decoders[i]!.mapFromDriverValue(value);
      }
      return out;
    });
  return statement;
}
