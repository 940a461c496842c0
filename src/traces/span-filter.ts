import { and, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { filterLanguage, filterOps, isIsoDateTime, type Filter } from '../core/filter.ts';
import type { SpanEvaluationsPort } from './span-evaluations.port.ts';
import { spans, spanStatusCodes } from './traces.table.ts';

/**
 * The one place that says how spans are selected (docs/traces.md, "Reading"): how ids and span
 * kinds are normalized (ingest stores them that way, queries compare them that way), the
 * conditions of every span query (lists, spans to a dataset, evaluator batches) and the keyset.
 */

/** Trace ids are 16 bytes, span ids 8, stored as lowercase hex. */
export const isTraceId = (id: string) => /^[0-9a-f]{32}$/.test(id);
export const isSpanId = (id: string) => /^[0-9a-f]{16}$/.test(id);
export const normalizeId = (id: string) => id.toLowerCase();
/** OpenInference span kinds are stored and compared upper case (`llm` finds `LLM`). */
export const normalizeSpanKind = (kind: string) => kind.toUpperCase();

const str = (max: number) => (v: unknown) => typeof v === 'string' && v.length <= max;
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const compare = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;

/**
 * The item filter language (core/filter.ts, docs/filters.md) over spans: `name`, `spanKind`,
 * `model`, `statusCode`, `traceId`, `durationMs`, `totalTokens`, `startTime`; JSON keys under
 * `attributes.` (span attributes, dotted keys as nested paths: `attributes.llm.model_name`) and
 * `resource.`.
 */
const spanFilters = filterLanguage({
  columns: {
    name: { column: spans.name, ops: filterOps, accepts: str(1000), expects: 'name values are strings' },
    traceId: { column: spans.traceId, ops: ['eq', 'ne', 'in', 'nin'], accepts: str(64), expects: 'trace ids are hex strings' },
    spanKind: { column: spans.spanKind, ops: ['eq', 'ne', 'in', 'nin', 'exists'], accepts: str(100), expects: 'span kinds are strings', nullable: true },
    model: { column: spans.model, ops: filterOps, accepts: str(1000), expects: 'model names are strings', nullable: true },
    statusCode: { column: spans.statusCode, ops: ['eq', 'ne', 'in', 'nin'], accepts: (v) => typeof v === 'string' && (spanStatusCodes as readonly string[]).includes(v), expects: `statusCode is one of ${spanStatusCodes.join(', ')}` },
    durationMs: { column: spans.durationMs, ops: compare, accepts: num, expects: 'durationMs values are numbers' },
    totalTokens: { column: spans.totalTokens, ops: [...compare, 'exists'], accepts: num, expects: 'totalTokens values are numbers', nullable: true },
    startTime: { column: spans.startTime, ops: compare, accepts: isIsoDateTime, expects: 'dates are ISO 8601 strings with a time zone', toSql: (v) => new Date(v as string) },
  },
  json: { attributes: spans.attributes, resource: spans.resource },
});

export type SpanFilter = Filter;
export const parseSpanFilter = spanFilters.parse;
export const parseSpanFilterParam = spanFilters.parseParam;
export const compileSpanFilter = spanFilters.compile;

/** Where a keyset walk over spans stands: the last row's (startTime, traceId, spanId). */
export interface SpanPosition {
  startTime: Date | string;
  traceId: string;
  spanId: string;
}

export interface SpanConditions {
  /** Spans that start at or after this instant. */
  from?: Date;
  /** Spans that start before this instant. */
  to?: Date;
  /** Any case; compared lowercase. */
  traceId?: string;
  /** OpenInference `openinference.span.kind` (LLM, CHAIN, …), any case. */
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
}

/** The JSON path of an OpenTelemetry attribute key in the stored (unfolded) attributes. */
export const attributePath = (key: string) => key.split('.');

/** A text[] literal, every element quoted, bound as ONE parameter (drizzle would expand a JS array). */
const textArray = (parts: string[]) => `{${parts.map((p) => `"${p.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;

/** The conditions of a span query (without the keyset), over `spans` of one project. */
export function spanConditions(projectId: string, q: SpanConditions): SQL {
  const where: Array<SQL | undefined> = [eq(spans.projectId, projectId)];
  if (q.from) where.push(gte(spans.startTime, q.from));
  if (q.to) where.push(lt(spans.startTime, q.to));
  if (q.traceId) where.push(eq(spans.traceId, normalizeId(q.traceId)));
  if (q.spanKind) where.push(eq(spans.spanKind, normalizeSpanKind(q.spanKind)));
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

/** Rows strictly after `p` in (startTime, traceId, spanId) order, ascending or descending. */
export function spanAfter(p: SpanPosition, order: 'asc' | 'desc' = 'asc'): SQL {
  const at = typeof p.startTime === 'string' ? p.startTime : p.startTime.toISOString();
  return order === 'desc'
    ? sql`(${spans.startTime}, ${spans.traceId}, ${spans.spanId}) < (${at}::timestamptz, ${p.traceId}, ${p.spanId})`
    : sql`(${spans.startTime}, ${spans.traceId}, ${spans.spanId}) > (${at}::timestamptz, ${p.traceId}, ${p.spanId})`;
}
