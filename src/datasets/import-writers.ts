import { sql } from 'drizzle-orm';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Tx } from '../db/client.ts';
import type { ImportRow } from './import-row.ts';

/**
 * Writes the batches of one import inside its transaction. Two ways, one outcome: PostgreSQL
 * streams rows with `COPY` (no JSON parameter to parse, no per-row planning), PGlite, which has no
 * `COPY FROM STDIN` from a client, upserts a JSON parameter. Both upsert by `externalId` with the
 * same rules (see `UPSERT_SET`).
 */
export interface BatchWriter {
  /** Writes one batch; no externalId repeats within it. Resolves with what it created and updated. */
  write(rows: ImportRow[]): Promise<{ created: number; updated: number }>;
}

export interface ImportTarget {
  projectId: string;
  datasetId: string;
  now: Date;
}

/**
 * On an existing `externalId` the item's kind and payload are replaced, its metadata merged,
 * pre-annotations and gold replaced when the line carries them; `draft` and `seq` are kept
 * (undrafting stays with PATCH and its gate). `xmax = 0` tells a fresh insert from an update.
 */
const UPSERT_SET = sql.raw(`on conflict (dataset_id, external_id) where external_id is not null do update set
        kind = excluded.kind,
        payload = excluded.payload,
        metadata = items.metadata || excluded.metadata,
        annotations = coalesce(excluded.annotations, items.annotations),
        gold = coalesce(excluded.gold, items.gold),
        updated_at = excluded.updated_at
      returning (xmax = 0) as inserted`);

const counts = (result: unknown) => {
  const row = (result as { rows: Array<{ created: number; updated: number }> }).rows[0]!;
  return { created: Number(row.created), updated: Number(row.updated) };
};

/**
 * The node-postgres client under a transaction, or null on PGlite. It reads a drizzle internal
 * (`session.client`): `test/datasets/items-import.test.ts` fails on PostgreSQL if an upgrade
 * moves it, instead of imports quietly falling back to the slower JSON writer.
 */
export function pgClientOf(tx: Tx): pg.ClientBase | null {
  const client = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  return client instanceof pg.Client ? client : null;
}

/** Picks the writer for the transaction's driver. */
export function batchWriter(tx: Tx, target: ImportTarget): BatchWriter {
  const client = pgClientOf(tx);
  return client ? copyWriter(tx, client, target) : jsonWriter(tx, target);
}

/**
 * One multi-row upsert per batch: the rows travel as one JSON parameter expanded by
 * `jsonb_to_recordset` (one round trip, every value bound).
 */
function jsonWriter(tx: Tx, { projectId, datasetId, now }: ImportTarget): BatchWriter {
  return {
    async write(rows) {
      const at = now.toISOString();
      return counts(
        await tx.execute(sql`
          with input as (
            select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
              id uuid, external_id text, kind text, payload jsonb, metadata jsonb, draft boolean, annotations jsonb, gold jsonb, seq bigint)
          ), up as (
            insert into items (id, project_id, dataset_id, external_id, kind, payload, metadata, draft, annotations, gold, seq, created_at, updated_at)
            select id, ${projectId}::uuid, ${datasetId}::uuid, external_id, kind, payload, metadata, draft, annotations, gold, seq, ${at}::timestamptz, ${at}::timestamptz
            from input
            ${UPSERT_SET}
          )
          select (count(*) filter (where inserted))::int as created, (count(*) filter (where not inserted))::int as updated from up`),
      );
    },
  };
}

/** COPY text format: backslash, tab, newline and carriage return are escaped; `\N` is null. */
const copyText = (s: string) => (/[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : s);
/** JSON text holds no raw tab, newline or carriage return (JSON escapes them): only backslashes need doubling. */
const copyJson = (v: unknown) => {
  if (v === null || v === undefined) return '\\N';
  const json = JSON.stringify(v);
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
};

const STAGE = 'loupe_import_stage';

/**
 * PostgreSQL: rows without an `externalId` cannot meet an existing item (their ids are new), so
 * they are COPYed straight into `items`. Rows with one are COPYed into a temporary staging table
 * (dropped at commit) and upserted from there in one statement, then the stage is emptied.
 * Everything runs on the import transaction's connection, so a rollback undoes it all.
 */
function copyWriter(tx: Tx, client: pg.ClientBase, { projectId, datasetId, now }: ImportTarget): BatchWriter {
  const at = now.toISOString();
  // Columns the import fixes for every row, after the per-row ones.
  const fixed = `\t${projectId}\t${datasetId}\t${at}\t${at}\n`;
  let staged = false;
  const line = (r: ImportRow) =>
    `${r.id}\t${r.external_id === null ? '\\N' : copyText(r.external_id)}\t${r.kind}\t${copyJson(r.payload)}\t${copyJson(r.metadata)}\t${r.draft ? 't' : 'f'}\t${copyJson(r.annotations)}\t${copyJson(r.gold)}\t${r.seq}`;
  const copy = (statement: string, text: string) =>
    new Promise<void>((resolve, reject) => {
      const stream = client.query(copyFrom(statement));
      stream.on('finish', resolve);
      stream.on('error', reject);
      stream.end(text);
    });
  const columns = 'id, external_id, kind, payload, metadata, draft, annotations, gold, seq';
  return {
    async write(rows) {
      let plain = '';
      let keyed = '';
      let plainCount = 0;
      for (const r of rows) {
        if (r.external_id === null) {
          plain += line(r) + fixed;
          plainCount++;
        } else keyed += line(r) + fixed;
      }
      let created = 0;
      let updated = 0;
      if (plain) {
        await copy(`copy items (${columns}, project_id, dataset_id, created_at, updated_at) from stdin`, plain);
        created += plainCount;
      }
      if (keyed) {
        if (!staged) {
          await tx.execute(sql.raw(`create temp table if not exists ${STAGE} (like items including defaults) on commit drop`));
          staged = true;
        }
        await copy(`copy ${STAGE} (${columns}, project_id, dataset_id, created_at, updated_at) from stdin`, keyed);
        const result = counts(
          await tx.execute(sql`
            with up as (
              insert into items (${sql.raw(columns)}, project_id, dataset_id, created_at, updated_at)
              select ${sql.raw(columns)}, project_id, dataset_id, created_at, updated_at from ${sql.raw(STAGE)}
              ${UPSERT_SET}
            )
            select (count(*) filter (where inserted))::int as created, (count(*) filter (where not inserted))::int as updated from up`),
        );
        await tx.execute(sql.raw(`truncate ${STAGE}`));
        created += result.created;
        updated += result.updated;
      }
      return { created, updated };
    },
  };
}
