import type { Db } from '../db/client.ts';
import { itemsForEvaluation, type ItemForEvaluation } from '../datasets/items-for-evaluation.ts';
import { spanBatch, spansOfTraces, type EvalSpan } from '../traces/eval-span-source.ts';
import type { Subject } from './eval-subject.ts';
import type { EvalRunRow, EvalTaskRow } from './eval-tasks.service.ts';
import type { RunProgress } from './evaluators.table.ts';

export function spanSubject(s: EvalSpan): Subject {
  return {
    kind: 'span',
    key: `${s.traceId}:${s.spanId}`,
    traceId: s.traceId,
    spanId: s.spanId,
    itemId: null,
    draft: false,
    spanKind: s.spanKind,
    model: s.model,
    fields: {
      traceId: s.traceId,
      spanId: s.spanId,
      name: s.name,
      spanKind: s.spanKind,
      model: s.model,
      statusCode: s.statusCode,
      startTime: s.startTime.toISOString(),
      endTime: s.endTime.toISOString(),
      latencyMs: s.durationMs,
      attributes: s.attributes,
      input: s.input,
      output: s.output,
    },
  };
}

/** The content of the last turn of `role` in a conversation payload, or null. */
function lastTurn(payload: Record<string, unknown>, role: string): string | null {
  const turns = Array.isArray(payload.turns) ? (payload.turns as Array<{ role?: unknown; content?: unknown }>) : [];
  for (let k = turns.length - 1; k >= 0; k--) if (turns[k]?.role === role) return typeof turns[k]!.content === 'string' ? (turns[k]!.content as string) : null;
  return null;
}

export function itemSubject(i: ItemForEvaluation): Subject {
  return {
    kind: 'item',
    key: i.id,
    traceId: null,
    spanId: null,
    itemId: i.id,
    draft: i.draft,
    spanKind: null,
    model: null,
    fields: {
      id: i.id,
      kind: i.kind,
      externalId: i.externalId,
      payload: i.payload,
      metadata: i.metadata,
      input: lastTurn(i.payload, 'user'),
      output: lastTurn(i.payload, 'assistant'),
      expected: i.payload.expectedOutput ?? null,
      latencyMs: i.payload.latencyMs ?? i.metadata.latencyMs,
    },
  };
}

/**
 * The subjects of a run in keyset batches: a dataset's items, the spans of a backfill's time
 * range (capped at `max` considered), or the spans of the traces a continuous tick handed over.
 * Each batch comes with the progress to store once it is committed; `from` (a stored progress)
 * resumes after the last committed batch of an execution that lost its process.
 */
export async function* subjectBatches(db: Db, task: EvalTaskRow, run: EvalRunRow, batchSize: number, from: RunProgress | null = null): AsyncGenerator<{ subjects: Subject[]; progress: RunProgress }> {
  const max = run.params.max ?? Number.POSITIVE_INFINITY;
  let seen = from?.seen ?? 0;
  if (task.targetKind === 'dataset') {
    let after: string | null = typeof from?.after === 'string' ? from.after : null;
    while (seen < max) {
      const rows = await itemsForEvaluation(db, task.datasetId!, after, Math.min(batchSize, max - seen));
      if (!rows.length) return;
      after = rows[rows.length - 1]!.id;
      seen += rows.length;
      yield { subjects: rows.map(itemSubject), progress: { seen, after } };
    }
    return;
  }
  if (run.kind === 'continuous') {
    // Spans of the handed-over traces, 50 traces a read, in a fixed order: an offset resumes.
    const traceIds = run.params.traceIds ?? [];
    let offset = 0;
    const skip = from?.offset ?? 0;
    for (let i = 0; i < traceIds.length; i += 50) {
      const rows = await spansOfTraces(db, task.projectId, traceIds.slice(i, i + 50));
      const begin = Math.max(0, Math.min(rows.length, skip - offset));
      for (let j = begin; j < rows.length; j += batchSize) {
        const slice = rows.slice(j, j + batchSize);
        seen += slice.length;
        yield { subjects: slice.map(spanSubject), progress: { seen, offset: offset + j + slice.length } };
      }
      offset += rows.length;
    }
    return;
  }
  let after: { startTime: string; traceId: string; spanId: string } | null = from?.after && typeof from.after === 'object' ? from.after : null;
  const start = run.params.from ? new Date(run.params.from) : undefined;
  const to = run.params.to ? new Date(run.params.to) : undefined;
  while (seen < max) {
    const rows = await spanBatch(db, task.projectId, { from: start, to, after, limit: Math.min(batchSize, max - seen) });
    if (!rows.length) return;
    const last = rows[rows.length - 1]!;
    after = { startTime: last.startTime.toISOString(), traceId: last.traceId, spanId: last.spanId };
    seen += rows.length;
    yield { subjects: rows.map(spanSubject), progress: { seen, after } };
  }
}
