import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { datasets, type ItemKind } from './datasets.table.ts';

export interface NewKeyedItem {
  /** The item's identity in the dataset: a row whose externalId is already there is skipped. */
  externalId: string;
  kind: ItemKind;
  payload: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/**
 * Adds items to a dataset of `projectId` unless an item with the same `externalId` is already
 * there (idempotent: a repeat adds nothing and changes nothing). For other modules that turn their
 * objects into work (traces → items of kind `trace`). Locks the dataset row, so it serializes with
 * imports into the same dataset, advances `nextSeq` and the maintained `itemCount` in the caller's
 * transaction. 404 when the dataset is not in this project. Payloads are the caller's to validate.
 */
export async function addItemsIfAbsent(tx: Tx, target: { projectId: string; datasetId: string; now: Date }, rows: NewKeyedItem[]): Promise<{ created: number; existing: number }> {
  const [dataset] = await tx
    .select({ id: datasets.id, nextSeq: datasets.nextSeq })
    .from(datasets)
    .where(and(eq(datasets.id, target.datasetId), eq(datasets.projectId, target.projectId)))
    .for('update');
  if (!dataset) throw notFound('Dataset');
  if (rows.length === 0) return { created: 0, existing: 0 };
  const at = target.now.toISOString();
  const json = JSON.stringify(
    rows.map((r, i) => ({ id: newId(), external_id: r.externalId, kind: r.kind, payload: r.payload, metadata: r.metadata ?? {}, seq: dataset.nextSeq + i })),
  );
  const result = await tx.execute<{ created: number }>(sql`
    with input as (
      select * from jsonb_to_recordset(${json}::jsonb) as x(id uuid, external_id text, kind text, payload jsonb, metadata jsonb, seq bigint)
    ), ins as (
      insert into items (id, project_id, dataset_id, external_id, kind, payload, metadata, seq, created_at, updated_at)
      select id, ${target.projectId}::uuid, ${target.datasetId}::uuid, external_id, kind, payload, metadata, seq, ${at}::timestamptz, ${at}::timestamptz
      from input
      on conflict (dataset_id, external_id) where external_id is not null do nothing
      returning 1
    )
    select count(*)::int as created from ins`);
  const created = Number((result as unknown as { rows: Array<{ created: number }> }).rows[0]?.created ?? 0);
  if (created > 0) {
    await tx
      .update(datasets)
      .set({ itemCount: sql`${datasets.itemCount} + ${created}`, nextSeq: dataset.nextSeq + rows.length, updatedAt: target.now })
      .where(eq(datasets.id, target.datasetId));
  }
  return { created, existing: rows.length - created };
}

