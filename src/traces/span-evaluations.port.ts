import type { SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';

/** One evaluation result attached to a span (filled by the evaluators module). */
export interface SpanEvaluation {
  evaluatorId: string;
  evalTaskId: string;
  runId: string;
  label: string | null;
  score: number | null;
  explanation: string | null;
}

/** `${traceId}:${spanId}`, the key of `SpanEvaluationsPort.forSpans`' answer. */
export const spanKey = (traceId: string, spanId: string) => `${traceId}:${spanId}`;

/**
 * How traces reads the evaluation results of spans without importing the evaluators module
 * (which sits above traces). The composition root wires the evaluators' implementation into
 * `Ctx.spanEvaluations`; without one, spans carry no evaluations and label filters match nothing.
 */
export interface SpanEvaluationsPort {
  /** The results of these spans, keyed by `spanKey(traceId, spanId)`; spans without results may be absent. */
  forSpans(db: Db, projectId: string, keys: Array<{ traceId: string; spanId: string }>): Promise<Map<string, SpanEvaluation[]>>;
  /**
   * A subquery yielding `(trace_id, span_id)` pairs of the project's spans that have a result with
   * this label (from this evaluator when given); used as `WHERE (trace_id, span_id) IN (…)`.
   */
  filter(projectId: string, where: { evaluatorId?: string; label: string }): SQL;
}
