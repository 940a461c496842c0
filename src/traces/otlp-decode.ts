import { createRequire } from 'node:module';
import { DomainError } from '../core/errors.ts';
import { flatAttributes, unfold, type OtlpKeyValue } from './otlp-attributes.ts';
import { normalizeSpanKind } from './span-filter.ts';
import { otelSpanKinds, type OtelSpanKind, type SpanStatusCode } from './traces.table.ts';

/**
 * Decoding of OTLP/HTTP trace requests (ExportTraceServiceRequest), protobuf or JSON, into rows
 * for `spans` (docs/traces.md). Protobuf goes through the OpenTelemetry proto definitions compiled
 * by protobufjs (the generated root that `@opentelemetry/otlp-transformer` ships); both encodings
 * then share one mapping, since protobufjs' `toObject` uses the lowerCamelCase names of OTLP JSON.
 */

interface ProtoType {
  decode(buf: Uint8Array): unknown;
  toObject(message: unknown, options: Record<string, unknown>): unknown;
  encode(message: unknown): { finish(): Uint8Array };
  fromObject(object: unknown): unknown;
}
const require = createRequire(import.meta.url);
const generated = require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType; ExportTraceServiceResponse: ProtoType } } } } };
};
const traceV1 = generated.opentelemetry.proto.collector.trace.v1;

/** The decoded request, as the JSON encoding would have it (ids still encoded). */
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] } | null;
    scopeSpans?: Array<{ scope?: { name?: string; version?: string } | null; spans?: OtlpSpan[] | null }> | null;
  }> | null;
}
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[] | null;
  events?: Array<{ timeUnixNano?: string | number; name?: string; attributes?: OtlpKeyValue[] | null }> | null;
  status?: { code?: number | string; message?: string } | null;
}

/** One span ready to insert: what `spans` stores, minus the project and the arrival time. */
export interface SpanInput {
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
  resource: Record<string, unknown>;
  events: Array<{ name: string; time: string; attributes: Record<string, unknown> }>;
  inputValue: string | null;
  outputValue: string | null;
}

export interface DecodedSpans {
  spans: SpanInput[];
  rejected: number;
  /** Why spans were rejected: the first few reasons, for `partialSuccess.errorMessage`. */
  reasons: string[];
}

export type OtlpEncoding = 'protobuf' | 'json';

