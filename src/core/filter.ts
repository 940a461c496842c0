import { type Column, and, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, ne, not, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { DomainError } from './errors.ts';
import { isId } from './ids.ts';
import { containsNul } from './text.ts';
import { itemKinds, items } from '../datasets/datasets.table.ts';

/**
 * The item filter language, shared by item lists, "add items to a task", task creation by
 * filter and workload sampling. A filter is a JSON tree:
 *
 * ```json
 * { "and": [ { "field": "kind", "op": "eq", "value": "text" },
 *            { "not": { "field": "metadata.lang", "op": "in", "value": ["de", "fr"] } } ] }
 * ```
 *
 * Fields and operators are allow-listed; `metadata.<key>` and `payload.<key>` take keys matching
 * `[A-Za-z_][A-Za-z0-9_-]*` (dotted for nested keys, at most 4 deep). Every value is bound as a
 * query parameter, never spliced into SQL. Anything else is refused with 400 `invalid_filter`.
 *
 * Semantics on JSON keys: `ne` and `nin` also match items where the key is missing; `gt/gte/lt/lte`
 * compare numbers with numbers and strings with strings (ISO dates order correctly as strings);
 * `contains` matches a case-insensitive substring of a string, or an element of an array;
 * `exists: true` matches a present key (even when its value is JSON null).
 */
export const filterOps = ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists'] as const;
export type FilterOp = (typeof filterOps)[number];

export const MAX_FILTER_DEPTH = 6;
export const MAX_FILTER_NODES = 100;
export const MAX_IN_VALUES = 1000;
export const MAX_FILTER_CHARS = 16_000;
const MAX_KEY_SEGMENTS = 4;

const keySegment = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const columnFields = ['id', 'externalId', 'kind', 'draft', 'createdAt', 'updatedAt'] as const;
type ColumnField = (typeof columnFields)[number];

/** Which operators each column field accepts. JSON fields (`metadata.*`, `payload.*`) accept all. */
const columnOps: Record<ColumnField, readonly FilterOp[]> = {
  id: ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte'],
  externalId: filterOps,
  kind: ['eq', 'ne', 'in', 'nin'],
  draft: ['eq', 'ne'],
  createdAt: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'],
  updatedAt: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'],
};

const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean(), z.null()]);
type Scalar = z.infer<typeof scalar>;

export interface FilterCondition {
  field: string;
  op: FilterOp;
  value?: Scalar | Scalar[];
}
export type ItemFilter = FilterCondition | { and: ItemFilter[] } | { or: ItemFilter[] } | { not: ItemFilter };

type ParsedField = { column: ColumnField } | { json: 'metadata' | 'payload'; path: string[] };

function parseField(field: string): ParsedField | null {
  if ((columnFields as readonly string[]).includes(field)) return { column: field as ColumnField };
  const [head, ...path] = field.split('.');
  if ((head === 'metadata' || head === 'payload') && path.length >= 1 && path.length <= MAX_KEY_SEGMENTS && path.every((k) => keySegment.test(k))) {
    return { json: head, path };
  }
  return null;
}

const isoDate = z.iso.datetime({ offset: true });

/** Checks one value against what the field and operator need; returns a message or null. */
function valueProblem(field: ParsedField, op: FilterOp, value: unknown): string | null {
  if (op === 'exists') return typeof value === 'boolean' ? null : '`exists` takes true or false';
  const list = op === 'in' || op === 'nin';
  if (list) {
    if (!Array.isArray(value) || value.length === 0) return `\`${op}\` takes a non-empty array`;
    if (value.length > MAX_IN_VALUES) return `\`${op}\` takes at most ${MAX_IN_VALUES} values`;
  } else if (Array.isArray(value) || value === undefined) {
    return `\`${op}\` takes one value`;
  }
  const values = (list ? value : [value]) as unknown[];
  const bad = (check: (v: unknown) => boolean) => values.some((v) => !check(v));
  if ('json' in field) {
    if (bad((v) => scalar.safeParse(v).success)) return 'values are strings, numbers, booleans or null';
    if (['gt', 'gte', 'lt', 'lte'].includes(op) && bad((v) => typeof v === 'number' || typeof v === 'string')) {
      return `\`${op}\` compares numbers or strings`;
    }
    if (op === 'contains' && bad((v) => v !== null)) return '`contains` takes a non-null value';
    return null;
  }
  switch (field.column) {
    case 'id':
      return bad((v) => typeof v === 'string' && isId(v)) ? 'ids are UUID strings' : null;
    case 'externalId':
      return bad((v) => typeof v === 'string' && v.length <= 1000) ? 'externalId values are strings' : null;
    case 'kind':
      return bad((v) => typeof v === 'string' && (itemKinds as readonly string[]).includes(v)) ? `kind is one of ${itemKinds.join(', ')}` : null;
    case 'draft':
      return bad((v) => typeof v === 'boolean') ? 'draft is true or false' : null;
    case 'createdAt':
    case 'updatedAt':
      return bad((v) => typeof v === 'string' && isoDate.safeParse(v).success) ? 'dates are ISO 8601 strings with a time zone' : null;
  }
}

