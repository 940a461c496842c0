import { describe, expect, it } from 'vitest';
import { PgDialect } from 'drizzle-orm/pg-core';
import { MAX_FILTER_DEPTH, MAX_IN_VALUES } from '../core/filter.ts';
import { compileItemFilter, parseFilterParam, parseItemFilter } from './item-filter.ts';
import { DomainError } from '../core/errors.ts';

const refusal = (raw: unknown) => {
  try {
    typeof raw === 'string' ? parseFilterParam(raw) : parseItemFilter(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe('invalid_filter');
    return (e as DomainError).message;
  }
  throw new Error('expected a refusal');
};

const nest = (depth: number): unknown => (depth <= 1 ? { field: 'kind', op: 'eq', value: 'text' } : { not: nest(depth - 1) });

describe('parseItemFilter', () => {
  it('accepts every operator on a JSON field and nested and/or/not', () => {
    const filter = {
      and: [
        { field: 'metadata.lang', op: 'eq', value: 'en' },
        { field: 'metadata.lang', op: 'ne', value: 'de' },
        { field: 'metadata.n', op: 'in', value: [1, 2] },
        { field: 'metadata.n', op: 'nin', value: [3] },
        { or: [{ field: 'metadata.n', op: 'gt', value: 0 }, { field: 'metadata.n', op: 'gte', value: 0 }] },
        { not: { field: 'metadata.n', op: 'lt', value: 0 } },
        { field: 'metadata.n', op: 'lte', value: 10 },
        { field: 'payload.text', op: 'contains', value: 'hello' },
        { field: 'metadata.a.b', op: 'exists', value: true },
      ],
    };
    expect(parseItemFilter(filter)).toEqual(filter);
  });

  it('refuses text that is not JSON', () => expect(refusal('{nope')).toContain('not JSON'));
  it('refuses an unknown field', () => expect(refusal({ field: 'password', op: 'eq', value: 'x' })).toContain('Unknown field'));
  it('refuses an unknown operator', () => expect(refusal({ field: 'kind', op: 'like', value: 'x' })).toContain('op'));
  it('refuses a JSON key outside the identifier pattern', () => {
    expect(refusal({ field: "metadata.a'); drop table items; --", op: 'eq', value: 1 })).toContain('Unknown field');
    expect(refusal({ field: 'metadata.', op: 'eq', value: 1 })).toContain('Unknown field');
    expect(refusal({ field: 'metadata.a.b.c.d.e', op: 'eq', value: 1 })).toContain('Unknown field');
  });
  it('refuses an operator the field does not take', () => {
    expect(refusal({ field: 'draft', op: 'gt', value: true })).toContain('does not take');
    expect(refusal({ field: 'kind', op: 'contains', value: 'te' })).toContain('does not take');
  });
  it('refuses values of the wrong type for the field', () => {
    expect(refusal({ field: 'id', op: 'eq', value: 'not-a-uuid' })).toContain('UUID');
    expect(refusal({ field: 'kind', op: 'eq', value: 'video' })).toContain('kind is one of');
    expect(refusal({ field: 'draft', op: 'eq', value: 'yes' })).toContain('true or false');
    expect(refusal({ field: 'createdAt', op: 'gt', value: 'yesterday' })).toContain('ISO 8601');
    expect(refusal({ field: 'metadata.x', op: 'eq', value: { $gt: 1 } })).toContain('values are');
    expect(refusal({ field: 'metadata.x', op: 'gt', value: true })).toContain('compares numbers or strings');
    expect(refusal({ field: 'metadata.x', op: 'exists', value: 'yes' })).toContain('true or false');
  });
  it('refuses in/nin without a non-empty list, and single-value ops with a list', () => {
    expect(refusal({ field: 'kind', op: 'in', value: 'text' })).toContain('non-empty array');
    expect(refusal({ field: 'kind', op: 'nin', value: [] })).toContain('non-empty array');
    expect(refusal({ field: 'kind', op: 'eq', value: ['text'] })).toContain('one value');
  });
  it(`refuses an in list longer than ${MAX_IN_VALUES}`, () => {
    expect(refusal({ field: 'metadata.n', op: 'in', value: Array.from({ length: MAX_IN_VALUES + 1 }, (_, i) => i) })).toContain(`at most ${MAX_IN_VALUES}`);
  });
  it(`refuses nesting deeper than ${MAX_FILTER_DEPTH}`, () => {
    expect(parseItemFilter(nest(MAX_FILTER_DEPTH))).toBeTruthy();
    expect(refusal(nest(MAX_FILTER_DEPTH + 1))).toContain('levels deep');
    const leaf = JSON.stringify({ field: 'kind', op: 'eq', value: 'text' });
    expect(refusal('{"not":'.repeat(1700) + leaf + '}'.repeat(1700))).toContain('levels deep');
    expect(refusal('{"not":'.repeat(5000) + leaf + '}'.repeat(5000))).toContain('characters');
  });
  it('refuses too many nodes', () => {
    expect(refusal({ or: Array.from({ length: 120 }, () => ({ field: 'kind', op: 'eq', value: 'text' })) })).toContain('nodes');
  });
  it('refuses malformed trees: empty groups, extra keys, mixed groups, non-objects', () => {
    expect(refusal({ and: [] })).toContain('non-empty array');
    expect(refusal({ field: 'kind', op: 'eq', value: 'text', extra: 1 })).toBeTruthy();
    expect(refusal({ and: [{ field: 'kind', op: 'eq', value: 'text' }], or: [] })).toContain('stands alone');
    expect(refusal([])).toContain('expected an object');
    expect(refusal({})).toBeTruthy();
  });
});

describe('compileItemFilter', () => {
  const dialect = new PgDialect();
  it('binds every value and key as a parameter, never splicing them into the SQL text', () => {
    const evil = "x'); drop table items; --";
    const query = dialect.sqlToQuery(
      compileItemFilter(
        parseItemFilter({
          or: [
            { field: 'externalId', op: 'eq', value: evil },
            { field: 'metadata.note', op: 'contains', value: evil },
            { field: 'payload.text', op: 'in', value: [evil, 'b'] },
          ],
        }),
      ),
    );
    expect(query.sql).not.toContain('drop table');
    expect(query.sql).not.toContain('note');
    expect(query.params).toContain(evil);
    expect(query.params).toContain('note');
    expect(query.params).toContain(JSON.stringify(evil));
  });
});

describe('NUL characters', () => {
  it('refuses a filter value holding U+0000 with invalid_filter, before any SQL', () => {
    expect(() => parseItemFilter({ field: 'metadata.lang', op: 'eq', value: 'a\u0000b' })).toThrow(/NUL/);
    expect(() => parseItemFilter({ field: 'metadata.lang', op: 'in', value: ['x', '\u0000'] })).toThrow(/NUL/);
  });
});
