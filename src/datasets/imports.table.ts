import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { datasets } from './datasets.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const importStatuses = ['queued', 'running', 'completed', 'failed'] as const;
export type ImportStatus = (typeof importStatuses)[number];

/**
 * Large item imports run as background jobs (see `docs/imports.md`): one row per import, written
 * with the job in one transaction, and finished by the job with its outcome.
 */
export const itemImports = pgTable(
  'item_imports',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    datasetId: uuid('dataset_id')
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').notNull(),
    callerIsAdmin: boolean('caller_is_admin').notNull().default(false),
    status: text('status').$type<ImportStatus>().notNull(),
    format: text('format').notNull(),
    mode: text('mode').$type<'atomic' | 'partial'>().notNull(),
    kind: text('kind'),
    stagingPath: text('staging_path').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    lines: integer('lines').notNull().default(0),
    bytesRead: bigint('bytes_read', { mode: 'number' }).notNull().default(0),
    created: integer('created').notNull().default(0),
    updated: integer('updated').notNull().default(0),
    failed: jsonb('failed').$type<Array<{ line: number; error: string }>>().notNull().default([]),
    failedCount: integer('failed_count').notNull().default(0),
    error: jsonb('error').$type<{ code: string; detail: string } | null>(),
    createdAt: ts('created_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('item_imports_dataset_idx').on(t.datasetId, t.id)],
);
