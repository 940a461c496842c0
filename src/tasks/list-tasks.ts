import { createHash } from 'node:crypto';
import { and, asc, desc, eq, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { genericPlanHandle, type Db } from '../db/client.ts';
import { prepared } from '../db/prepared.ts';
import { cursorValue, decodeCursor, parseSort, toPage } from '../core/pagination.ts';
import { isId } from '../core/ids.ts';
import { containsPattern } from '../core/like.ts';
import { atLeast, requireRole } from '../projects/permissions.ts';
import { selfAndGroupIdsSql } from '../projects/member-reads.ts';
import { datasetFacts } from '../datasets/item-reads.ts';
import { assigneeFacts } from '../task-units/assignee-reads.ts';
import { taskRecordColumns, taskRecords as tasks } from '../task-units/task-reads.ts';
import { derivedStatusIs, projectTasksWithShards, shardSumsLateral } from '../task-units/exact-counters.ts';
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
const { hasHistory: _unused, baseStatus: _base, ...listColumns } = taskRecordColumns;

const NO_ONE = '00000000-0000-0000-0000-000000000000';
const p = (name: string) => sql.placeholder(name);

/**
 * The WHERE of a task list (also the selection of batch operations by filter), with every value
 * a placeholder: `values` fills them, and `shape` names the branches taken, so that two filters
 * with the same shape are the same statement text (see `pageStatement`). `statuses` is the row's
 * exact status count (over `sums`, which the statement must join). `assigneeBy` says how an
 * `assignee` filter reads (`assigneeReading`); `search` is what a `q` filter matches (`searchOf`).
 */
function taskFilterSql(projectId: string, f: TaskListFilter, callerId: string, statuses: SQL, assigneeBy: AssigneeReading = 'ids', search?: Search) {
  const values: Record<string, unknown> = { projectId, archived: f.archived ?? false };
  const shape: string[] = [];
  const c: Array<SQL | undefined> = [eq(tasks.projectId, p('projectId')), eq(tasks.archived, p('archived'))];
  if (search) {
    // Each branch can read an index (the name's trigrams, the primary key, the dataset's tasks),
    // so a rare term reads its few tasks (docs/workflow.md, "A search term reads the name's trigrams").
    values.like = search.like;
    if (search.id) values.qId = search.id;
    if (search.datasetIds.length) values.qDatasets = search.datasetIds;
    shape.push(`q${search.id ? '=id' : ''}${search.datasetIds.length ? '+datasets' : ''}`);
    c.push(
      or(
        sql`${tasks.name} ilike ${p('like')}`,
        search.id ? eq(tasks.id, p('qId')) : undefined,
        search.datasetIds.length ? sql`${tasks.datasetId} = any(${p('qDatasets')}::uuid[])` : undefined,
      ),
    );
  }
  if (f.status) {
    // Decides alone; `statusCandidates` (below) makes it fast.
    shape.push(`status=${f.status}`);
    values.status = f.status;
    c.push(derivedStatusIs(f.status, statuses));
  }
  if (f.workflowState) {
    shape.push('workflowState');
    values.workflowState = f.workflowState;
    c.push(eq(tasks.workflowState, p('workflowState')));
  }
  if (f.type) {
    shape.push('type');
    values.type = f.type;
    c.push(eq(tasks.type, p('type')));
  }
  if (f.priority) {
    shape.push(f.priority === 'none' ? 'priority=none' : 'priority');
    if (f.priority !== 'none') values.priority = f.priority;
    c.push(f.priority === 'none' ? isNull(tasks.priority) : eq(tasks.priority, p('priority')));
  }
  if (f.ownerId) {
    shape.push('ownerId');
    values.ownerId = f.ownerId === 'me' ? callerId : isId(f.ownerId) ? f.ownerId : NO_ONE;
    c.push(eq(tasks.ownerId, p('ownerId')));
  }
  if (f.datasetId) {
    shape.push('datasetId');
    values.datasetId = f.datasetId;
    c.push(sql`exists (select 1 from task_datasets td where td.task_id = ${tasks.id} and td.dataset_id = ${p('datasetId')}::uuid)`);
  }
  // Literal `> 0`: the partial indexes `tasks_project_{open_issues,for_review}_idx` match it.
  if (f.openIssues !== undefined) {
    shape.push(`openIssues=${f.openIssues}`);
    c.push(f.openIssues ? sql`${tasks.openIssues} > 0` : sql`${tasks.openIssues} = 0`);
  }
  if (f.forReview !== undefined) {
    shape.push(`forReview=${f.forReview}`);
    c.push(f.forReview ? sql`${tasks.forReview} > 0` : sql`${tasks.forReview} = 0`);
  }
  if (f.assignee === 'unassigned') {
    shape.push('assignee=unassigned');
    c.push(sql`not exists (select 1 from ${assigneeFacts} where assignee_facts.task_id = ${tasks.id} and assignee_facts.role = 'annotator')`);
  } else if (f.assignee) {
    values.who = assigneeOf(f.assignee, callerId);
    const who = whoAndGroups();
    if (assigneeBy === 'ids') {
      // The task ids of the person's (and their groups') assignments in the project, read on
      // `task_assignees_assignee_project_idx`, then the tasks by primary key: in id order, only
      // a page's worth of them (see `assigneeReading`).
      shape.push('assignee');
      c.push(sql`${tasks.id} = any(array(select assignee_facts.task_id from ${assigneeFacts}
        where assignee_facts.assignee_id = any(${who}) and assignee_facts.project_id = ${p('projectId')}::uuid))`);
    } else {
      shape.push('assignee~walk');
      c.push(sql`exists (select 1 from ${assigneeFacts} where assignee_facts.task_id = ${tasks.id} and assignee_facts.assignee_id = any(${who}))`);
    }
  }
  return { where: and(...c)!, values, shape: shape.join('&') };
}

type AssigneeReading = 'ids' | 'walk';

/** What a search term matches: task names like it (`like`, an ILIKE pattern), the task it names (`id`), and the tasks of the datasets named like it. */
interface Search {
  like: string;
  id?: string;
  datasetIds: string[];
}

/**
 * A `q` filter's matches, ready for the page statement: the term as an ILIKE pattern (its own
 * `%`, `_` and `\` taken literally), and the project's datasets whose name is like it, read here
 * (a project has a few) so that the page holds their ids as values. As a subquery they were a
 * hashed subplan, which no index serves, and the planner, unable to tell that it matches nothing,
 * walked the project's tasks for any term (150 ms for a rare one among 100,000).
 */
async function searchOf(db: Db, projectId: string, q: string | undefined): Promise<Search | undefined> {
  if (!q) return undefined;
  const like = containsPattern(q);
  const named = await prepared(db, 'task list: datasets named like the term', () =>
    db
      .select({ id: datasetFacts.id })
      .from(datasetFacts)
      .where(sql`dataset_facts.project_id = ${p('projectId')}::uuid and dataset_facts.name ilike ${p('like')}`)
      .prepare('loupe_task_list_search_datasets'),
  ).execute({ projectId, like });
  return { like, ...(isId(q) ? { id: q } : {}), datasetIds: named.map((d) => d.id) };
}

/** The person an `assignee` filter names (`me`: the caller; not an id: no one). */
const assigneeOf = (assignee: string, callerId: string) => (assignee === 'me' ? callerId : isId(assignee) ? assignee : NO_ONE);
/** The ids of the person `who` and of their groups in the project, as an array. */
const whoAndGroups = () => selfAndGroupIdsSql(sql`${p('who')}::uuid`, sql`${p('projectId')}::uuid`);

/** Past this many assignments in the project, a page sorted by anything but id walks its sort's index. */
const FEW_ASSIGNMENTS = 2000;

/**
 * How a page with an `assignee` filter finds its tasks (docs/workflow.md, "An assignee filter").
 * - `ids`: the person's task ids first, then those tasks. In id order (the default sort) the
 *   primary key returns them in order and the page reads a page's worth, whoever the person is.
 *   In another order every one of their tasks is read and sorted: right for a person with a few
 *   hundred, not for one with 10,000 (30 ms).
 * - `walk`: the sort's index, each task probed for the assignment, until a page is found: about
 *   `page size ÷ share of the project's tasks that are theirs` probes. Right for a person with
 *   many tasks; for one with three it reads the whole project (110 ms at 100,000 tasks).
 * So `ids` in id order; otherwise the count of their assignments in the project decides (one
 * index-only read, stopped at `FEW_ASSIGNMENTS`).
 */
async function assigneeReading(ctx: Ctx, projectId: string, f: TaskListFilter, callerId: string, field: SortField): Promise<AssigneeReading> {
  if (!f.assignee || f.assignee === 'unassigned' || field === 'createdAt') return 'ids';
  const who = assigneeOf(f.assignee, callerId);
  const [row] = await prepared(ctx.db, 'task list: assignments of the assignee', () =>
    ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(
        ctx.db
          .select({ one: sql`1` })
          .from(assigneeFacts)
          .where(sql`assignee_facts.assignee_id = any(${whoAndGroups()}) and assignee_facts.project_id = ${p('projectId')}::uuid`)
          .limit(FEW_ASSIGNMENTS)
          .as('few'),
      )
      .prepare('loupe_task_list_assignments'),
  ).execute({ who, projectId });
  return Number(row?.n ?? 0) < FEW_ASSIGNMENTS ? 'ids' : 'walk';
}

/** The sums of the row's counter shards, joined once per row, and its exact status count (base plus shards). */
const sums = shardSumsLateral();
const statuses = sql<number>`(${tasks.statusCount} + ${sums.statuses})`;

/**
 * The tasks a `status` filter can match, as a condition on the enclosing row that the primary key
 * serves (docs/workflow.md, "A status filter reads an index"): the first `limit` rows in list
 * order (`order`) of two sets, each read on an index whatever the planner believes of the
 * project.
 * - `a`: tasks whose base status is the status, on `tasks_project_status*_idx` in list order.
 * - tasks of the project with counter shards (written since the last fold) whose base status is
 *   another, on `task_counter_shards_project_idx`. In id order (`byId`, the default sort), when
 *   `a` is a full page, only those up to its last row can be on the page, so only those are read:
 *   a common status then reads a page, not every task written in the last minute.
 * A task without shards has its base as its exact counters, so no match is left out; `where`
 * (with `derivedStatusIs`) still decides in both sets and again on the page.
 */
function statusCandidates(db: Db, where: SQL, order: SQL[], byId?: 'asc' | 'desc') {
  const branch = (base: SQL) => db.select({ id: tasks.id }).from(tasks).crossJoinLateral(sums).where(and(where, base)).orderBy(...order).limit(p('limit'));
  const indexed = branch(sql`${tasks.baseStatus} = ${p('status')}`);
  const upTo = byId
    ? sql`((select count(*) from a) < ${p('limit')} or cs.task_id ${sql.raw(byId === 'asc' ? '<= (select a.id from a order by a.id desc limit 1)' : '>= (select a.id from a order by a.id limit 1)')})`
    : undefined;
  const sharded = branch(sql`${tasks.baseStatus} <> ${p('status')} and ${tasks.id} = any(${projectTasksWithShards(sql`${p('projectId')}::uuid`, upTo)})`);
  return sql`${tasks.id} = any(array(with a as (${indexed}) select a.id from a union all (${sharded})))`;
}

/** Task ids matching a filter, for batch operations (at most `max`). */
export async function taskIdsMatching(db: Db, projectId: string, f: TaskListFilter, callerId: string, max = 1000) {
  const filter = taskFilterSql(projectId, f, callerId, statuses, 'ids', await searchOf(db, projectId, f.q));
  const order = [asc(tasks.id)];
  const where = f.status ? and(filter.where, statusCandidates(db, filter.where, order, 'asc')) : filter.where;
  const rows = await db.select({ id: tasks.id }).from(tasks).crossJoinLateral(sums).where(where).orderBy(...order).limit(max).execute({ ...filter.values, limit: max });
  return rows.map((r) => r.id);
}

/**
 * The page statement of one list shape (filters taken, sort, cursor or not): the row with its
 * exact counters and the ETA's input (a per-row subquery), every value a placeholder. Built once
 * per shape and database handle and kept (`prepared`): building it was a tenth of a list
 * request's time (drizzle walks some 40 columns). Unnamed (`name` ''), PostgreSQL plans each
 * execution for its own values; named, on `genericPlanDb`, once per connection (`listTasks`).
 */
function pageStatement(db: Db, field: SortField, descending: boolean, withCursor: boolean, filter: SQL, byStatus: boolean, name: string) {
  const key = sortKey[field];
  const conditions = [filter];
  if (withCursor) {
    const v = field === 'priority' ? sql`${p('after')}::smallint` : field === 'createdAt' ? sql`${p('after')}::uuid` : field === 'name' ? sql`${p('after')}` : sql`${p('after')}::timestamptz`;
    conditions.push(descending ? sql`(${key}, ${tasks.id}) < (${v}, ${p('afterId')}::uuid)` : sql`(${key}, ${tasks.id}) > (${v}, ${p('afterId')}::uuid)`);
  }
  const order = descending ? [desc(key as SQL), desc(tasks.id)] : [asc(key as SQL), asc(tasks.id)];
  if (byStatus) conditions.push(statusCandidates(db, and(...conditions)!, order, field === 'createdAt' ? (descending ? 'desc' : 'asc') : undefined));
  return db
    .select({
      ...listColumns,
      statusCount: sql<number>`${statuses}::int`,
      doneCount: sql<number>`(${tasks.doneCount} + ${sums.done})::int`,
      recent: recentDoneSql(p('since')),
    })
    .from(tasks)
    .crossJoinLateral(sums)
    .where(and(...conditions))
    .orderBy(...order)
    .limit(p('limit'))
    .prepare(name);
}

/**
 * The list shapes whose page is planned once for any values (docs/workflow.md, "A list page is
 * planned once"):
 * - no filter but archived, or a status filter alone, in any sort and page: each reads its sort's
 *   index (with a status, the base-status index in that order and the project's tasks with
 *   shards) whatever the project, status or cursor;
 * - a type, a workflow state, or `openIssues`/`forReview` alone, in the default order (either
 *   direction): the first two read `(project, archived, type | state, id)` in that order, which
 *   is cheaper than any other path for any value, the others have no value to plan for;
 * - an assignee alone, in the default order: the person's task ids come from a subquery whose
 *   result no plan can know, and the primary key returns them in order (`assigneeReading`).
 * A generic plan is then the plan a custom one would be, without the planning: a status page
 * planned for 0.8–1.2 ms and ran in 0.7. Every other shape keeps a plan made for its values:
 * which index serves an owner, a dataset, an assignee, a search term, or a type in name order,
 * depends on how many tasks match it.
 */
const plannedOnce = (shape: string, field: SortField) =>
  shape === '' || /^status=[a-z_]+$/.test(shape) || (field === 'createdAt' && /^(type|workflowState|assignee|openIssues=(true|false)|forReview=(true|false))$/.test(shape));
const statementName = (shape: string) => `loupe_task_list_${createHash('sha1').update(shape).digest('hex').slice(0, 24)}`;

/**
 * The project's tasks with every filter of docs/workflow.md (Task lists), sorted and keyset-paginated (`sort` by
 * createdAt, name, priority, dueDate or updatedAt, `-` for descending). Archived tasks appear
 * only with `archived=true`. Progress comes from counters and hourly buckets: items are never read.
 */
export async function listTasks(ctx: Ctx, caller: Caller, projectId: string, query: ListTasksQuery) {
  const role = await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const { field, desc: descending } = parseSort(query.sort, sortFields, 'createdAt');
  const filter = taskFilterSql(projectId, query, caller.userId, statuses, await assigneeReading(ctx, projectId, query, caller.userId, field), await searchOf(ctx.db, projectId, query.q));
  const now = ctx.clock.now();
  const values: Record<string, unknown> = { ...filter.values, since: rateWindowStart(now), limit: query.limit + 1 };
  if (query.cursor) {
    const [raw, id] = decodeCursor(query.cursor, 2);
    const value = field === 'name' ? raw : cursorValue(raw, field === 'priority' ? 'number' : field === 'createdAt' ? 'id' : 'timestamp');
    values.after = field === 'priority' ? Number(value) : String(value);
    values.afterId = String(id);
  }
  const shape = `task list: ${field}${descending ? ' desc' : ''}${query.cursor ? ' after' : ''}?${filter.shape}`;
  const once = plannedOnce(filter.shape, field);
  const db = once ? genericPlanHandle(ctx.db, ctx.genericPlanDb) : ctx.db;
  const rows = await prepared(db, shape, () => pageStatement(db, field, descending, Boolean(query.cursor), filter.where, Boolean(query.status), once ? statementName(shape) : ''), { named: once }).execute(values);
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

