import { z } from 'zod';
import { DomainError } from './errors.ts';
import { isId } from './ids.ts';

/** `?limit=` (default 50, max 500) and an opaque `?cursor=`, shared by every list route. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2000).optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** The list envelope: `{ data, nextCursor }`, `nextCursor` null on the last page. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

/**
 * Cursors are the keyset position of the last row served (the sort key values and the id),
 * base64url-encoded JSON: opaque to callers, cheap to decode, and never an OFFSET.
 */
export function encodeCursor(position: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

const badCursor = () => new DomainError('invalid_cursor', 'The cursor is not one this list issued');

/** What the last value of a position is: a row id (UUID), a sequence number, or a hex id (OTLP trace/span ids). */
export type CursorKey = 'id' | 'number' | 'hex';

const keyOk: Record<CursorKey, (v: unknown) => boolean> = {
  id: (v) => typeof v === 'string' && isId(v),
  number: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  hex: (v) => typeof v === 'string' && /^[0-9a-f]{1,64}$/.test(v),
};

/**
 * Every position ends with a row key (a UUID unless `key` says otherwise); the values before it
 * are finite numbers or short strings. Anything else is refused here (400), before it could
 * reach a SQL cast (500).
 */
export function decodeCursor(cursor: string, arity: number, key: CursorKey = 'id'): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(value) || value.length !== arity) throw badCursor();
  if (!keyOk[key](value[arity - 1])) throw badCursor();
  for (const v of value.slice(0, -1)) {
    if (!(typeof v === 'number' && Number.isFinite(v)) && !(typeof v === 'string' && v.length <= 1000)) throw badCursor();
  }
  return value;
}

/** A cursor value that must be a number, an id or a timestamp (`infinity` included): 400 otherwise. */
export function cursorValue(value: unknown, kind: 'number' | 'id' | 'timestamp'): unknown {
  const ok =
    kind === 'number'
      ? typeof value === 'number' && Number.isFinite(value)
      : kind === 'id'
        ? typeof value === 'string' && isId(value)
        : typeof value === 'string' && (value === 'infinity' || !Number.isNaN(Date.parse(value)));
  if (!ok) throw badCursor();
  return value;
}

/**
 * Takes `limit + 1` rows fetched by the caller and turns them into a page: the extra row only
 * tells whether there is a next page.
 */
export function toPage<T>(rows: T[], limit: number, position: (row: T) => unknown[]) {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, nextCursor: hasMore && last ? encodeCursor(position(last)) : null };
}

/** `?sort=field` or `-field`, restricted to the fields a list allows. */
export function parseSort<F extends string>(value: string | undefined, allowed: readonly F[], fallback: F) {
  if (!value) return { field: fallback, desc: false };
  const desc = value.startsWith('-');
  const field = (desc ? value.slice(1) : value) as F;
  if (!allowed.includes(field)) {
    throw new DomainError('invalid_request', `Cannot sort by "${value}"`, { allowed });
  }
  return { field, desc };
}
