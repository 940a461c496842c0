import { integer, jsonb, pgTable, primaryKey, text, timestamp, uuid, index } from 'drizzle-orm/pg-core';

/**
 * Responses of creating POSTs sent with an `Idempotency-Key`, kept 24 hours. A row with a null
 * `status` is a request still in flight: parallel retries wait for it instead of running twice;
 * its `created_at` is renewed while it runs (`touchIdempotencyKey`). `committed_at` is written by
 * the request's own transactions (`markIdempotentCommit`, run last in each of them): a reservation whose process died
 * after its work committed but before its answer was stored is never run again.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    fingerprint: text('fingerprint').notNull(),
    status: integer('status'),
    body: jsonb('body'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    committedAt: timestamp('committed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_created_idx').on(t.createdAt)],
);
