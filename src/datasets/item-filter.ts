import { z } from 'zod';
import { filterLanguage, filterOps, isIsoDateTime, type Filter } from '../core/filter.ts';
import { isId } from '../core/ids.ts';
import { itemKinds, items } from './datasets.table.ts';

/**
 * The item filter language (see `core/filter.ts` and docs/filters.md): item lists, "add items to
 * a task", task creation by filter and workload sampling. Columns `id`, `externalId`, `kind`,
 * `draft`, `createdAt`, `updatedAt`; JSON keys under `metadata.` and `payload.`.
 */
const itemFilters = filterLanguage({
  columns: {
    id: { column: items.id, ops: ['eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte'], accepts: (v) => typeof v === 'string' && isId(v), expects: 'ids are UUID strings' },
    externalId: { column: items.externalId, ops: filterOps, accepts: (v) => typeof v === 'string' && v.length <= 1000, expects: 'externalId values are strings', nullable: true },
    kind: { column: items.kind, ops: ['eq', 'ne', 'in', 'nin'], accepts: (v) => typeof v === 'string' && (itemKinds as readonly string[]).includes(v), expects: `kind is one of ${itemKinds.join(', ')}` },
    draft: { column: items.draft, ops: ['eq', 'ne'], accepts: (v) => typeof v === 'boolean', expects: 'draft is true or false' },
    createdAt: { column: items.createdAt, ops: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'], accepts: isIsoDateTime, expects: 'dates are ISO 8601 strings with a time zone', toSql: (v) => new Date(v as string) },
    updatedAt: { column: items.updatedAt, ops: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'], accepts: isIsoDateTime, expects: 'dates are ISO 8601 strings with a time zone', toSql: (v) => new Date(v as string) },
  },
  json: { metadata: items.metadata, payload: items.payload },
});

export type ItemFilter = Filter;
/** The zod schema of an item filter tree. */
export const itemFilterSchema = itemFilters.schema;
/** Validates an item filter from a body or a parsed query (400 `invalid_filter` naming each problem). */
export const parseItemFilter = itemFilters.parse;
/** `?filter=`: URL-encoded JSON (the query parser has already decoded it). */
export const parseFilterParam = itemFilters.parseParam;
/** A condition over `items` from what `parseItemFilter`/`parseFilterParam` returned. */
export const compileItemFilter = itemFilters.compile;

/**
 * The `filter` field of request bodies. It is checked by `parseItemFilter` in the service, not by
 * the body schema, so that a bad filter answers 400 `invalid_filter` (as in `?filter=`) rather
 * than a generic `invalid_request`.
 */
export const itemFilterField = z
  .unknown()
  .describe('An item filter: a JSON tree of and/or/not over {field, op, value} conditions (see docs/filters.md)');
