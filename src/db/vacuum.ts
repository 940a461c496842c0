import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';
import { sqlState } from './retry.ts';

/**
 * Vacuum and analyze where the database's own autovacuum does not run (docs/deployment.md,
 * "Vacuum when autovacuum does not run").
 *
 * The embedded database (PGlite) is a single backend with no background workers: its autovacuum
 * setting says `on`, but no launcher ever starts, so dead row versions of the hot tables (units,
 * assignments, counter shards, the job queue) pile up and the planner's statistics stay as old as
 * the first `ANALYZE`. A PostgreSQL server run with `autovacuum = off` is in the same state.
 * `maintainTables` then does what autovacuum would: it picks the tables past their thresholds,
 * read from each table's own `autovacuum_*` storage parameters (migrations 0003 and 0025 set small
 * ones on the hot tables) or the server's defaults, and runs `VACUUM` / `ANALYZE` on them.
 */

/** Both drivers answer `execute` with `{ rows }`. */
const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

/** Whether the server's autovacuum launcher is running (never on PGlite). */
export async function autovacuumRunning(db: Db): Promise<boolean> {
  const result = await db.execute(sql`select exists (select 1 from pg_stat_activity where backend_type = 'autovacuum launcher') as running`);
  return rowsOf<{ running: boolean }>(result)[0]!.running;
}

export interface MaintainedTable {
  /** Schema-qualified and quoted, as the command names it. */
  table: string;
  vacuum: boolean;
  analyze: boolean;
  deadRows: number;
  changedRows: number;
}

/**
 * The tables past autovacuum's thresholds, by the same formulas: vacuum when dead rows exceed
 * `autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × live rows`, analyze when rows
 * changed since the last analyze exceed `autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × live rows`.
 * A table with `autovacuum_enabled = false` is left alone. Reads statistics only.
 */
export async function tablesDue(db: Db): Promise<MaintainedTable[]> {
  const option = (name: string) =>
    sql.raw(
      `coalesce((select split_part(o, '=', 2)::float8 from unnest(c.reloptions) o where o like '${name}=%' limit 1), current_setting('${name}')::float8)`,
    );
  const result = await db.execute(sql`
    select format('%I.%I', s.schemaname, s.relname) as name, s.n_dead_tup::float8 as dead, s.n_mod_since_analyze::float8 as changed,
           s.n_dead_tup > ${option('autovacuum_vacuum_threshold')} + ${option('autovacuum_vacuum_scale_factor')} * s.n_live_tup as vacuum,
           s.n_mod_since_analyze > ${option('autovacuum_analyze_threshold')} + ${option('autovacuum_analyze_scale_factor')} * s.n_live_tup as analyze
    from pg_stat_user_tables s
    join pg_class c on c.oid = s.relid
    where pg_has_role(c.relowner, 'USAGE')
      and coalesce((select split_part(o, '=', 2)::boolean from unnest(c.reloptions) o where o like 'autovacuum_enabled=%' limit 1), true)
    order by s.n_dead_tup desc, s.relname`);
  return rowsOf<{ name: string; dead: number; changed: number; vacuum: boolean; analyze: boolean }>(result)
    .filter((r) => r.vacuum || r.analyze)
    .map((r) => ({ table: r.name, vacuum: r.vacuum, analyze: r.analyze, deadRows: Number(r.dead), changedRows: Number(r.changed) }));
}

/**
 * One maintenance pass: when autovacuum does not run (or `force`), `VACUUM (ANALYZE)` or
 * `ANALYZE` each table past its threshold, one statement per table, outside any transaction
 * (`VACUUM` refuses one). `SKIP_LOCKED`: a table another vacuum holds is left for the next pass.
 * Returns what it did; nothing when autovacuum runs.
 */
export async function maintainTables(db: Db, options: { force?: boolean } = {}): Promise<MaintainedTable[]> {
  if (!options.force && (await autovacuumRunning(db))) return [];
  const due = await tablesDue(db);
  for (const t of due) {
    const command = t.vacuum ? `vacuum (analyze, skip_locked) ${t.table}` : `analyze (skip_locked) ${t.table}`;
    try {
      await db.execute(sql.raw(command));
    } catch (error) {
      // Dropped since the statistics were read (a day's spans partition, a test's table): nothing to do.
      if (sqlState(error) !== '42P01') throw error;
    }
  }
  return due;
}
