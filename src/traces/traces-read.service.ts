import { and, asc, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { requireRole } from '../projects/permissions.ts';
import { spanKey, type SpanEvaluation } from './span-evaluations.port.ts';
import { isTraceId, normalizeId, parseSpanFilterParam, type SpanPosition } from './span-filter.ts';
import { listColumns, readSpans, type SpanRow } from './spans.service.ts';
import { spans, traces } from './traces.table.ts';

/** A trace is read whole up to this many spans (the view says when there were more). */
export const MAX_TRACE_SPANS = 5000;


export interface SpanListQuery extends PageQuery {
  traceId?: string;
  spanKind?: string;
  model?: string;
  from?: Date;
  to?: Date;
  filter?: string;
  evalLabel?: string;
  evaluatorId?: string;
}

const spanView = (r: SpanRow, evaluations: SpanEvaluation[]) => ({
  traceId: r.traceId,
  spanId: r.spanId,
  parentSpanId: r.parentSpanId,
  name: r.name,
  otelKind: r.otelKind,
  spanKind: r.spanKind,
  startTime: r.startTime,
  endTime: r.endTime,
  durationMs: r.durationMs,
  statusCode: r.statusCode,
  statusMessage: r.statusMessage,
  model: r.model,
  promptTokens: r.promptTokens,
  completionTokens: r.completionTokens,
  totalTokens: r.totalTokens,
  serviceName: r.serviceName,
  attributes: r.attributes,
  evaluations,
});

async function evaluationsOf(ctx: Ctx, projectId: string, rows: Array<{ traceId: string; spanId: string }>) {
  if (!ctx.spanEvaluations || rows.length === 0) return new Map<string, SpanEvaluation[]>();
  return ctx.spanEvaluations.forSpans(ctx.db, projectId, rows.map((r) => ({ traceId: r.traceId, spanId: r.spanId })));
}

function positionOf(cursor: string | undefined): SpanPosition | undefined {
  if (!cursor) return undefined;
  const [t, traceId, spanId] = decodeCursor(cursor, 3, 'hex');
  const startTime = new Date(String(t));
  if (Number.isNaN(startTime.getTime()) || typeof traceId !== 'string' || typeof spanId !== 'string') {
    throw new DomainError('invalid_cursor', 'The cursor is not one this list issued');
  }
  return { startTime, traceId, spanId };
}

/**
 * A project's spans, newest first, keyset by (startTime, traceId, spanId), with their evaluation
 * results. Never reads `input.value` / `output.value`. Viewer+.
 */
export async function listSpans(ctx: Ctx, caller: Caller, projectId: string, q: SpanListQuery) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const rows = await readSpans(ctx.db, projectId, {
    ...(q.from ? { from: q.from } : {}),
    ...(q.to ? { to: q.to } : {}),
    ...(q.traceId ? { traceId: q.traceId } : {}),
    ...(q.spanKind ? { spanKind: q.spanKind } : {}),
    ...(q.model ? { model: q.model } : {}),
    ...(q.filter ? { filter: parseSpanFilterParam(q.filter) } : {}),
    ...(q.evalLabel !== undefined ? { evalLabel: q.evalLabel, ...(q.evaluatorId ? { evaluatorId: q.evaluatorId } : {}), ...(ctx.spanEvaluations ? { evaluations: ctx.spanEvaluations } : {}) } : {}),
    ...(q.cursor ? { after: positionOf(q.cursor)! } : {}),
    order: 'desc',
    limit: q.limit,
  });
  const result = toPage(rows, q.limit, (r) => [r.startTime.toISOString(), r.traceId, r.spanId]);
  const evaluations = await evaluationsOf(ctx, projectId, result.data);
  return { data: result.data.map((r) => spanView(r, evaluations.get(spanKey(r.traceId, r.spanId)) ?? [])), nextCursor: result.nextCursor };
}

export interface TraceListQuery extends PageQuery {
  from?: Date;
  to?: Date;
  model?: string;
  status?: 'ok' | 'error';
}

