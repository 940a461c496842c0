import { randomFillSync } from 'node:crypto';
import { V7Generator } from 'uuidv7';
import { itemKinds, type ItemKind } from './datasets.table.ts';
import { importLine, payloadSchemas } from './items.schema.ts';

/** One item of an import as it is written: the columns the body decides, plus its id and `seq`. */
export interface ImportRow {
  id: string;
  external_id: string | null;
  kind: ItemKind;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  draft: boolean;
  annotations: unknown[] | null;
  gold: unknown[] | null;
  seq: number;
}

/**
 * UUIDv7 ids (as `newId`), drawing randomness from a pooled buffer: asking the CPRNG for 4 bytes
 * per id cost more than the rest of an id's making at a million items.
 */
const pool = new Uint32Array(4096);
let poolNext = pool.length;
const ids = new V7Generator({
  nextUint32() {
    if (poolNext === pool.length) {
      randomFillSync(pool);
      poolNext = 0;
    }
    return pool[poolNext++]!;
  },
});
export const newItemId = (): string => ids.generate().toString();

const firstIssue = (error: { issues: Array<{ path: PropertyKey[]; message: string }> }, prefix: string) => {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return `${path ? `${path}: ` : ''}${issue.message}`;
};

const lineKeys = new Set(['externalId', 'kind', 'payload', 'metadata', 'draft', 'annotations', 'gold']);
const kinds = new Set<string>(itemKinds);
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The common line shapes (`record` and `text` items without pre-annotations or gold, a string
 * externalId), checked by hand: the same rules as `importLine` and `payloadSchemas`, at a fraction
 * of zod's cost per line. Anything else, and anything wrong, answers null: zod then decides and
 * words the error, so there is one source of truth for messages.
 */
function commonLine(value: unknown, defaultKind: ItemKind): Omit<ImportRow, 'id' | 'seq'> | null {
  if (!isPlainObject(value)) return null;
  for (const key of Object.keys(value)) if (!lineKeys.has(key)) return null;
  const { externalId, kind, payload, metadata, draft, annotations, gold } = value;
  if (externalId != null && !(typeof externalId === 'string' && externalId.length >= 1 && externalId.length <= 500)) return null;
  if (kind !== undefined && !(typeof kind === 'string' && kinds.has(kind))) return null;
  if (!isPlainObject(payload) || (metadata !== undefined && !isPlainObject(metadata))) return null;
  if ((draft !== undefined && typeof draft !== 'boolean') || annotations != null || gold != null) return null;
  const itemKind = (kind as ItemKind | undefined) ?? defaultKind;
  if (itemKind === 'text') {
    if (typeof payload.text !== 'string' || payload.text.length > 10_000_000) return null;
  } else if (itemKind !== 'record') return null;
  return {
    external_id: (externalId as string | null | undefined) ?? null,
    kind: itemKind,
    payload,
    metadata: metadata ?? {},
    draft: draft ?? false,
    annotations: null,
    gold: null,
  };
}

type MaybeWellFormed = string & { isWellFormed(): boolean };

/**
 * Why PostgreSQL could not store a string of the line (keys included), or null: a NUL character,
 * which text and jsonb cannot hold, or half a UTF-16 surrogate pair (`"\ud800"` alone in the
 * JSON), which jsonb refuses. Either would otherwise fail the whole import inside the database.
 */
function unstorableText(value: unknown, depth = 0): string | null {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'contains a NUL character (\\u0000), which PostgreSQL text cannot hold';
    return (value as MaybeWellFormed).isWellFormed() ? null : 'contains half of a UTF-16 surrogate pair (such as \\ud800 alone), which is not Unicode text';
  }
  if (depth > 64 || value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (const v of value) {
      const problem = unstorableText(v, depth + 1);
      if (problem) return problem;
    }
    return null;
  }
  for (const [key, v] of Object.entries(value)) {
    const problem = unstorableText(key) ?? unstorableText(v, depth + 1);
    if (problem) return problem;
  }
  return null;
}

/** Deepest nesting a line may have: deeper values overflow validators and the database's stack. */
export const MAX_IMPORT_DEPTH = 100;

/** True when `value` nests objects or arrays deeper than `max` (walked without recursion). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Validates one line into a row (without id and seq), or returns why it is bad. */
export function toImportRow(value: unknown, defaultKind: ItemKind): Omit<ImportRow, 'id' | 'seq'> | string {
  if (nestedDeeperThan(value, MAX_IMPORT_DEPTH)) return `nested deeper than ${MAX_IMPORT_DEPTH} levels`;
  const text = unstorableText(value);
  if (text) return text;
  const common = commonLine(value, defaultKind);
  if (common) return common;
  const line = importLine.safeParse(value);
  if (!line.success) return firstIssue(line.error, '');
  const kind = line.data.kind ?? defaultKind;
  const payload = payloadSchemas[kind].safeParse(line.data.payload);
  if (!payload.success) return `${kind} ${firstIssue(payload.error, 'payload')}`;
  return {
    external_id: line.data.externalId ?? null,
    kind,
    payload: payload.data,
    metadata: line.data.metadata ?? {},
    draft: line.data.draft ?? false,
    annotations: line.data.annotations ?? null,
    gold: line.data.gold ?? null,
  };
}
