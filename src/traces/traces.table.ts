import { bigint, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { projects } from '../projects/projects.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Ingest tokens: one project each, for `POST /v1/traces`. Only the SHA-256 digest is kept (the
 * token is shown once, at creation), like API tokens. See docs/traces.md.
 */
export const ingestTokens = pgTable(
  'ingest_tokens',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    /** The first characters of the token, so people can tell tokens apart. */
    prefix: text('prefix').notNull(),
    createdBy: uuid('created_by'),
    createdAt: ts('created_at').notNull().defaultNow(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('ingest_tokens_project_idx').on(t.projectId, t.id)],
);

export const spanStatusCodes = ['unset', 'ok', 'error'] as const;
export type SpanStatusCode = (typeof spanStatusCodes)[number];
export const otelSpanKinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
export type OtelSpanKind = (typeof otelSpanKinds)[number];

/**
 * Spans, one row per (project, trace, span). The real table is PARTITIONED BY RANGE (start_time),
 * one partition per UTC day, created by the hand-written migration `*_traces_sql.sql` (drizzle-kit
 * cannot generate partitioned tables, so this definition is not exported from `db/schema.ts`: it
 * only types the queries). The unique key includes `start_time` because a unique index on a
 * partitioned table must contain the partition key; a resend of a span carries the same start
 * time, so `ON CONFLICT DO NOTHING` on it deduplicates (docs/traces.md).
 *
 * `input_value` / `output_value` (OpenInference `input.value` / `output.value`) can be large:
 * list queries never select them.
 */
export const spans = pgTable(
  'spans',
  {
    projectId: uuid('project_id').notNull(),
    traceId: text('trace_id').notNull(),
    spanId: text('span_id').notNull(),
    parentSpanId: text('parent_span_id'),
    name: text('name').notNull(),
    /** OpenTelemetry span kind (server, client, …). */
    otelKind: text('otel_kind').$type<OtelSpanKind>().notNull(),
    /** OpenInference `openinference.span.kind` (LLM, CHAIN, RETRIEVER, …), null when absent. */
    spanKind: text('span_kind'),
    startTime: ts('start_time').notNull(),
    endTime: ts('end_time').notNull(),
    /** end − start in milliseconds (sub-millisecond precision kept). */
    durationMs: doublePrecision('duration_ms').notNull(),
    statusCode: text('status_code').$type<SpanStatusCode>().notNull(),
    statusMessage: text('status_message'),
    /** OpenInference `llm.model_name`. */
    model: text('model'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    totalTokens: integer('total_tokens'),
    serviceName: text('service_name'),
    /** Span attributes, dotted keys unfolded into nested objects (`llm.model_name` → {llm:{model_name}}). */
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull(),
    /** Resource attributes, unfolded the same way. */
    resource: jsonb('resource').$type<Record<string, unknown>>().notNull(),
    /** [{name, time, attributes}] */
    events: jsonb('events').$type<Array<{ name: string; time: string; attributes: Record<string, unknown> }>>().notNull(),
    inputValue: text('input_value'),
    outputValue: text('output_value'),
    receivedAt: ts('received_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('spans_key_uq').on(t.projectId, t.traceId, t.spanId, t.startTime),
    index('spans_project_start_idx').on(t.projectId, t.startTime, t.traceId, t.spanId),
    index('spans_project_kind_idx').on(t.projectId, t.spanKind, t.startTime),
    index('spans_project_model_idx').on(t.projectId, t.model, t.startTime),
  ],
);

/**
 * One row per trace, maintained by the same statement that inserts its spans (only the spans
 * actually inserted count, so a resend changes nothing): the trace list reads this, never
 * aggregates spans. Not partitioned (a trace's start can move earlier when a late span arrives);
 * retention deletes its rows by `start_time` when it drops span partitions.
 */
export const traces = pgTable(
  'traces',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    traceId: text('trace_id').notNull(),
    /** Name of the root span (no parent), null until it arrives. */
    rootName: text('root_name'),
    rootSpanId: text('root_span_id'),
    /** The root span's end: a trace is complete once it is set and no span arrived for a while. */
    rootEndTime: ts('root_end_time'),
    startTime: ts('start_time').notNull(),
    endTime: ts('end_time').notNull(),
    spanCount: integer('span_count').notNull(),
    errorCount: integer('error_count').notNull().default(0),
    /** The first `llm.model_name` seen in the trace. */
    model: text('model'),
    totalTokens: bigint('total_tokens', { mode: 'number' }).notNull().default(0),
    lastReceivedAt: ts('last_received_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.traceId] }),
    index('traces_project_start_idx').on(t.projectId, t.startTime, t.traceId),
    index('traces_received_idx').on(t.projectId, t.lastReceivedAt),
  ],
);
