import { context, trace, SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';

/**
 * Spans made by the real OpenTelemetry SDK (BasicTracerProvider), kept in memory so a test can
 * hand the same spans to the real OTLP exporters as often as it likes.
 */
export function llmTrace(options: { service?: string; model?: string; input?: string; output?: string; error?: boolean; extra?: Attributes } = {}): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service ?? 'chatbot', 'deployment.environment': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('loupe-tests', '1.0.0');
  const root = tracer.startSpan('answer-question', { kind: SpanKind.SERVER, attributes: { 'openinference.span.kind': 'CHAIN', 'input.value': options.input ?? 'What is 2+2?', 'output.value': options.output ?? '4' } });
  const ctx = trace.setSpan(context.active(), root);
  const retrieve = tracer.startSpan('retrieve', { attributes: { 'openinference.span.kind': 'RETRIEVER', 'retrieval.documents.0.document.content': 'arithmetic' } }, ctx);
  retrieve.end();
  const llm = tracer.startSpan('llm-call', {
    kind: SpanKind.CLIENT,
    attributes: {
      'openinference.span.kind': 'LLM',
      'llm.model_name': options.model ?? 'gpt-4o-mini',
      'llm.provider': 'openai',
      'llm.token_count.prompt': 12,
      'llm.token_count.completion': 3,
      'llm.token_count.total': 15,
      'llm.invocation_parameters': '{"temperature":0}',
      'input.value': options.input ?? 'What is 2+2?',
      'output.value': options.output ?? '4',
      ...options.extra,
    },
  }, ctx);
  llm.addEvent('first-token', { 'gen_ai.latency_ms': 42 });
  if (options.error) llm.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited upstream' });
  llm.end();
  root.setStatus({ code: options.error ? SpanStatusCode.ERROR : SpanStatusCode.OK });
  root.end();
  return memory.getFinishedSpans() as ReadableSpan[];
}

export function protoExporter(url: string, token: string, compression: 'gzip' | 'none' = 'gzip') {
  return new ProtoExporter({ url: `${url}/v1/traces`, headers: { authorization: `Bearer ${token}` }, compression: compression as never, timeoutMillis: 30_000 });
}

export function jsonExporter(url: string, token: string, compression: 'gzip' | 'none' = 'none') {
  return new JsonExporter({ url: `${url}/v1/traces`, headers: { authorization: `Bearer ${token}` }, compression: compression as never, timeoutMillis: 30_000 });
}

/** Exports through a real exporter and resolves with its result (ok, or the error it saw). */
export function exportSpans(exporter: SpanExporter, spans: ReadableSpan[]): Promise<{ ok: boolean; error?: Error }> {
  return new Promise((resolve) => exporter.export(spans, (r) => resolve({ ok: r.code === 0 /* ExportResultCode.SUCCESS */, ...(r.error ? { error: r.error } : {}) })));
}
