import { and, asc, desc, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { cursorValue, decodeCursor, parseSort, toPage } from '../core/pagination.ts';
import { isId } from '../core/ids.ts';
import { atLeast, requireRole } from '../projects/permissions.ts';
import { groupIdsOfSql } from '../projects/member-reads.ts';
import { datasetFacts } from '../datasets/item-reads.ts';
import { assigneeFacts } from '../task-units/assignee-reads.ts';
import { taskRecordColumns, taskRecords as tasks } from '../task-units/task-reads.ts';
import { derivedStatusIs, exactStatusCount, shardSumsLateral } from '../task-units/exact-counters.ts';
import { rateWindowStart, recentDoneSql, taskView } from './task-view.ts';
import type { ListTasksQuery, TaskListFilter } from './tasks.schema.ts';

const sortFields = ['createdAt', 'name', 'priority', 'dueDate', 'updatedAt'] as const;
type SortField = (typeof sortFields)[number];

/** Each sort key matches an index `(project_id, archived, <key>, id)`. */
const sortKey: Record<SortField, SQL | typeof tasks.id> = {
  createdAt: tasks.id,
  name: sql`${tasks.name}`,
  priority: sql`${tasks.priorityRank}`,
  dueDate: sql`coalesce(${tasks.dueDate}, 'infinity'::timestamptz)`,
  updatedAt: sql`${tasks.updatedAt}`,
};

/** What a list row reads of the task row: everything the API shows, and the sort keys. */
const { hasHistory: _unused, ...listColumns } = taskRecordColumns;

/**
 * The WHERE of a task list (also the selection of batch operations by filter). `statuses` is the
 * row's exact status count (the list passes the sum it joins once per row; see `shardSumsLateral`).
 */
export function taskFilterSql(projectId: string, f: TaskListFilter, callerId: string, statuses: SQL = exactStatusCount()): SQL {
  const c: Array<SQL | undefined> = [eq(tasks.projectId, projectId), eq(tasks.archived, f.archived ?? false)];
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    c.push(
      or(
        sql`${tasks.name} ilike ${like}`,
        isId(f.q) ? eq(tasks.id, f.q) : undefined,
        sql`exists (select 1 from ${datasetFacts} where dataset_facts.id = ${tasks.datasetId} and dataset_facts.name ilike ${like})`,
      ),
    );
  }
  if (f.status) c.push(derivedStatusIs(f.status, statuses));
  if (f.workflowState) c.push(eq(tasks.workflowState, f.workflowState));
  if (f.type) c.push(eq(tasks.type, f.type));
  if (f.priority) c.push(f.priority === 'none' ? isNull(tasks.priority) : eq(tasks.priority, f.priority));
  if (f.ownerId) c.push(eq(tasks.ownerId, f.ownerId === 'me' ? callerId : isId(f.ownerId) ? f.ownerId : '00000000-0000-0000-0000-000000000000'));
  if (f.datasetId) c.push(sql`exists (select 1 from task_datasets td where td.task_id = ${tasks.id} and td.dataset_id = ${f.datasetId}::uuid)`);
  // Literal `> 0`: the partial indexes `tasks_project_{open_issues,for_review}_idx` match it.
  if (f.openIssues !== undefined) c.push(f.openIssues ? sql`${tasks.openIssues} > 0` : sql`${tasks.openIssues} = 0`);
  if (f.forReview !== undefined) c.push(f.forReview ? sql`${tasks.forReview} > 0` : sql`${tasks.forReview} = 0`);
  if (f.assignee === 'unassigned') {
    c.push(sql`not exists (select 1 from ${assigneeFacts} where assignee_facts.task_id = ${tasks.id} and assignee_facts.role = 'annotator')`);
  } else if (f.assignee) {
    const who = f.assignee === 'me' ? callerId : isId(f.assignee) ? f.assignee : '00000000-0000-0000-0000-000000000000';
    c.push(sql`exists (select 1 from ${assigneeFacts} where assignee_facts.task_id = ${tasks.id}
      and (assignee_facts.assignee_id = ${who}::uuid or assignee_facts.assignee_id in ${groupIdsOfSql(sql`${who}::uuid`, sql`${projectId}::uuid`)}))`);
  }
  return and(...c)!;
}

/** Task ids matching a filter, for batch operations (at most `max`). */
export async function taskIdsMatching(db: Db, projectId: string, f: TaskListFilter, callerId: string, max = 1000) {
  const sums = shardSumsLateral();
  const rows = await db
    .select({ id: tasks.id })
    .from(tasks)
    .crossJoinLateral(sums)
    .where(taskFilterSql(projectId, f, callerId, sql`(${tasks.statusCount} + ${sums.statuses})`))
    .orderBy(asc(tasks.id))
    .limit(max);
  return rows.map((r) => r.id);
}

/**
 * The project's tasks with every filter of docs/workflow.md (Task lists), sorted and keyset-paginated (`sort` by
 * createdAt, name, priority, dueDate or updatedAt, `-` for descending). Archived tasks appear
 * only with `archived=true`. Progress comes from counters and hourly buckets: items are never read.
 */
export async function listTasks(ctx: Ctx, caller: Caller, projectId: string, query: ListTasksQuery) {
  const role = await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const { field, desc: descending } = parseSort(query.sort, sortFields, 'createdAt');
  const key = sortKey[field];
  // The shards' sums, joined once per row: the exact counters shown and the status filter.
  const sums = shardSumsLateral();
  const statuses = sql<number>`(${tasks.statusCount} + ${sums.statuses})`;
  const conditions = [taskFilterSql(projectId, query, caller.userId, statuses)];
  if (query.cursor) {
    const [raw, id] = decodeCursor(query.cursor, 2);
    const value = field === 'name' ? raw : cursorValue(raw, field === 'priority' ? 'number' : field === 'createdAt' ? 'id' : 'timestamp');
    const v = field === 'priority' ? sql`${Number(value)}` : field === 'createdAt' ? sql`${String(value)}::uuid` : field === 'name' ? sql`${String(value)}` : sql`${String(value)}::timestamptz`;
    conditions.push(descending ? sql`(${key}, ${tasks.id}) < (${v}, ${String(id)}::uuid)` : sql`(${key}, ${tasks.id}) > (${v}, ${String(id)}::uuid)`);
  }
  const order = descending ? [desc(key as SQL), desc(tasks.id)] : [asc(key as SQL), asc(tasks.id)];
  const now = ctx.clock.now();
  // The ETA's input rides on each row as a subquery: one statement for the page.
  const rows = await ctx.db
    .select({
      ...listColumns,
      statusCount: sql<number>`${statuses}::int`,
      doneCount: sql<number>`(${tasks.doneCount} + ${sums.done})::int`,
      recent: recentDoneSql(rateWindowStart(now)),
    })
    .from(tasks)
    .crossJoinLateral(sums)
    .where(and(...conditions))
    .orderBy(...order)
    .limit(query.limit + 1);
  const position = (t: (typeof rows)[number]): unknown[] => {
    switch (field) {
      case 'createdAt':
        return [t.id, t.id];
      case 'name':
        return [t.name, t.id];
      case 'priority':
        return [t.priorityRank, t.id];
      case 'dueDate':
        return [t.dueDate ? t.dueDate.toISOString() : 'infinity', t.id];
      case 'updatedAt':
        return [t.updatedAt.toISOString(), t.id];
    }
  };
  const page = toPage(rows, query.limit, position);
  return { data: page.data.map((t) => taskView(t, t.recent, now, undefined, atLeast(role, 'manager'))), nextCursor: page.nextCursor };
}

