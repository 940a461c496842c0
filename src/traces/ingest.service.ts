import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { SpanInput } from './otlp-decode.ts';

const DAY_MS = 86_400_000;
const utcDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
const dayText = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Daily partitions known to exist, per database handle: the ingest path asks PostgreSQL to
 * create a day's partition only the first time this process meets that day. A partition dropped
 * by retention is never written again (spans older than retention are rejected on ingest).
 */
const knownDays = new WeakMap<object, Set<string>>();

/** Makes sure the daily partitions holding these start times exist (idempotent, concurrent-safe). */
export async function ensureSpanPartitions(db: Db, startTimes: Date[]): Promise<void> {
  let known = knownDays.get(db);
  if (!known) knownDays.set(db, (known = new Set()));
  const missing = [...new Set(startTimes.map((t) => dayText(utcDay(t))))].filter((d) => !known.has(d)).sort();
  if (missing.length === 0) return;
  await db.execute(sql`select loupe_spans_ensure_partitions(${missing[0]}::date, ${missing[missing.length - 1]}::date)`);
  for (const d of missing) known.add(d);
}

/** Forgets the partitions this process knows of (retention dropped some). */
export function forgetSpanPartitions(db: Db) {
  knownDays.delete(db);
}

/**
 * Writes spans of one project in ONE statement (so one implicit transaction: when it returns,
 * the spans are committed), and folds the spans it actually inserted into their traces' rows.
 *
 * Idempotent: a span already stored (same project, traceId, spanId and start time) is skipped by
 * `ON CONFLICT DO NOTHING` and does not count again in its trace (docs/traces.md). Rows go in
 * sorted by (traceId, spanId) and the trace upsert in traceId order, so concurrent batches lock in
 * one order. Returns how many spans were new.
 */
export async function writeSpans(db: Db, projectId: string, rows: SpanInput[], now: Date): Promise<{ inserted: number }> {
  if (rows.length === 0) return { inserted: 0 };
  await ensureSpanPartitions(
    db,
    rows.map((r) => r.startTime),
  );
  const sorted = [...rows].sort((a, b) => (a.traceId === b.traceId ? (a.spanId < b.spanId ? -1 : 1) : a.traceId < b.traceId ? -1 : 1));
  const json = JSON.stringify(
    sorted.map((r) => ({
      trace_id: r.traceId,
      span_id: r.spanId,
      parent_span_id: r.parentSpanId,
      name: r.name,
      otel_kind: r.otelKind,
      span_kind: r.spanKind,
      start_time: r.startTime.toISOString(),
      end_time: r.endTime.toISOString(),
      duration_ms: r.durationMs,
      status_code: r.statusCode,
      status_message: r.statusMessage,
      model: r.model,
      prompt_tokens: r.promptTokens,
      completion_tokens: r.completionTokens,
      total_tokens: r.totalTokens,
      service_name: r.serviceName,
      attributes: r.attributes,
      resource: r.resource,
      events: r.events,
      input_value: r.inputValue,
      output_value: r.outputValue,
    })),
  );
  const at = now.toISOString();
  const result = await db.execute<{ inserted: number }>(sql`
    with input as (
      select * from jsonb_to_recordset(${json}::jsonb) as x(
        trace_id text, span_id text, parent_span_id text, name text, otel_kind text, span_kind text,
        start_time timestamptz, end_time timestamptz, duration_ms float8, status_code text, status_message text,
        model text, prompt_tokens int, completion_tokens int, total_tokens int, service_name text,
        attributes jsonb, resource jsonb, events jsonb, input_value text, output_value text)
    ), ins as (
      insert into spans (project_id, trace_id, span_id, parent_span_id, name, otel_kind, span_kind, start_time, end_time,
        duration_ms, status_code, status_message, model, prompt_tokens, completion_tokens, total_tokens, service_name,
        attributes, resource, events, input_value, output_value, received_at)
      select ${projectId}::uuid, trace_id, span_id, parent_span_id, name, otel_kind, span_kind, start_time, end_time,
        duration_ms, status_code, status_message, model, prompt_tokens, completion_tokens, total_tokens, service_name,
        attributes, resource, events, input_value, output_value, ${at}::timestamptz
      from input
      on conflict (project_id, trace_id, span_id, start_time) do nothing
      returning trace_id, span_id, parent_span_id, name, start_time, end_time, status_code, model, total_tokens
    ), agg as (
      select trace_id,
        count(*)::int as n,
        min(start_time) as s,
        max(end_time) as e,
        (count(*) filter (where status_code = 'error'))::int as errors,
        coalesce(sum(total_tokens), 0)::bigint as tokens,
        (array_agg(model order by start_time) filter (where model is not null))[1] as model,
        (array_agg(name) filter (where parent_span_id is null))[1] as root_name,
        (array_agg(span_id) filter (where parent_span_id is null))[1] as root_span_id,
        (array_agg(end_time) filter (where parent_span_id is null))[1] as root_end
      from ins group by trace_id
    ), up as (
      insert into traces as t (project_id, trace_id, root_name, root_span_id, root_end_time, start_time, end_time,
        span_count, error_count, model, total_tokens, last_received_at)
      select ${projectId}::uuid, trace_id, root_name, root_span_id, root_end, s, e, n, errors, model, tokens, ${at}::timestamptz
      from agg order by trace_id
      on conflict (project_id, trace_id) do update set
        root_name = coalesce(excluded.root_name, t.root_name),
        root_span_id = coalesce(excluded.root_span_id, t.root_span_id),
        root_end_time = coalesce(excluded.root_end_time, t.root_end_time),
        start_time = least(t.start_time, excluded.start_time),
        end_time = greatest(t.end_time, excluded.end_time),
        span_count = t.span_count + excluded.span_count,
        error_count = t.error_count + excluded.error_count,
        model = coalesce(t.model, excluded.model),
        total_tokens = t.total_tokens + excluded.total_tokens,
        last_received_at = excluded.last_received_at
      returning 1
    )
    select (select count(*) from ins)::int as inserted, (select count(*) from up)::int as traces`);
  const row = (result as unknown as { rows: Array<{ inserted: number }> }).rows[0];
  return { inserted: Number(row?.inserted ?? 0) };
}
