import { and, asc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { spanAfter, spanConditions } from './span-filter.ts';
import { spans, traces } from './traces.table.ts';

/**
 * The evaluators' read of spans (docs/evaluators.md): keyset batches in start-time order, the
 * spans of given traces, and the traces that are complete. Owned by the evaluators work; it
 * lives here because it reads the spans tables, and it imports nothing above traces.
 */
export interface EvalSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  spanKind: string | null;
  model: string | null;
  startTime: Date;
  endTime: Date;
  durationMs: number;
  statusCode: string;
  attributes: Record<string, unknown>;
  input: string | null;
  output: string | null;
}

const columns = {
  traceId: spans.traceId,
  spanId: spans.spanId,
  parentSpanId: spans.parentSpanId,
  name: spans.name,
  spanKind: spans.spanKind,
  model: spans.model,
  startTime: spans.startTime,
  endTime: spans.endTime,
  durationMs: spans.durationMs,
  statusCode: spans.statusCode,
  attributes: spans.attributes,
  input: spans.inputValue,
  output: spans.outputValue,
};

export type { SpanPosition } from './span-filter.ts';
import type { SpanPosition } from './span-filter.ts';

/**
 * One batch of a project's spans with start time in [from, to), after `after`, in
 * (start_time, trace_id, span_id) order: the `spans_project_start_idx` index walks it.
 */
export async function spanBatch(db: Db, projectId: string, o: { from?: Date; to?: Date; after?: SpanPosition | null; limit: number }): Promise<EvalSpan[]> {
  const conditions = [spanConditions(projectId, { ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) })];
  if (o.after) conditions.push(spanAfter(o.after));
  return db
    .select(columns)
    .from(spans)
    .where(and(...conditions))
    .orderBy(asc(spans.startTime), asc(spans.traceId), asc(spans.spanId))
    .limit(o.limit);
}

/** Every span of the given traces of a project, in start order. */
export async function spansOfTraces(db: Db, projectId: string, traceIds: string[]): Promise<EvalSpan[]> {
  if (!traceIds.length) return [];
  return db
    .select(columns)
    .from(spans)
    .where(and(eq(spans.projectId, projectId), inArray(spans.traceId, traceIds)))
    .orderBy(asc(spans.startTime), asc(spans.traceId), asc(spans.spanId));
}

/**
 * Traces of a project that are complete at `cutoff`: the root span has ended and the last span
 * arrived at or before `cutoff` (now − quietSeconds), arriving at or after `since`, oldest
 * arrival first. `notClaimed` is a subquery naming traces already taken (it may refer to
 * `traces.trace_id`); those are left out.
 */
export async function completeTraces(db: Db, projectId: string, o: { since: Date | null; cutoff: Date; limit: number; claimed?: (traceIdColumn: SQL) => SQL }) {
  const conditions: SQL[] = [eq(traces.projectId, projectId), sql`${traces.rootEndTime} is not null`, lte(traces.lastReceivedAt, o.cutoff)];
  if (o.since) conditions.push(gte(traces.lastReceivedAt, o.since));
  if (o.claimed) conditions.push(sql`not exists (${o.claimed(sql`${traces.traceId}`)})`);
  return db
    .select({ traceId: traces.traceId, lastReceivedAt: traces.lastReceivedAt })
    .from(traces)
    .where(and(...conditions))
    .orderBy(asc(traces.lastReceivedAt), asc(traces.traceId))
    .limit(o.limit);
}
