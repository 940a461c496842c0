import { and, asc, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { compileSpanFilter, type SpanFilter } from './span-filter.ts';
import type { SpanEvaluationsPort } from './span-evaluations.port.ts';
import { spans, type OtelSpanKind, type SpanStatusCode } from './traces.table.ts';

/** Where a keyset walk over spans stands: the last row's (startTime, traceId, spanId). */
/**
 * `startTime` is stored at millisecond precision (a JS Date carries no more, and a keyset cursor
 * must compare exactly); `durationMs` keeps the sub-millisecond duration.
 */
export interface SpanPosition {
  startTime: Date;
  traceId: string;
  spanId: string;
}

export interface SpanQuery {
  /** Spans that start at or after this instant. */
  from?: Date;
  /** Spans that start before this instant. */
  to?: Date;
  traceId?: string;
  /** OpenInference `openinference.span.kind` (LLM, CHAIN, …), exact. */
  spanKind?: string;
  /** `llm.model_name`, exact. */
  model?: string;
  /** Exact matches on span attributes by their OpenTelemetry key (`{"llm.provider": "openai"}`). */
  attributes?: Record<string, string | number | boolean>;
  /** A parsed span filter (`parseSpanFilter`). */
  filter?: SpanFilter;
  /** Spans with an evaluation result of this label (needs `evaluations` to mean anything). */
  evalLabel?: string;
  evaluatorId?: string;
  evaluations?: SpanEvaluationsPort;
  /** Keyset position: rows strictly after it in `order`. */
  after?: SpanPosition;
  /** `asc` (oldest first, the default: what a backfill walks) or `desc` (newest first: what lists show). */
  order?: 'asc' | 'desc';
  limit: number;
  /** Also read `input.value` / `output.value` (evaluators); lists never do. */
  withPayload?: boolean;
}

export interface SpanRow {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  otelKind: OtelSpanKind;
  spanKind: string | null;
  startTime: Date;
  endTime: Date;
  durationMs: number;
  statusCode: SpanStatusCode;
  statusMessage: string | null;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  serviceName: string | null;
  attributes: Record<string, unknown>;
  receivedAt: Date;
  /** Present when `withPayload`. */
  inputValue?: string | null;
  outputValue?: string | null;
}

const listColumns = {
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

/** The JSON path of an OpenTelemetry attribute key in the stored (unfolded) attributes. */
export const attributePath = (key: string) => key.split('.');

/** A text[] literal, every element quoted, bound as ONE parameter (drizzle would expand a JS array). */
const textArray = (parts: string[]) => `{${parts.map((p) => `"${p.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/** The conditions of a span query (without the keyset), over `spans` of one project. */
export function spanConditions(projectId: string, q: Omit<SpanQuery, 'limit' | 'after' | 'order' | 'withPayload'>): SQL {
  const where: Array<SQL | undefined> = [eq(spans.projectId, projectId)];
  if (q.from) where.push(gte(spans.startTime, q.from));
  if (q.to) where.push(lt(spans.startTime, q.to));
  if (q.traceId) where.push(eq(spans.traceId, q.traceId));
  if (q.spanKind) where.push(eq(spans.spanKind, q.spanKind));
  if (q.model) where.push(eq(spans.model, q.model));
  for (const [key, value] of Object.entries(q.attributes ?? {})) {
    // Unfolded path first; a key that clashed with a shorter one on ingest stays flat.
    const json = JSON.stringify(value);
    where.push(sql`(${spans.attributes} #> ${textArray(attributePath(key))}::text[] = ${json}::jsonb or ${spans.attributes} -> ${key} = ${json}::jsonb)`);
  }
  if (q.filter) where.push(compileSpanFilter(q.filter));
  if (q.evalLabel !== undefined) {
    where.push(
      q.evaluations
        ? sql`(${spans.traceId}, ${spans.spanId}) in (${q.evaluations.filter(projectId, { label: q.evalLabel, ...(q.evaluatorId ? { evaluatorId: q.evaluatorId } : {}) })})`
        : sql`false`,
    );
  }
  return and(...where)!;
}

/**
 * Spans of one project in keyset order of (startTime, traceId, spanId), `limit + 1` at most so the
 * caller can tell whether a next page exists. Reads no payload column unless `withPayload`. One
 * statement; no transaction needed (spans are immutable once written). Partition pruning applies
 * when `from`/`to` are given.
 */
export async function readSpans(db: Db, projectId: string, q: SpanQuery): Promise<SpanRow[]> {
  const descending = q.order === 'desc';
  const where = [spanConditions(projectId, q)];
  if (q.after) {
    const { startTime, traceId, spanId } = q.after;
    where.push(
      descending
        ? sql`(${spans.startTime}, ${spans.traceId}, ${spans.spanId}) < (${startTime.toISOString()}::timestamptz, ${traceId}, ${spanId})`
        : sql`(${spans.startTime}, ${spans.traceId}, ${spans.spanId}) > (${startTime.toISOString()}::timestamptz, ${traceId}, ${spanId})`,
    );
  }
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
