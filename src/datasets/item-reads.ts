import { sql, type SQL } from 'drizzle-orm';
import { items } from './datasets.table.ts';

/** A scalar subquery: the item's gold answer (null when it has none), for statements built elsewhere. */
export function itemGold(itemId: SQL): SQL {
  return sql`(select gold from ${items} where id = ${itemId})`;
}

/** A condition: the item exists and is not drafted (drafted items stay out of scores and reports). */
export function itemNotDrafted(itemId: SQL): SQL {
  return sql`exists (select 1 from ${items} where ${items.id} = ${itemId} and not ${items.draft})`;
}

/** A condition: the item is drafted. */
export function itemDrafted(itemId: SQL): SQL {
  return sql`exists (select 1 from ${items} where ${items.id} = ${itemId} and ${items.draft})`;
}
