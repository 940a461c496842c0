import { sql, type SQL } from 'drizzle-orm';
import type { Ctx, ItemStatusChange, ItemStatusListener } from '../context.ts';
import type { Tx } from '../db/client.ts';

/** The port's types live in `context.ts` (the listeners are `Ctx.statusListeners`); re-exported for the modules that answer it. */
export type { ItemStatusChange, ItemStatusListener, StatusPrefetch } from '../context.ts';

/**
 * The listeners of one change (`ctx.statusListeners`), with their prefetch parts for the
 * statement that writes the unit: `ctes` to add to its `WITH`, `columns` to select (`p0`, `p1`,
 * …), `work` (whether any listener's `run` has work: a boolean, or a condition over those columns
 * selected from a subquery `s`, see `ItemStatusListener.hasWork`), and `emit` to call with that
 * statement's row once it ran.
 */
export function prepareItemStatusChange(listeners: readonly ItemStatusListener[], change: ItemStatusChange) {
  const current = [...listeners];
  const parts = current.map((l) => l.prefetch?.(change) ?? null);
  const ctes = parts.flatMap((p, i) => (p?.with ? [sql`${sql.raw(`l${i}`)} as (${p.with})`] : []));
  const columns = parts.flatMap((p, i) => (p ? [sql`(${p.select}) as ${sql.raw(`p${i}`)}`] : []));
  const says = current.map((l, i) => (l.hasWork ? l.hasWork(change, parts[i] ? sql.raw(`s.p${i}`) : sql`null`) : true));
  const conditions = says.filter((w): w is SQL => typeof w !== 'boolean');
  const work: SQL | boolean = says.includes(true) ? true : conditions.length ? sql`(${sql.join(conditions, sql` or `)})` : false;
  return {
    ctes,
    columns,
    work,
    async emit(tx: Tx, ctx: Ctx, row: Record<string, unknown> | undefined) {
      for (const [i, listener] of current.entries()) await listener.run(tx, change, parts[i] ? (row?.[`p${i}`] ?? null) : null, ctx);
    },
  };
}
