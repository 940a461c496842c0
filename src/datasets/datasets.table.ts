import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { projects } from '../projects/projects.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const datasets = pgTable(
  'datasets',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Maintained on write (imports, deletes): lists never count items. */
    itemCount: integer('item_count').notNull().default(0),
    /** The `seq` the next imported item gets: imports lock the dataset row and advance it. */
    nextSeq: bigint('next_seq', { mode: 'number' }).notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('datasets_project_idx').on(t.projectId, t.id)],
);

export const itemKinds = ['text', 'image', 'conversation', 'test_case', 'trace', 'episode', 'record'] as const;
export type ItemKind = (typeof itemKinds)[number];

/**
 * Items. `payload` (and `annotations`, `gold`) can be large: list and count queries select the
 * narrow columns only and never read them.
 */
export const items = pgTable(
  'items',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    externalId: text('external_id'),
    kind: text('kind').$type<ItemKind>().notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    draft: boolean('draft').notNull().default(false),
    /** Pre-annotations that rode along on import, shown to annotators as a starting point. */
    annotations: jsonb('annotations').$type<unknown[] | null>(),
    /** The gold answer (shapes), for qualification and honeypot scoring. */
    gold: jsonb('gold').$type<unknown[] | null>(),
    /** Import order within the dataset: "item order" for queues. */
    seq: bigint('seq', { mode: 'number' }).notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('items_dataset_external_uq').on(t.datasetId, t.externalId).where(sql`${t.externalId} is not null`),
    index('items_dataset_idx').on(t.datasetId, t.id),
    index('items_project_idx').on(t.projectId),
  ],
);
