import { describe, expect, it } from 'vitest';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { PgDialect, QueryBuilder } from 'drizzle-orm/pg-core';
import { compileSql } from '../../src/db/named-statement.ts';
import { auditInsert } from '../../src/audit/audit.service.ts';
import { eventInsert } from '../../src/outbox/outbox.service.ts';
import { statusCounterCtes } from '../../src/task-units/task-counters.ts';
import { tasks } from '../../src/task-units/tasks.table.ts';
import { taskItems } from '../../src/task-units/task-items.table.ts';

/**
 * `compileSql` (src/db/named-statement.ts) compiles the hot writes' statements in one pass: its
 * text and parameters must be drizzle's, byte for byte, and it must hand back (null) whatever
 * it does not know rather than compile it differently.
 */
const dialect = new PgDialect();
const same = (query: SQL) => {
  const fast = compileSql(query);
  expect(fast).not.toBeNull();
  const { sql: text, params } = dialect.sqlToQuery(query); // (its `typings` are for drivers other than ours)
  expect(fast).toEqual({ sql: text, params });
};

const at = new Date('2026-12-01T01:02:03.456Z');
const taskId = '01900000-0000-7000-8000-000000000001';
const projectId = '01900000-0000-7000-8000-000000000002';

describe('compileSql', () => {
  it('compiles the status write’s parts as drizzle does', () => {
    const audit = auditInsert(
      { projectId, actorId: taskId, action: 'task_item.status_set', subjectKind: 'task_item', subjectId: taskId, before: { status: null }, after: { status: 'completed', taskId } },
      at,
    );
    const event = eventInsert({ projectId, type: 'item.status_set', subjectKind: 'task_item', subjectId: taskId, actorId: null, recipientIds: [projectId, taskId], data: { taskId, copy: 0, done: true } }, at);
    const counters = statusCounterCtes({ id: taskId, projectId }, null, at, { statuses: 1, done: 1 }, 7, true);
    same(audit);
    same(event);
    for (const c of counters) same(c);
    // Put together the way the status write puts them: nested, joined, with raw names.
    same(sql`with u as (update task_items set status = ${'completed'}, done = ${true}, started_at = ${at.toISOString()}::timestamptz, worker_id = ${null}::uuid
      where id = ${taskId}::uuid and xmin = ${'1234'}::xid returning 1), a as (${audit}), e as (${event})${sql.join(counters.map((c) => sql`, ${c}`))}
      select loupe_refuse(case when not exists (select 1 from u) then 'changed' end) from (select ${sql.join([sql`1 as one`, sql`(select 2) as ${sql.raw('p0')}`], sql`, `)}) s`);
  });

  it('compiles tables, columns, identifiers, aliased fields, typed parameters and values', () => {
    same(sql`select ${tasks.id}, ${tasks.name} from ${tasks} where ${eq(tasks.projectId, projectId)} and ${tasks.archived} = ${false}`);
    same(sql`select ${sql.identifier('we"ird')} from ${taskItems} where ${and(eq(taskItems.taskId, taskId), eq(taskItems.copy, 0))}`);
    same(sql`select ${sql`count(*)`.as('n')}, ${at}, ${42}, ${1.5}, ${null}, ${undefined}, ${'it’s'}`);
    // A jsonb column's encoder turns the object into text, as drizzle sends it.
    same(sql`update ${tasks} set ${sql.identifier('allocation')} = ${sql.param({ method: 'pulling' }, tasks.allocation)} where ${tasks.id} = ${taskId}`);
    // Subqueries as tables and `with` names (the listeners' prefetch parts use them).
    const qb = new QueryBuilder();
    const sub = qb.select({ id: tasks.id }).from(tasks).where(eq(tasks.projectId, projectId)).as('sub');
    const w = qb.$with('w').as(qb.select({ id: tasks.id }).from(tasks).where(eq(tasks.name, 'x')));
    same(sql`select * from ${sub} join ${w} on true where ${1} = ${2}`);
    // The numbering carries through nesting.
    const inner = sql`${1} + ${2}`;
    same(sql`select ${inner}, ${sql`(${inner}) * ${3}`}, ${sql.join([sql`${4}`, sql`${5}`], sql`, `)}`);
  });

  it('leaves to drizzle what it does not compile', () => {
    expect(compileSql(sql`select ${sql.placeholder('x')}`)).toBeNull();
    expect(compileSql(sql`select ${'a'}`.inlineParams())).toBeNull();
    expect(compileSql(sql`select 1 where ${inArray(tasks.id, [taskId, projectId])}`)).toBeNull();
    expect(compileSql(sql`select ${[1, 2]}`)).toBeNull();
  });
});
