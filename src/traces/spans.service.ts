import { and, asc, desc } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { spanAfter, spanConditions, type SpanConditions, type SpanPosition } from './span-filter.ts';
import type { SpanInput } from './otlp-decode.ts';
import { spans } from './traces.table.ts';

/**
 * `startTime` is stored at millisecond precision (a JS Date carries no more, and a keyset cursor
 * must compare exactly); `durationMs` keeps the sub-millisecond duration.
 */
export interface SpanQuery extends SpanConditions {
  /** Keyset position: rows strictly after it in `order`. */
  after?: SpanPosition;
  /** `asc` (oldest first, the default: what a backfill walks) or `desc` (newest first: what lists show). */
  order?: 'asc' | 'desc';
  limit: number;
  /** Also read `input.value` / `output.value` (evaluators); lists never do. */
  withPayload?: boolean;
}

/** A stored span as lists read it: what ingest wrote (docs/traces.md) without resource, events and payload. */
export interface SpanRow extends Omit<SpanInput, 'resource' | 'events' | 'inputValue' | 'outputValue'> {
  receivedAt: Date;
  /** Present when `withPayload`. */
  inputValue?: string | null;
  outputValue?: string | null;
}

/** The columns of a `SpanRow` without payload: lists read these, the trace view adds the rest. */
export const listColumns = {
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
  statusMessage: spans.statusMessage,
  model: spans.model,
  promptTokens: spans.promptTokens,
  completionTokens: spans.completionTokens,
  totalTokens: spans.totalTokens,
  serviceName: spans.serviceName,
  attributes: spans.attributes,
  receivedAt: spans.receivedAt,
};

/**
 * Spans of one project in keyset order of (startTime, traceId, spanId), `limit + 1` at most so the
 * caller can tell whether a next page exists. Reads no payload column unless `withPayload`. One
 * statement; no transaction needed (spans are immutable once written). Partition pruning applies
 * when `from`/`to` are given.
 */
export async function readSpans(db: Db, projectId: string, q: SpanQuery): Promise<SpanRow[]> {
  const descending = q.order === 'desc';
  const where = [spanConditions(projectId, q)];
  if (q.after) where.push(spanAfter(q.after, q.order ?? 'asc'));
  const columns = q.withPayload ? { ...listColumns, inputValue: spans.inputValue, outputValue: spans.outputValue } : listColumns;
  const dir = descending ? desc : asc;
  const rows = await db
    .select(columns)
    .from(spans)
    .where(and(...where))
    .orderBy(dir(spans.startTime), dir(spans.traceId), dir(spans.spanId))
    .limit(q.limit + 1);
  return rows as SpanRow[];
}