const conditionSchema = z
  .object({ field: z.string().max(200), op: z.enum(filterOps), value: z.unknown().optional() })
  .strict()
  .superRefine((c, ctx) => {
    const field = parseField(c.field);
    if (!field) {
      ctx.addIssue({ code: 'custom', path: ['field'], message: `Unknown field "${c.field}": use ${columnFields.join(', ')}, metadata.<key> or payload.<key>` });
      return;
    }
    if ('column' in field && !columnOps[field.column].includes(c.op)) {
      ctx.addIssue({ code: 'custom', path: ['op'], message: `Field "${c.field}" does not take \`${c.op}\`` });
      return;
    }
    const problem = valueProblem(field, c.op, c.value);
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.field}: ${problem}` });
  });

/** The zod schema of a filter tree (structure, fields, operators, values). Depth and size are checked by `parseItemFilter`. */
export const itemFilterSchema: z.ZodType<ItemFilter> = z.lazy(() =>
  z.union([
    conditionSchema as z.ZodType<FilterCondition>,
    z.object({ and: z.array(itemFilterSchema).min(1).max(MAX_FILTER_NODES) }).strict(),
    z.object({ or: z.array(itemFilterSchema).min(1).max(MAX_FILTER_NODES) }).strict(),
    z.object({ not: itemFilterSchema }).strict(),
  ]),
);

/** Depth and node count, measured without recursion so a hostile nesting cannot blow the stack. */
function measure(value: unknown): { depth: number; nodes: number } {
  let depth = 0;
  let nodes = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [node, level] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (!Array.isArray(node)) {
      nodes++;
      depth = Math.max(depth, level);
      if (nodes > MAX_FILTER_NODES || depth > MAX_FILTER_DEPTH) break;
    }
    const o = node as Record<string, unknown>;
    for (const key of ['and', 'or']) if (Array.isArray(o[key])) for (const child of o[key] as unknown[]) stack.push([child, level + 1]);
    if ('not' in o && !Array.isArray(node)) stack.push([o.not, level + 1]);
  }
  return { depth, nodes };
}

/** Walks the tree and collects every problem with its path (a union's errors would only say "invalid input"). */
function collectProblems(node: unknown, path: string, errors: Array<{ path: string; message: string }>) {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) {
    errors.push({ path, message: 'expected an object: a condition {field, op, value} or {and|or: [...]} or {not: ...}' });
    return;
  }
  const keys = Object.keys(node);
  const o = node as Record<string, unknown>;
  for (const group of ['and', 'or'] as const) {
    if (!(group in o)) continue;
    if (keys.length !== 1) errors.push({ path, message: `\`${group}\` stands alone in its object` });
    const children = o[group];
    if (!Array.isArray(children) || children.length === 0) errors.push({ path: `${path}.${group}`, message: `\`${group}\` takes a non-empty array` });
    else children.forEach((child, i) => collectProblems(child, `${path}.${group}.${i}`, errors));
    return;
  }
  if ('not' in o) {
    if (keys.length !== 1) errors.push({ path, message: '`not` stands alone in its object' });
    collectProblems(o.not, `${path}.not`, errors);
    return;
  }
  const parsed = conditionSchema.safeParse(node);
  if (!parsed.success) for (const issue of parsed.error.issues) errors.push({ path: [path, ...issue.path].join('.'), message: issue.message });
}

