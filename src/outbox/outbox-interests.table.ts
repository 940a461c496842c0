import { pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Which event types a consumer of the outbox wants to hear of in a project: one row per
 * (project, consumer), `types` the event names (`*` for all). Events that nobody but a consumer
 * would read (`item.status_set`, the busiest) are recorded only while some consumer of their
 * project listens for them (docs/events.md#recorded-on-demand).
 */
export const outboxInterests = pgTable(
  'outbox_interests',
  {
    projectId: uuid('project_id').notNull(),
    consumer: text('consumer').notNull(),
    types: text('types').array().notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.consumer] })],
);