/** Parses the body bytes into the request object; 400 `invalid_request` when they do not decode. */
export function parseRequest(body: Buffer, encoding: OtlpEncoding): OtlpRequest {
  let value: unknown;
  try {
    value =
      encoding === 'protobuf'
        ? traceV1.ExportTraceServiceRequest.toObject(traceV1.ExportTraceServiceRequest.decode(body), { longs: String, bytes: String, enums: Number, defaults: false })
        : JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new DomainError('invalid_request', `The body is not an OTLP ExportTraceServiceRequest (${encoding}): ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainError('invalid_request', 'The body is not an OTLP ExportTraceServiceRequest object');
  }
  const resourceSpans = (value as OtlpRequest).resourceSpans;
  if (resourceSpans != null && !Array.isArray(resourceSpans)) throw new DomainError('invalid_request', '`resourceSpans` must be an array');
  return value as OtlpRequest;
}

/** The ExportTraceServiceResponse, encoded like the request. */
export function encodeResponse(encoding: OtlpEncoding, partial: { rejectedSpans: number; errorMessage: string } | null): { body: Buffer | string; type: string } {
  const message = partial ? { partialSuccess: { rejectedSpans: partial.rejectedSpans, errorMessage: partial.errorMessage } } : {};
  if (encoding === 'json') {
    // OTLP JSON: int64 as a decimal string.
    const json = partial ? { partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage } } : {};
    return { body: JSON.stringify(json), type: 'application/json' };
  }
  const type = traceV1.ExportTraceServiceResponse;
  return { body: Buffer.from(type.encode(type.fromObject(message)).finish()), type: 'application/x-protobuf' };
}

const MAX_REASONS = 5;
const NS_PER_MS = 1_000_000n;

/** Strips U+0000, which PostgreSQL text and jsonb cannot hold (docs/traces.md). */
const clean = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);
const cleanDeep = (v: unknown, depth = 0): unknown => {
  if (typeof v === 'string') return clean(v);
  if (depth > 32 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => cleanDeep(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [clean(k), cleanDeep(x, depth + 1)]));
};

/** An id as lowercase hex: JSON sends hex, protobuf (through `toObject`) base64. Null when absent or malformed. */
function idOf(value: unknown, bytes: number, encoding: OtlpEncoding): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const hex = encoding === 'json' ? value.toLowerCase() : Buffer.from(value, 'base64').toString('hex');
  if (hex.length !== bytes * 2 || !/^[0-9a-f]+$/.test(hex) || /^0+$/.test(hex)) return null;
  return hex;
}

function nanos(value: unknown): bigint | null {
  if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.trunc(value));
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return BigInt(value);
  return null;
}

const kindNames: Record<string, OtelSpanKind> = {
  SPAN_KIND_UNSPECIFIED: 'unspecified',
  SPAN_KIND_INTERNAL: 'internal',
  SPAN_KIND_SERVER: 'server',
  SPAN_KIND_CLIENT: 'client',
  SPAN_KIND_PRODUCER: 'producer',
  SPAN_KIND_CONSUMER: 'consumer',
};
function kindOf(value: unknown): OtelSpanKind {
  if (typeof value === 'number') return otelSpanKinds[value] ?? 'unspecified';
  return (typeof value === 'string' && kindNames[value]) || 'unspecified';
}

function statusOf(value: unknown): SpanStatusCode {
  if (value === 2 || value === 'STATUS_CODE_ERROR') return 'error';
  if (value === 1 || value === 'STATUS_CODE_OK') return 'ok';
  return 'unset';
}

const str = (v: unknown) => (typeof v === 'string' ? clean(v) : v == null ? null : clean(JSON.stringify(v)));
const int = (v: unknown) => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= -2147483648 && n <= 2147483647 ? n : null;
};

/**
 * The spans of a request, each checked on its own: a span without valid ids, without times, that
 * ends before it starts, or that starts outside `window` (older than retention keeps, or more than
 * a day ahead) is rejected and counted, the others are kept (OTLP partial success).
 */
export function spansOf(request: OtlpRequest, encoding: OtlpEncoding, window: { min: Date; max: Date }): DecodedSpans {
  const out: SpanInput[] = [];
  const reasons: string[] = [];
  let rejected = 0;
  const reject = (reason: string) => {
    rejected++;
    if (reasons.length < MAX_REASONS && !reasons.includes(reason)) reasons.push(reason);
  };
  const minMs = BigInt(window.min.getTime());
  const maxMs = BigInt(window.max.getTime());
  for (const rs of request.resourceSpans ?? []) {
    const resourceFlat = cleanDeep(flatAttributes(rs?.resource?.attributes)) as Record<string, unknown>;
    const serviceName = typeof resourceFlat['service.name'] === 'string' ? (resourceFlat['service.name'] as string) : null;
    const resource = unfold(resourceFlat);
    for (const ss of rs?.scopeSpans ?? []) {
      for (const s of ss?.spans ?? []) {
        if (!s || typeof s !== 'object') {
          reject('a span is not an object');
          continue;
        }
        const traceId = idOf(s.traceId, 16, encoding);
        const spanId = idOf(s.spanId, 8, encoding);
        if (!traceId) {
          reject('traceId must be 16 bytes, not all zero (hex in JSON)');
          continue;
        }
        if (!spanId) {
          reject('spanId must be 8 bytes, not all zero (hex in JSON)');
          continue;
        }
        const parentSpanId = s.parentSpanId ? idOf(s.parentSpanId, 8, encoding) : null;
        if (s.parentSpanId && !parentSpanId) {
          reject('parentSpanId must be empty or 8 bytes');
          continue;
        }
        const start = nanos(s.startTimeUnixNano);
        const end = nanos(s.endTimeUnixNano);
        if (!start || !end) {
          reject('startTimeUnixNano and endTimeUnixNano are required');
          continue;
        }
        if (end < start) {
          reject('endTimeUnixNano is before startTimeUnixNano');
          continue;
        }
        const startMs = start / NS_PER_MS;
        if (startMs < minMs || startMs > maxMs) {
          reject(`startTimeUnixNano is outside the accepted window (${window.min.toISOString()} to ${window.max.toISOString()})`);
          continue;
        }
        const flat = cleanDeep(flatAttributes(s.attributes)) as Record<string, unknown>;
        const inputValue = str(flat['input.value']);
        const outputValue = str(flat['output.value']);
        // Payloads live in their own columns, which lists never read.
        delete flat['input.value'];
        delete flat['output.value'];
        const spanKind = flat['openinference.span.kind'];
        const model = flat['llm.model_name'];
        out.push({
          traceId,
          spanId,
          parentSpanId,
          name: typeof s.name === 'string' ? clean(s.name) : '',
          otelKind: kindOf(s.kind),
          spanKind: typeof spanKind === 'string' ? normalizeSpanKind(spanKind) : null,
          startTime: new Date(Number(startMs)),
          endTime: new Date(Number(end / NS_PER_MS)),
          durationMs: Number(end - start) / 1e6,
          statusCode: statusOf(s.status?.code),
          statusMessage: typeof s.status?.message === 'string' && s.status.message !== '' ? clean(s.status.message) : null,
          model: typeof model === 'string' ? model : null,
          promptTokens: int(flat['llm.token_count.prompt']),
          completionTokens: int(flat['llm.token_count.completion']),
          totalTokens: int(flat['llm.token_count.total']) ?? sumTokens(flat),
          serviceName,
          attributes: unfold(flat),
          resource,
          events: (s.events ?? []).map((e) => {
            const t = nanos(e?.timeUnixNano);
            return {
              name: typeof e?.name === 'string' ? clean(e.name) : '',
              time: t ? new Date(Number(t / NS_PER_MS)).toISOString() : '',
              attributes: unfold(cleanDeep(flatAttributes(e?.attributes)) as Record<string, unknown>),
            };
          }),
          inputValue,
          outputValue,
        });
      }
    }
  }
  return { spans: out, rejected, reasons };
}

function sumTokens(flat: Record<string, unknown>): number | null {
  const p = int(flat['llm.token_count.prompt']);
  const c = int(flat['llm.token_count.completion']);
  return p === null && c === null ? null : (p ?? 0) + (c ?? 0);
}