/** Validates a filter from a body or a parsed query (400 `invalid_filter` naming each problem). */
export function parseItemFilter(value: unknown): ItemFilter {
  if (containsNul(value)) throw new DomainError('invalid_filter', 'A filter cannot hold a NUL character (\\u0000)');
  const { depth, nodes } = measure(value);
  if (depth > MAX_FILTER_DEPTH) throw new DomainError('invalid_filter', `A filter nests at most ${MAX_FILTER_DEPTH} levels deep`);
  if (nodes > MAX_FILTER_NODES) throw new DomainError('invalid_filter', `A filter has at most ${MAX_FILTER_NODES} nodes`);
  const errors: Array<{ path: string; message: string }> = [];
  collectProblems(value, '$', errors);
  if (errors.length) {
    throw new DomainError('invalid_filter', `The filter is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
  }
  return value as ItemFilter;
}

/** `?filter=` is URL-encoded JSON (the query parser has already decoded it). */
/**
 * The `filter` field of request bodies. It is checked by `parseItemFilter` in the service, not by
 * the body schema, so that a bad filter answers 400 `invalid_filter` (as in `?filter=`) rather
 * than a generic `invalid_request`.
 */
export const itemFilterField = z
  .unknown()
  .describe('An item filter: a JSON tree of and/or/not over {field, op, value} conditions (see docs/filters.md)');

export function parseFilterParam(raw: string): ItemFilter {
  if (raw.length > MAX_FILTER_CHARS) throw new DomainError('invalid_filter', `A filter is at most ${MAX_FILTER_CHARS} characters`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new DomainError('invalid_filter', 'The filter is not JSON');
  }
  return parseItemFilter(value);
}

const columns = {
  id: items.id,
  externalId: items.externalId,
  kind: items.kind,
  draft: items.draft,
  createdAt: items.createdAt,
  updatedAt: items.updatedAt,
};

/** `metadata -> $1 -> $2`: each key a bound text parameter (the cast picks the text overload of `->`). */
function jsonPath(root: 'metadata' | 'payload', path: string[]): SQL {
  let expr: SQL = sql`${root === 'metadata' ? items.metadata : items.payload}`;
  for (const key of path) expr = sql`(${expr} -> ${key}::text)`;
  return expr;
}

const jsonValue = (v: Scalar) => sql`${JSON.stringify(v)}::jsonb`;

function compileJson(target: SQL, op: FilterOp, value: FilterCondition['value']): SQL {
  switch (op) {
    case 'eq':
      return sql`(${target} = ${jsonValue(value as Scalar)})`;
    case 'ne':
      return sql`(${target} is distinct from ${jsonValue(value as Scalar)})`;
    case 'in':
      return sql`(${target} in (${sql.join((value as Scalar[]).map(jsonValue), sql`, `)}))`;
    case 'nin':
      return sql`(${target} is null or ${target} not in (${sql.join((value as Scalar[]).map(jsonValue), sql`, `)}))`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      // jsonb orders across types (strings < numbers < booleans): compare like with like only.
      const operator = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
      const type = typeof value === 'number' ? 'number' : 'string';
      return sql`(jsonb_typeof(${target}) = ${type}::text and ${target} ${sql.raw(operator)} ${jsonValue(value as Scalar)})`;
    }
    case 'contains':
      return sql`((jsonb_typeof(${target}) = 'string' and strpos(lower(${target} #>> '{}'), lower(${String(value)}::text)) > 0)
        or (jsonb_typeof(${target}) = 'array' and ${target} @> jsonb_build_array(${jsonValue(value as Scalar)})))`;
    case 'exists':
      return value ? sql`(${target} is not null)` : sql`(${target} is null)`;
  }
}

function compileColumn(field: ColumnField, op: FilterOp, value: FilterCondition['value']): SQL {
  // One code path for six columns of different types: values were validated per field above.
  const column = columns[field] as Column;
  const v = (x: unknown): any => (field === 'createdAt' || field === 'updatedAt' ? new Date(x as string) : x);
  switch (op) {
    case 'eq':
      return eq(column, v(value));
    case 'ne':
      return field === 'externalId' ? or(isNull(column), ne(column, v(value)))! : ne(column, v(value));
    case 'in':
      return inArray(column, (value as unknown[]).map(v) as string[]);
    case 'nin':
      return or(isNull(column), notInArray(column, (value as unknown[]).map(v) as string[]))!;
    case 'gt':
      return gt(column, v(value));
    case 'gte':
      return gte(column, v(value));
    case 'lt':
      return lt(column, v(value));
    case 'lte':
      return lte(column, v(value));
    case 'contains':
      return sql`(strpos(lower(${column}), lower(${String(value)}::text)) > 0)`;
    case 'exists':
      return value ? isNotNull(column) : isNull(column);
  }
}

/**
 * Compiles a validated filter into a condition over the `items` table. Values and JSON keys are
 * always bound parameters. Pass only what `parseItemFilter`/`parseFilterParam` returned.
 */
export function compileItemFilter(filter: ItemFilter): SQL {
  if ('and' in filter) return and(...filter.and.map(compileItemFilter))!;
  if ('or' in filter) return or(...filter.or.map(compileItemFilter))!;
  if ('not' in filter) return not(compileItemFilter(filter.not));
  const field = parseField(filter.field);
  if (!field) throw new DomainError('invalid_filter', `Unknown field "${filter.field}"`);
  const condition = 'column' in field ? compileColumn(field.column, filter.op, filter.value) : compileJson(jsonPath(field.json, field.path), filter.op, filter.value);
  // Two-valued logic: a condition on a missing key is false, never NULL, so `not` is its exact complement.
  return sql`coalesce(${condition}, false)`;
}
