import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { parseRequest, spansOf, type SpanInput } from '../../src/traces/otlp-decode.ts';
import { ensureSpanPartitions } from '../../src/traces/ingest.service.ts';
import { skippedRow, throughputRow, type ResultRow } from '../support/report.ts';
import { createProject, missingRoutes } from '../support/scenario.ts';
import type { Target } from '../support/target.ts';

export const otlpRoutes = ['POST /api/v1/projects/{projectId}/ingest-tokens', 'POST /v1/traces'];
const BATCH = 512;

/** `count` batches of 512 LLM-style spans (traces of 8: a chain root and 7 LLM children) made by the real SDK. */
function makeBatches(count: number): ReadableSpan[][] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench' }), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('bench');
  const out: ReadableSpan[][] = [];
  for (let b = 0; b < count; b++) {
    for (let t = 0; t < BATCH / 8; t++) {
      const root = tracer.startSpan('chain', { kind: SpanKind.SERVER, attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': `question ${b}-${t}` } });
      const ctx = trace.setSpan(context.active(), root);
      for (let i = 0; i < 7; i++) {
        tracer
          .startSpan('llm', { attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o-mini', 'llm.token_count.prompt': 100 + i, 'llm.token_count.completion': 20, 'input.value': `prompt ${i} `.repeat(20), 'output.value': `answer ${i} `.repeat(10) } }, ctx)
          .end();
      }
      root.end();
    }
    out.push(memory.getFinishedSpans() as ReadableSpan[]);
    memory.reset();
  }
  return out;
}

const esc = (s: string | null) => (s === null ? '\\N' : s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!));
const json = (v: unknown) => esc(JSON.stringify(v));
const n = (v: number | null) => (v === null ? '\\N' : String(v));
const COPY_SQL =
  'COPY spans (project_id, trace_id, span_id, parent_span_id, name, otel_kind, span_kind, start_time, end_time, duration_ms, status_code, status_message, model, prompt_tokens, completion_tokens, total_tokens, service_name, attributes, resource, events, input_value, output_value) FROM STDIN';
const copyLine = (projectId: string, r: SpanInput) =>
  [projectId, r.traceId, r.spanId, esc(r.parentSpanId), esc(r.name), r.otelKind, esc(r.spanKind), r.startTime.toISOString(), r.endTime.toISOString(), String(r.durationMs), r.statusCode, esc(r.statusMessage), esc(r.model), n(r.promptTokens), n(r.completionTokens), n(r.totalTokens), esc(r.serviceName), json(r.attributes), json(r.resource), json(r.events), esc(r.inputValue), esc(r.outputValue)].join('\t') + '\n';

async function rawCopy(target: Target, projectId: string, rows: SpanInput[]) {
  const text = rows.map((r) => copyLine(projectId, r)).join('');
  if (target.kind === 'pglite') {
    await target.database.pglite!.query(COPY_SQL.replace('STDIN', "'/dev/blob'"), [], { blob: new Blob([text]) });
    return;
  }
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  try {
    const stream = client.query(copyFrom(COPY_SQL));
    await new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
      stream.end(text);
    });
  } finally {
    await client.end();
  }
}

/**
 * OTLP ingestion: spans/s through `POST /v1/traces` (the real protobuf exporter, batches of 512,
 * 4 and 16 exporters at once) against one raw `COPY` of the same rows into `spans` on the same
 * database. `BENCH_OTLP_BATCHES` batches per run (default 40, 8 with BENCH_QUICK=1).
 */
export async function otlpWorkload(target: Target, routes: Set<string>): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, otlpRoutes);
  if (missing.length) return [skippedRow(target.kind, 'OTLP ingest', `routes not landed: ${missing.join(', ')}`)];
  const batchCount = Number(process.env.BENCH_OTLP_BATCHES ?? (process.env.BENCH_QUICK === '1' ? 8 : 40));
  const rows: ResultRow[] = [];
  for (const exporters of [4, 16]) {
    const projectId = await createProject(target, `bench-otlp-${exporters}`);
    const token = (await target.http.ok<{ token: string }>('POST', `/api/v1/projects/${projectId}/ingest-tokens`, { token: target.admin.token, body: { name: 'bench' } })).token;
    const batches = makeBatches(batchCount);
    await ensureSpanPartitions(target.built.ctx.db, [new Date()]);
    const senders = Array.from({ length: exporters }, () => new OTLPTraceExporter({ url: `${target.url}/v1/traces`, headers: { authorization: `Bearer ${token}` }, timeoutMillis: 60_000 }));
    let next = 0;
    let failed = 0;
    const t0 = performance.now();
    await Promise.all(
      senders.map(async (exporter) => {
        for (let b = next++; b < batches.length; b = next++) {
          const ok = await new Promise<boolean>((resolve) => exporter.export(batches[b]!, (r) => resolve(r.code === 0)));
          if (!ok) failed++;
        }
      }),
    );
    const loupeSeconds = (performance.now() - t0) / 1000;
    await Promise.all(senders.map((s) => s.shutdown()));
    const stored = (await target.raw.query<{ n: number }>('select count(*)::int as n from spans where project_id = $1', [projectId]))[0]!.n;
    // The same rows, decoded once outside the clock, COPYed into another project.
    const rawProject = await createProject(target, `bench-otlp-raw-${exporters}`);
    const decoded: SpanInput[] = [];
    const window = { min: new Date(Date.now() - 86_400_000), max: new Date(Date.now() + 86_400_000) };
    for (const batch of batches) decoded.push(...spansOf(parseRequest(Buffer.from(ProtobufTraceSerializer.serializeRequest(batch)!), 'protobuf'), 'protobuf', window).spans);
    const t1 = performance.now();
    await rawCopy(target, rawProject, decoded);
    const rawSeconds = (performance.now() - t1) / 1000;
    const total = batches.length * BATCH;
    rows.push(
      throughputRow(target.kind, `OTLP ingest, ${exporters} exporters × 512-span batches (spans/s)`, total / loupeSeconds, total / rawSeconds, {
        note: `${total} spans, ${stored} stored, ${failed} failed exports; raw = one COPY of the same rows`,
      }),
    );
  }
  return rows;
}
