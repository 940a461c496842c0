import { z } from 'zod';
import { pageQuery } from '../core/pagination.ts';
import { otelSpanKinds, spanStatusCodes } from './traces.table.ts';

export const createIngestTokenBody = z.object({ name: z.string().trim().min(1).max(200) }).strict();

export const ingestTokenOut = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the token, to tell tokens apart'),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});
export const createdIngestTokenOut = ingestTokenOut.extend({ token: z.string().describe('Shown once: only its digest is stored') });

export const evaluationOut = z.object({
  evaluatorId: z.string(),
  evalTaskId: z.string(),
  runId: z.string(),
  label: z.string().nullable(),
  score: z.number().nullable(),
  explanation: z.string().nullable(),
});

const json = z.record(z.string(), z.unknown());

export const spanOut = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().nullable(),
  name: z.string(),
  otelKind: z.enum(otelSpanKinds).describe('OpenTelemetry span kind'),
  spanKind: z.string().nullable().describe('OpenInference `openinference.span.kind` (LLM, CHAIN, RETRIEVER, …)'),
  startTime: z.date(),
  endTime: z.date(),
  durationMs: z.number(),
  statusCode: z.enum(spanStatusCodes),
  statusMessage: z.string().nullable(),
  model: z.string().nullable().describe('`llm.model_name`'),
  promptTokens: z.number().int().nullable(),
  completionTokens: z.number().int().nullable(),
  totalTokens: z.number().int().nullable(),
  serviceName: z.string().nullable(),
  attributes: json.describe('Span attributes, dotted keys unfolded into nested objects; input.value/output.value are not here'),
  evaluations: z.array(evaluationOut),
});

export const traceSpanOut = spanOut.extend({
  resource: json,
  events: z.array(z.object({ name: z.string(), time: z.string(), attributes: json })),
  input: z.string().nullable().describe('`input.value`'),
  output: z.string().nullable().describe('`output.value`'),
});

export const traceOut = z.object({
  traceId: z.string(),
  rootName: z.string().nullable(),
  startTime: z.date(),
  endTime: z.date(),
  durationMs: z.number(),
  spanCount: z.number().int(),
  truncated: z.boolean().describe('True when the trace has more spans than one read returns'),
  spans: z.array(traceSpanOut),
});

export const traceSummaryOut = z.object({
  traceId: z.string(),
  rootName: z.string().nullable(),
  rootSpanId: z.string().nullable(),
  startTime: z.date(),
  endTime: z.date(),
  durationMs: z.number(),
  spanCount: z.number().int(),
  errorCount: z.number().int(),
  statusCode: z.enum(['ok', 'error']),
  model: z.string().nullable(),
  totalTokens: z.number(),
  lastReceivedAt: z.date(),
});

const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const listSpansQuery = pageQuery.extend({
  traceId: z.string().max(64).optional(),
  spanKind: z.string().max(100).optional().describe('OpenInference span kind, e.g. LLM'),
  model: z.string().max(1000).optional(),
  from: isoDate.optional().describe('Spans starting at or after'),
  to: isoDate.optional().describe('Spans starting before'),
  filter: z.string().max(16_000).optional().describe('A span filter (JSON, see docs/traces.md): fields name, traceId, spanKind, model, statusCode, durationMs, totalTokens, startTime; attributes.<key>, resource.<key>'),
  evalLabel: z.string().max(200).optional().describe('Spans with an evaluation result of this label'),
  evaluatorId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'an evaluator id').optional().describe('With evalLabel: results of this evaluator only'),
});

export const listTracesQuery = pageQuery.extend({
  from: isoDate.optional(),
  to: isoDate.optional(),
  model: z.string().max(1000).optional(),
  status: z.enum(['ok', 'error']).optional(),
});

export const spansToDatasetBody = z
  .object({
    datasetId: z.string(),
    spanIds: z.array(z.string().max(64)).min(1).max(5000).optional(),
    filter: z.unknown().optional().describe('A span filter (see docs/traces.md)'),
    traceId: z.string().max(64).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    max: z.number().int().min(1).max(5000).optional(),
  })
  .strict();

export const spansToDatasetOut = z.object({
  matched: z.number().int().describe('Spans selected'),
  created: z.number().int().describe('Items added'),
  existing: z.number().int().describe('Spans already in the dataset (nothing added)'),
});
