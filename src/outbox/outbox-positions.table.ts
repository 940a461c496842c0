import { bigint, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Where each outbox consumer has read up to, as the `(tx_id, seq)` of the last event it handled
 * (docs/events.md). One row per consumer; a consumer locks its row while it reads, so two
 * processes never relay the same events at once.
 */
export const outboxPositions = pgTable('outbox_positions', {
  consumer: text('consumer').primaryKey(),
  txId: bigint('tx_id', { mode: 'number' }).notNull().default(0),
  seq: bigint('seq', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});