/**
 * A project's traces, newest first: one row each from the `traces` table that ingestion maintains
 * (root name, start, duration, span count, model, tokens, error count). Viewer+.
 */
export async function listTraces(ctx: Ctx, caller: Caller, projectId: string, q: TraceListQuery) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const where: Array<SQL | undefined> = [eq(traces.projectId, projectId)];
  if (q.from) where.push(gte(traces.startTime, q.from));
  if (q.to) where.push(lt(traces.startTime, q.to));
  if (q.model) where.push(eq(traces.model, q.model));
  if (q.status === 'error') where.push(sql`${traces.errorCount} > 0`);
  if (q.status === 'ok') where.push(sql`${traces.errorCount} = 0`);
  if (q.cursor) {
    const [t, traceId] = decodeCursor(q.cursor, 2, 'hex');
    const at = new Date(String(t));
    if (Number.isNaN(at.getTime()) || typeof traceId !== 'string') throw new DomainError('invalid_cursor', 'The cursor is not one this list issued');
    where.push(sql`(${traces.startTime}, ${traces.traceId}) < (${at.toISOString()}::timestamptz, ${traceId})`);
  }
  const rows = await ctx.db
    .select()
    .from(traces)
    .where(and(...where))
    .orderBy(desc(traces.startTime), desc(traces.traceId))
    .limit(q.limit + 1);
  const result = toPage(rows, q.limit, (r) => [r.startTime.toISOString(), r.traceId]);
  return {
    data: result.data.map((t) => ({
      traceId: t.traceId,
      rootName: t.rootName,
      rootSpanId: t.rootSpanId,
      startTime: t.startTime,
      endTime: t.endTime,
      durationMs: t.endTime.getTime() - t.startTime.getTime(),
      spanCount: t.spanCount,
      errorCount: t.errorCount,
      statusCode: t.errorCount > 0 ? ('error' as const) : ('ok' as const),
      model: t.model,
      totalTokens: t.totalTokens,
      lastReceivedAt: t.lastReceivedAt,
    })),
    nextCursor: result.nextCursor,
  };
}

/**
 * One trace with all its spans (up to `MAX_TRACE_SPANS`), oldest first, with input/output,
 * resource, events and evaluations. The trace row bounds the time range, so only the partitions
 * of its days are read. 404 when the project has no such trace. Viewer+.
 */
export async function readTrace(ctx: Ctx, caller: Caller, projectId: string, traceId: string) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const id = normalizeId(traceId);
  if (!isTraceId(id)) throw notFound('Trace');
  const [trace] = await ctx.db.select().from(traces).where(and(eq(traces.projectId, projectId), eq(traces.traceId, id)));
  if (!trace) throw notFound('Trace');
  const rows = await ctx.db
    .select({ ...listColumns, resource: spans.resource, events: spans.events, inputValue: spans.inputValue, outputValue: spans.outputValue })
    .from(spans)
    .where(and(eq(spans.projectId, projectId), eq(spans.traceId, id), gte(spans.startTime, trace.startTime), sql`${spans.startTime} <= ${trace.endTime.toISOString()}::timestamptz`))
    .orderBy(asc(spans.startTime), asc(spans.spanId))
    .limit(MAX_TRACE_SPANS + 1);
  const kept = rows.slice(0, MAX_TRACE_SPANS);
  const evaluations = await evaluationsOf(ctx, projectId, kept);
  return {
    traceId: id,
    rootName: trace.rootName,
    startTime: trace.startTime,
    endTime: trace.endTime,
    durationMs: trace.endTime.getTime() - trace.startTime.getTime(),
    spanCount: trace.spanCount,
    truncated: rows.length > MAX_TRACE_SPANS,
    spans: kept.map((r) => ({
      ...spanView(r, evaluations.get(spanKey(r.traceId, r.spanId)) ?? []),
      resource: r.resource,
      events: r.events,
      input: r.inputValue,
      output: r.outputValue,
    })),
  };
}

