import { filterLanguage, filterOps, isIsoDateTime, type Filter } from '../core/filter.ts';
import { spans, spanStatusCodes } from './traces.table.ts';

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
