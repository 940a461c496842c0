import { and, eq, inArray } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { addItemsIfAbsent } from '../datasets/add-items-if-absent.ts';
import { isSpanId, normalizeId, parseSpanFilter, spanConditions } from './span-filter.ts';
import { spans } from './traces.table.ts';

/** At most this many spans become items per request. */
export const MAX_SPANS_TO_DATASET = 5000;

export interface SpansToDatasetInput {
  datasetId: string;
  /** Span ids (16 hex characters) of the project; or `filter` (+ `from`/`to`). */
  spanIds?: string[];
  filter?: unknown;
  from?: Date;
  to?: Date;
  traceId?: string;
  max?: number;
}

/**
 * Adds spans as items of kind `trace` to a dataset of the same project (manager+), one item per
 * span with `externalId` `span:<traceId>:<spanId>`: adding a span twice adds nothing (idempotent
 * per span). The payload carries the span (ids, name, kind, model, timings, attributes) and its
 * `input` / `output`, so annotators see it without the span store. One transaction with its audit
 * event. Picks spans by id or by the span filter (docs/traces.md), oldest first, at most `max`.
 */
export async function addSpansToDataset(ctx: Ctx, caller: Caller, projectId: string, input: SpansToDatasetInput) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  if (!input.spanIds === (input.filter === undefined)) {
    throw new DomainError('invalid_request', 'Send either spanIds or filter');
  }
  if (!isId(input.datasetId)) throw notFound('Dataset');
  const max = Math.min(input.max ?? MAX_SPANS_TO_DATASET, MAX_SPANS_TO_DATASET);
  const ids = input.spanIds?.map(normalizeId);
  if (ids && !ids.every(isSpanId)) throw new DomainError('invalid_request', 'spanIds are 16 hex characters');
  const where = spanConditions(projectId, {
    ...(input.filter !== undefined ? { filter: parseSpanFilter(input.filter) } : {}),
    ...(input.from ? { from: input.from } : {}),
    ...(input.to ? { to: input.to } : {}),
    ...(input.traceId ? { traceId: input.traceId } : {}),
  });
  const rows = await ctx.db
    .select({
      traceId: spans.traceId,
      spanId: spans.spanId,
      parentSpanId: spans.parentSpanId,
      name: spans.name,
      otelKind: spans.otelKind,
      spanKind: spans.spanKind,
      startTime: spans.startTime,
      endTime: spans.endTime,
      durationMs: spans.durationMs,
      statusCode: spans.statusCode,
      model: spans.model,
      totalTokens: spans.totalTokens,
      attributes: spans.attributes,
      inputValue: spans.inputValue,
      outputValue: spans.outputValue,
    })
    .from(spans)
    .where(and(where, ids ? inArray(spans.spanId, ids) : undefined, eq(spans.projectId, projectId)))
    .orderBy(spans.startTime, spans.traceId, spans.spanId)
    .limit(max);
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const result = await addItemsIfAbsent(
      tx,
      { projectId, datasetId: input.datasetId, now },
      rows.map((r) => ({
        externalId: `span:${r.traceId}:${r.spanId}`,
        kind: 'trace' as const,
        payload: {
          traceId: r.traceId,
          spanId: r.spanId,
          name: r.name,
          spanKind: r.spanKind,
          model: r.model,
          input: r.inputValue,
          output: r.outputValue,
          spans: [
            {
              spanId: r.spanId,
              parentSpanId: null,
              name: r.name,
              kind: r.spanKind ?? r.otelKind,
              startTime: r.startTime.toISOString(),
              endTime: r.endTime.toISOString(),
              durationMs: r.durationMs,
              attributes: r.attributes,
            },
          ],
        },
        metadata: { source: 'traces', statusCode: r.statusCode, ...(r.model ? { model: r.model } : {}), ...(r.totalTokens !== null ? { totalTokens: r.totalTokens } : {}) },
      })),
    );
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'spans.to_dataset', subjectKind: 'dataset', subjectId: input.datasetId, after: { matched: rows.length, created: result.created } });
    return { matched: rows.length, created: result.created, existing: result.existing };
  });
}
