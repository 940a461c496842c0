import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A project's webhook subscription (docs/webhooks.md). The signing secret is stored encrypted
 * (AES-256-GCM, `secret-box.ts`): it must be readable to sign, so it cannot be hashed.
 */
export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    url: text('url').notNull(),
    events: text('events').array().notNull(),
    secretCiphertext: text('secret_ciphertext').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /** Deliveries that failed for good in a row; reset by a success; disables the webhook at the limit. */
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    disabledReason: text('disabled_reason'),
    /** A sender's claim on this webhook (one sender at a time keeps its deliveries in order). */
    sendingUntil: ts('sending_until'),
    createdBy: uuid('created_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('webhooks_project_idx').on(t.projectId, t.id)],
);

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed';

/** One event for one webhook: at most one row per pair, so an event is never delivered twice. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    /** Creation order, which is the relay's event order: the order of sending per webhook. */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: uuid('id').notNull().unique(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id').notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    subjectId: uuid('subject_id').notNull(),
    /** The exact JSON body sent (and signed), built once so every attempt sends the same bytes. */
    body: text('body').notNull(),
    status: text('status').$type<DeliveryStatus>().notNull().default('pending'),
    attempt: integer('attempt').notNull().default(0),
    responseCode: integer('response_code'),
    durationMs: integer('duration_ms'),
    error: text('error'),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_once_idx').on(t.webhookId, t.eventId),
    index('webhook_deliveries_list_idx').on(t.webhookId, t.seq),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`status in ('pending', 'retrying')`),
    // The retention job's read: finished deliveries by when they finished (docs/webhooks.md#retention).
    index('webhook_deliveries_finished_idx').on(t.updatedAt).where(sql`status in ('succeeded', 'failed')`),
  ],
);
