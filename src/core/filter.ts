import { type Column, and, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, ne, not, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { DomainError } from './errors.ts';
import { containsNul } from './text.ts';

/**
 * A filter language over one table's columns and JSON columns, instantiated per table by
 * `filterLanguage` (the item filter, shared by item lists, "add items to a task", task creation
 * by filter and workload sampling, lives in `datasets/item-filter.ts`). A filter is a JSON tree:
 *
 * ```json
 * { "and": [ { "field": "kind", "op": "eq", "value": "text" },
 *            { "not": { "field": "metadata.lang", "op": "in", "value": ["de", "fr"] } } ] }
 * ```
 *
 * Fields and operators are allow-listed per table; a JSON column's keys (`metadata.<key>`) match
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

/** A column a filter may name: its operators, the values it takes, and how they reach SQL. */
export interface FilterColumn {
  column: Column;
  ops: readonly FilterOp[];
  /** True for a value this column takes. */
  accepts: (value: unknown) => boolean;
  /** Why a value was refused (`ids are UUID strings`). */
  expects: string;
  /** The value as the driver binds it (a Date for a timestamp); the value itself by default. */
  toSql?: (value: unknown) => unknown;
  /** `ne` also matches rows where the column is null (as it does on JSON keys). */
  nullable?: boolean;
}

/** What one table lets filters name: plain columns, and JSON columns addressed by `<name>.<key>`. */
export interface FilterSpec {
  columns: Record<string, FilterColumn>;
  json: Record<string, Column>;
}

const scalar = z.union([z.string().max(1000), z.number().finite(), z.boolean(), z.null()]);
type Scalar = z.infer<typeof scalar>;

export interface FilterCondition {
  field: string;
  op: FilterOp;
  value?: Scalar | Scalar[];
}
export type Filter = FilterCondition | { and: Filter[] } | { or: Filter[] } | { not: Filter };

const isoDate = z.iso.datetime({ offset: true });
/** An ISO 8601 date-time with a time zone (for timestamp columns' `accepts`). */
export const isIsoDateTime = (v: unknown): boolean => typeof v === 'string' && isoDate.safeParse(v).success;

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

/** `metadata -> $1 -> $2`: each key a bound text parameter (the cast picks the text overload of `->`). */
function jsonPath(root: Column, path: string[]): SQL {
  let expr: SQL = sql`${root}`;
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

type ParsedField = { column: string; spec: FilterColumn } | { json: Column; path: string[] };

/**
 * The filter language of one table: `parse` validates a tree (400 `invalid_filter` naming each
 * problem), `parseParam` reads `?filter=` (URL-decoded JSON), `compile` turns a parsed tree into a
 * condition. Values and JSON keys are always bound parameters, never spliced into SQL.
 */
export function filterLanguage(spec: FilterSpec) {
  const columnNames = Object.keys(spec.columns);
  const jsonNames = Object.keys(spec.json);
  const fieldList = [...columnNames, ...jsonNames.map((n) => `${n}.<key>`)];
  const knownFields = `${fieldList.slice(0, -1).join(', ')} or ${fieldList[fieldList.length - 1]}`;

  function parseField(field: string): ParsedField | null {
    if (Object.hasOwn(spec.columns, field)) return { column: field, spec: spec.columns[field]! };
    const [head, ...path] = field.split('.');
    if (head !== undefined && Object.hasOwn(spec.json, head) && path.length >= 1 && path.length <= MAX_KEY_SEGMENTS && path.every((k) => keySegment.test(k))) {
      return { json: spec.json[head]!, path };
    }
    return null;
  }

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
    return bad(field.spec.accepts) ? field.spec.expects : null;
  }

  const conditionSchema = z
    .object({ field: z.string().max(200), op: z.enum(filterOps), value: z.unknown().optional() })
    .strict()
    .superRefine((c, ctx) => {
      const field = parseField(c.field);
      if (!field) {
        ctx.addIssue({ code: 'custom', path: ['field'], message: `Unknown field "${c.field}": use ${knownFields}` });
        return;
      }
      if ('column' in field && !field.spec.ops.includes(c.op)) {
        ctx.addIssue({ code: 'custom', path: ['op'], message: `Field "${c.field}" does not take \`${c.op}\`` });
        return;
      }
      const problem = valueProblem(field, c.op, c.value);
      if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: `${c.field}: ${problem}` });
    });

  /** The zod schema of a filter tree (structure, fields, operators, values). Depth and size are checked by `parse`. */
  const schema: z.ZodType<Filter> = z.lazy(() =>
    z.union([
      conditionSchema as z.ZodType<FilterCondition>,
      z.object({ and: z.array(schema).min(1).max(MAX_FILTER_NODES) }).strict(),
      z.object({ or: z.array(schema).min(1).max(MAX_FILTER_NODES) }).strict(),
      z.object({ not: schema }).strict(),
    ]),
  );

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
  function parse(value: unknown): Filter {
    if (containsNul(value)) throw new DomainError('invalid_filter', 'A filter cannot hold a NUL character (\\u0000)');
    const { depth, nodes } = measure(value);
    if (depth > MAX_FILTER_DEPTH) throw new DomainError('invalid_filter', `A filter nests at most ${MAX_FILTER_DEPTH} levels deep`);
    if (nodes > MAX_FILTER_NODES) throw new DomainError('invalid_filter', `A filter has at most ${MAX_FILTER_NODES} nodes`);
    const errors: Array<{ path: string; message: string }> = [];
    collectProblems(value, '$', errors);
    if (errors.length) {
      throw new DomainError('invalid_filter', `The filter is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
    }
    return value as Filter;
  }

  /** `?filter=` is URL-encoded JSON (the query parser has already decoded it). */
  function parseParam(raw: string): Filter {
    if (raw.length > MAX_FILTER_CHARS) throw new DomainError('invalid_filter', `A filter is at most ${MAX_FILTER_CHARS} characters`);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new DomainError('invalid_filter', 'The filter is not JSON');
    }
    return parse(value);
  }

  /** Compiles a filter that `parse`/`parseParam` returned into a condition over the table. */
  function compile(filter: Filter): SQL {
    if ('and' in filter) return and(...filter.and.map(compile))!;
    if ('or' in filter) return or(...filter.or.map(compile))!;
    if ('not' in filter) return not(compile(filter.not));
    const field = parseField(filter.field);
    if (!field) throw new DomainError('invalid_filter', `Unknown field "${filter.field}"`);
    const condition = 'column' in field ? compileColumn(field.spec, filter.op, filter.value) : compileJson(jsonPath(field.json, field.path), filter.op, filter.value);
    // Two-valued logic: a condition on a missing key is false, never NULL, so `not` is its exact complement.
    return sql`coalesce(${condition}, false)`;
  }

  return { schema, parse, parseParam, compile };
}

function compileColumn(spec: FilterColumn, op: FilterOp, value: FilterCondition['value']): SQL {
  // One code path for columns of different types: values were validated per column by `parse`.
  const { column } = spec;
  const v = (x: unknown): any => (spec.toSql ? spec.toSql(x) : x);
  switch (op) {
    case 'eq':
      return eq(column, v(value));
    case 'ne':
      return spec.nullable ? or(isNull(column), ne(column, v(value)))! : ne(column, v(value));
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
