import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const exportFormats = ['json', 'jsonl', 'csv', 'coco', 'hdf5', 'lerobot', 'parquet'] as const;
export type ExportFormat = (typeof exportFormats)[number];
export const exportStatuses = ['queued', 'running', 'completed', 'failed'] as const;
export type ExportStatus = (typeof exportStatuses)[number];

export interface ExportScope {
  kind: 'all' | 'since_last' | 'range';
  from?: string;
  to?: string;
  datasetIds?: string[];
}

export interface ExportOptions {
  /** `lerobot` only: the dataset layout (default v3.0). */
  lerobotVersion?: 'v3.0' | 'v2.1';
  /** Leave out task items whose status does not count as done (unfinished or unreviewed work). */
  onlyDone?: boolean;
  /** Leave out task items without an annotation. */
  onlyAnnotated?: boolean;
  /** Parquet and LeRobot: compression codec. */
  compression?: 'SNAPPY' | 'UNCOMPRESSED';
}

/** What a finished export wrote: the files (a zip's members for lerobot) with their checksums. */
export interface ExportManifest {
  format: ExportFormat;
  rows: number;
  bytes: number;
  sha256: string;
  files: Array<{ path: string; bytes: number; sha256: string }>;
  scope: ExportScope & { since?: string | null };
  options: ExportOptions;
  taskIds: string[];
  counts: Record<string, number>;
}

/**
 * A versioned export definition (docs/exports.md): what to export; each version is an export row
 * pointing back here with its number.
 */
export const exportDefinitions = pgTable(
  'export_definitions',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    name: text('name').notNull(),
    taskIds: jsonb('task_ids').$type<string[]>().notNull(),
    format: text('format').$type<ExportFormat>().notNull(),
    scope: jsonb('scope').$type<ExportScope>().notNull(),
    options: jsonb('options').$type<ExportOptions>().notNull(),
    /** The number the next version gets: creating a version locks the row and advances it. */
    nextVersion: integer('next_version').notNull().default(1),
    createdBy: uuid('created_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('export_definitions_project_idx').on(t.projectId, t.id)],
);

/** One export run (a pg-boss job writes it); a version of a definition when `definitionId` is set. */
export const exports = pgTable(
  'exports',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    definitionId: uuid('definition_id').references(() => exportDefinitions.id, { onDelete: 'cascade' }),
    version: integer('version'),
    /** Same project + tasks + format + scope datasets + options: what "since the previous export" compares. */
    definitionKey: text('definition_key').notNull(),
    taskIds: jsonb('task_ids').$type<string[]>().notNull(),
    format: text('format').$type<ExportFormat>().notNull(),
    scope: jsonb('scope').$type<ExportScope>().notNull(),
    options: jsonb('options').$type<ExportOptions>().notNull(),
    status: text('status').$type<ExportStatus>().notNull().default('queued'),
    jobId: text('job_id'),
    progressDone: integer('progress_done').notNull().default(0),
    progressTotal: integer('progress_total').notNull().default(0),
    rows: integer('rows').notNull().default(0),
    bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
    fileName: text('file_name').notNull(),
    /** Where the finished file lies (relative to the export directory); null until completed. */
    storedAs: text('stored_as'),
    /** The time the export began reading: the next since_last export of its definition starts after it. */
    snapshotAt: ts('snapshot_at'),
    /** The since_last cutoff this export used (null: everything). */
    since: ts('since'),
    manifest: jsonb('manifest').$type<ExportManifest | null>(),
    error: text('error'),
    fileDeleted: boolean('file_deleted').notNull().default(false),
    createdBy: uuid('created_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('exports_project_idx').on(t.projectId, t.id),
    index('exports_definition_key_idx').on(t.definitionKey, t.finishedAt),
    uniqueIndex('exports_definition_version_uq').on(t.definitionId, t.version),
  ],
);

/**
 * Per-version digest of every exported task item, so two versions compare without reading
 * payloads again.
 */
export const exportItemDigests = pgTable(
  'export_item_digests',
  {
    exportId: uuid('export_id')
      .notNull()
      .references(() => exports.id, { onDelete: 'cascade' }),
    taskItemId: uuid('task_item_id').notNull(),
    itemId: uuid('item_id').notNull(),
    digest: text('digest').notNull(),
  },
  (t) => [primaryKey({ columns: [t.exportId, t.taskItemId] })],
);
