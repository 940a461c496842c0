/**
 * CPU per call of the JavaScript steps of hot requests, in a loop in one process: nothing else
 * runs, so no sample lands on a step while PostgreSQL holds the core (the trap of CPU profiles
 * of the HTTP runs on a shared 2-core machine, docs/benchmarks.md). Builds and compiles a
 * status write's statement (drizzle's compiler against `compileSql`), and maps a 51-row page
 * (drizzle's mapper against the one `prepared` statements get).
 * Usage: `npx tsx bench/hot-path-micro.ts`.
 */
import { getTableColumns, sql } from 'drizzle-orm';
import { PgDialect, QueryBuilder } from 'drizzle-orm/pg-core';
import { prepared } from '../src/db/prepared.ts';
import * as drizzleUtils from 'drizzle-orm/utils';
import { compileSql } from '../src/db/named-statement.ts';
import { auditInsert } from '../src/audit/audit.service.ts';
import { eventInsert } from '../src/outbox/outbox.service.ts';
import { statusCounterCtes } from '../src/task-units/task-counters.ts';
import { tasks } from '../src/task-units/tasks.table.ts';

const dialect = new PgDialect();
/** drizzle's own row mapper (exported by its module, left out of its types). */
const { mapResultRow } = drizzleUtils as unknown as { mapResultRow: (fields: { path: string[]; field: unknown }[], row: unknown[], joins: undefined) => unknown };
const at = new Date();
const id = '01900000-0000-7000-8000-000000000001';
const build = () => {
  const audit = auditInsert({ projectId: id, actorId: id, action: 'task_item.status_set', subjectKind: 'task_item', subjectId: id, before: { status: null }, after: { status: 'completed', taskId: id } }, at);
  const event = eventInsert({ projectId: id, type: 'item.status_set', subjectKind: 'task_item', subjectId: id, actorId: id, data: { taskId: id, copy: 0, done: true } }, at);
  const counters = statusCounterCtes({ id, projectId: id }, id, at, { statuses: 1, done: 1 }, 7, false);
  return sql`with u as (update task_items set status = ${'completed'}, done = ${true}, status_by = ${id}::uuid, worker_id = ${id}::uuid, started_at = ${at.toISOString()}::timestamptz, finished_at = ${at.toISOString()}::timestamptz, lease_expires_at = ${null}::timestamptz
      where id = ${id}::uuid and xmin = ${'1234'}::xid returning 1), a as (${audit}), e as (${event})${sql.join(counters.map((c) => sql`, ${c}`))}
      select loupe_refuse(case when not exists (select 1 from u) then 'changed' end) from (select ${sql.join([sql`1 as one`], sql`, `)}) s`;
};
const time = (name: string, n: number, fn: () => void) => {
  for (let i = 0; i < n; i++) fn();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const c = process.cpuUsage(cpu0);
  console.log(`${name}: ${((c.user + c.system) / n).toFixed(1)} µs CPU per call`);
};
const q = build();
console.log('chars', dialect.sqlToQuery(q).sql.length, 'params', dialect.sqlToQuery(q).params.length);
time('build', 20000, build);
time('drizzle compile', 20000, () => dialect.sqlToQuery(q));
time('compileSql', 20000, () => compileSql(q));

// Row mapping: a task list page, 51 rows of every column of a task, as the driver hands them over.
const fields = Object.entries(getTableColumns(tasks)).map(([k, column]) => ({ path: [k], field: column }));
const driverValue = (type: string) =>
  type === 'PgTimestamp' ? '2026-12-01 00:00:00.123+00' : type === 'PgJsonb' ? { method: 'pulling' } : type === 'PgInteger' || type === 'PgSmallInt' ? 3 : type === 'PgBoolean' ? false : 'x';
const row = fields.map(({ field }) => driverValue(field.columnType));
const rows = Array.from({ length: 51 }, () => [...row]);
console.log('columns', fields.length);
time('drizzle map 51 rows', 5000, () => rows.map((r) => mapResultRow(fields, r, undefined)));
// A kept statement gets its mapper from `prepared` (any object with `fields` stands in for it).
const kept = prepared({} as Parameters<typeof prepared>[0], 'micro', () => ({ fields, customResultMapper: undefined as undefined | ((rows: unknown[][]) => unknown) }));
time('kept mapper 51 rows', 5000, () => kept.customResultMapper!(rows));
