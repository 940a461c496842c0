import type { Db } from './client.ts';

/**
 * Named prepared statements for the hottest fixed-shape reads (authentication, task detail):
 * PostgreSQL parses and plans them once per connection instead of once per request, which for a
 * few joined primary-key lookups is most of their cost (planning ~0.3 ms, execution ~0.05 ms).
 * Built once per database handle and name; the same name always holds the same text, as
 * node-postgres requires. (PGlite runs them as ordinary statements.)
 */
const cache = new WeakMap<Db, Map<string, unknown>>();
/** Statements kept per handle: keys built from request shapes (the task list's) stay bounded; past it, `build` runs per call. */
const MAX_PER_HANDLE = 1000;

/**
 * The statement `build` makes, built once per database handle and `key` (a statement name, or a
 * shape key for unnamed statements whose text depends on the request's shape, as the task
 * list's page).
 */
export function prepared<T>(db: Db, key: string, build: () => T): T {
  let byKey = cache.get(db);
  if (!byKey) cache.set(db, (byKey = new Map()));
  let statement = byKey.get(key) as T | undefined;
  if (!statement) {
    statement = build();
    if (byKey.size < MAX_PER_HANDLE) byKey.set(key, statement);
  }
  return statement;
}
