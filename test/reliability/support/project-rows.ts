import { sql } from 'drizzle-orm';
import type { Db } from '../../../src/db/client.ts';

let tables: string[] | undefined;

/**
 * Row counts of every table that carries `project_id`, for one project: the fingerprint a
 * refused request must leave unchanged (no partial writes, no audit event for nothing).
 * The table list is read from the catalogue, so new modules' tables are covered automatically.
 */
export async function projectRowCounts(db: Db, projectId: string): Promise<Record<string, number>> {
  if (!tables) {
    const rows: any = await db.execute(
      sql`select c.table_name from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
          where c.column_name = 'project_id' and c.table_schema = 'public' and t.table_type = 'BASE TABLE' order by 1`,
    );
    tables = (('rows' in rows ? rows.rows : rows) as Array<{ table_name: string }>).map((r) => r.table_name);
  }
  const parts = tables.map((name) => sql`(select count(*)::int from ${sql.identifier(name)} where project_id = ${projectId}) as ${sql.identifier(name)}`);
  const result: any = await db.execute(sql`select ${sql.join(parts, sql`, `)}`);
  const [row] = ('rows' in result ? result.rows : result) as Array<Record<string, number>>;
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

export function diffCounts(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.keys({ ...before, ...after })
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k}: ${before[k]} -> ${after[k]}`);
}
