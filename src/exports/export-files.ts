import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ExportFormat } from './exports.table.ts';

/**
 * Where export files live (docs/exports.md): `LOUPE_EXPORT_DIR`, else `./.loupe/exports`; with an
 * in-memory database (`LOUPE_DATA_DIR=memory://`) the system's temporary directory. Read at call
 * time, so tests and one-off processes can point it elsewhere.
 */
export function exportDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LOUPE_EXPORT_DIR) return resolve(env.LOUPE_EXPORT_DIR);
  if (env.LOUPE_DATA_DIR?.startsWith('memory://')) return join(tmpdir(), 'loupe-exports');
  return resolve('./.loupe/exports');
}

/** Days a finished export file is kept (`LOUPE_EXPORT_RETENTION_DAYS`, default 7). */
export function retentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const days = Number(env.LOUPE_EXPORT_RETENTION_DAYS ?? 7);
  return Number.isFinite(days) && days > 0 ? days : 7;
}

export const extensionOf = (format: ExportFormat) => (format === 'lerobot' ? 'zip' : format === 'hdf5' ? 'h5' : format === 'coco' ? 'coco.json' : format);

export const contentTypeOf = (format: ExportFormat) =>
  ({ json: 'application/json', jsonl: 'application/x-ndjson', csv: 'text/csv; charset=utf-8', coco: 'application/json', hdf5: 'application/x-hdf5', lerobot: 'application/zip', parquet: 'application/vnd.apache.parquet' })[format];
