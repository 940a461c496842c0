export type { SpanEvaluation, SpanEvaluationsPort } from '../context.ts';

/** `${traceId}:${spanId}`, the key of `SpanEvaluationsPort.forSpans`' answer. */
export const spanKey = (traceId: string, spanId: string) => `${traceId}:${spanId}`;

