import { and, eq, inArray, sql } from 'drizzle-orm';
import type { SpanEvaluation, SpanEvaluationsPort } from '../traces/span-evaluations.port.ts';
import { spanKey } from '../traces/span-evaluations.port.ts';
import { evalResults } from './evaluators.table.ts';

/**
 * The evaluators' side of the traces module's port: results on spans for the spans API, and
 * the "spans whose <evaluator> label is <label>" subquery for its filter. Both read
 * `eval_results` by its (project, trace, span) and (project, label, evaluator) indexes.
 */
export const spanEvaluations: SpanEvaluationsPort = {
  async forSpans(db, projectId, keys) {
    const out = new Map<string, SpanEvaluation[]>();
    if (!keys.length) return out;
    const rows = await db
      .select({
        traceId: evalResults.traceId,
        spanId: evalResults.spanId,
        evaluatorId: evalResults.evaluatorId,
        evalTaskId: evalResults.taskId,
        runId: evalResults.runId,
        label: evalResults.label,
        score: evalResults.score,
        explanation: evalResults.explanation,
      })
      .from(evalResults)
      .where(and(eq(evalResults.projectId, projectId), inArray(evalResults.subjectKey, keys.map((k) => spanKey(k.traceId, k.spanId)))));
    for (const r of rows) {
      const key = spanKey(r.traceId!, r.spanId!);
      const list = out.get(key) ?? [];
      list.push({ evaluatorId: r.evaluatorId, evalTaskId: r.evalTaskId, runId: r.runId, label: r.label, score: r.score, explanation: r.explanation });
      out.set(key, list);
    }
    return out;
  },
  filter(projectId, where) {
    return sql`select ${evalResults.traceId}, ${evalResults.spanId} from ${evalResults}
      where ${evalResults.projectId} = ${projectId}::uuid and ${evalResults.label} = ${where.label}
      and ${evalResults.subjectKind} = 'span'${where.evaluatorId ? sql` and ${evalResults.evaluatorId} = ${where.evaluatorId}::uuid` : sql``}`;
  },
};
