import type { EvalTaskFilter } from './evaluators.table.ts';
import { readPath } from './mapping.ts';

/** One thing a run considers: a span or a dataset item, with what filters and mappings read. */
export interface Subject {
  kind: 'span' | 'item';
  /** `traceId:spanId` or the item id: the key of "at most once per (evaluator, task)". */
  key: string;
  traceId: string | null;
  spanId: string | null;
  itemId: string | null;
  draft: boolean;
  spanKind: string | null;
  model: string | null;
  /** What column mapping paths read: `attributes.…`, `input`, `output`, `payload.…`, `metadata.…`, `latencyMs`. */
  fields: Record<string, unknown>;
}

const same = (a: unknown, b: string | number | boolean) => (typeof b === 'string' ? String(a) === b : a === b);

/** True when the subject passes the task's filter (span kind, model, attribute or metadata values). */
export function matchesFilter(subject: Subject, filter: EvalTaskFilter): boolean {
  if (filter.spanKind !== undefined && (subject.spanKind ?? '').toLowerCase() !== filter.spanKind.toLowerCase()) return false;
  if (filter.model !== undefined && subject.model !== filter.model) return false;
  for (const [path, value] of Object.entries(filter.attributes ?? {})) {
    const source = subject.kind === 'span' ? subject.fields.attributes : subject.fields.metadata;
    const found = readPath(source, path);
    if (found === undefined || !same(found, value)) return false;
  }
  return true;
}
