import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The transactional outbox: one row per domain event, written in the same transaction as the
 * change it reports (docs/events.md). Consumers (webhook delivery, in-app notifications) read it
 * in `seq` order and keep their own position, so an event exists if and only if its change
 * committed, and no consumer can miss one.
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    /**
     * Order for consumers. Assigned at insert, not at commit: a consumer that reads "after seq N"
     * must allow for a lower seq committing late (docs/events.md); ids stay opaque UUIDs for the API.
     */
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: uuid('id').notNull().unique(),
    projectId: uuid('project_id'),
    /** Dotted event name: `task.created`, `issue.opened`, `cycle.started`, … */
    type: text('type').notNull(),
    subjectKind: text('subject_kind').notNull(),
    subjectId: uuid('subject_id').notNull(),
    actorId: uuid('actor_id'),
    /** Users this event is addressed to (in-app notifications); empty when nobody in particular. */
    recipientIds: uuid('recipient_ids').array().notNull().default([]),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('outbox_project_seq_idx').on(t.projectId, t.seq)],
);
