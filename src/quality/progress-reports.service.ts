import { sql, type SQL } from 'drizzle-orm';
import { exactDoneCount, exactStatusCount, taskWideDoneSince } from '../task-units/exact-counters.ts';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { DomainError } from '../core/errors.ts';
import { requireRole } from '../projects/permissions.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import { progressOf } from '../tasks/task-view.ts';
import { scoreOnValidAnswers } from '../annotations/invalidate.ts';

export type ReportLevel = 'personal' | 'team' | 'project';
export interface ReportQuery {
  level: ReportLevel;
  /** The recent window pace and speed are measured over, in days (default 7). */
  windowDays: number;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const int = (v: unknown) => Number(v ?? 0);
const share = (a: number, b: number) => (b ? a / b : null);
const rows = async <T>(db: Db, query: SQL) => rowsOf<T>(await db.execute(query));

/**
 * The project's live work tasks: not archived, not tickets (tickets have no items), as a CTE
 * named `pt`. Review tasks are included: reviewing is work too.
 */
const projectTasks = (projectId: string) => sql`pt as (select id, name, type from tasks where project_id = ${projectId}::uuid and not archived and type <> 'ticket')`;

/**
 * Per unit of the project's tasks, whether it was reviewed and passed (the analytics' first-pass
 * rule: reviewed = it has an issue or its item has a status in a review task of its task; passed
 * = reviewed, no issue, not discarded in review). Units whose annotation is invalid are left out
 * of review figures (docs/robotics.md). CTEs `reviewed_items`, `issued`, `invalid`.
 */
const reviewCtes = (projectId: string) => sql`
  reviewed_items as (
    select rt.source_task_id as task_id, r.item_id, bool_or(r.status = 'discarded') as discarded
    from task_items r join tasks rt on rt.id = r.task_id
    where rt.project_id = ${projectId}::uuid and rt.type = 'review' and rt.source_task_id is not null and r.status is not null
    group by 1, 2),
  issued as (select distinct task_item_id from issues where task_id in (select id from pt)),
  invalid as (select task_item_id from annotations where task_id in (select id from pt) and invalid_at is not null)`;

/** SQL columns over a units relation `u` (task_items + reviewed/issued/invalid flags). */
const unitAggregates = (since: string) => sql`
  count(*)::int as units,
  count(*) filter (where u.status is not null)::int as "withStatus",
  count(*) filter (where u.done)::int as done,
  count(*) filter (where u.done and u.finished_at >= ${since}::timestamptz)::int as "recentDone",
  percentile_cont(0.5) within group (order by extract(epoch from u.finished_at - u.started_at))
    filter (where u.done and u.started_at is not null and u.finished_at is not null) as "medianSeconds",
  count(*) filter (where u.done and u.reviewed and not u.invalid)::int as reviewed,
  count(*) filter (where u.done and u.reviewed and u.clean and not u.invalid)::int as passed`;

const unitsRelation = (where: SQL) => sql`units as (
    select ti.task_id, ti.worker_id, ti.status, ti.done, ti.started_at, ti.finished_at,
      (ri.item_id is not null or iss.task_item_id is not null) as reviewed,
      (iss.task_item_id is null and coalesce(not ri.discarded, true)) as clean,
      (inv.task_item_id is not null) as invalid
    from task_items ti
    join pt on pt.id = ti.task_id
    join items i on i.id = ti.item_id and not i.draft
    left join reviewed_items ri on ri.task_id = ti.task_id and ri.item_id = ti.item_id
    left join issued iss on iss.task_item_id = ti.id
    left join invalid inv on inv.task_item_id = ti.id
    where ${where})`;

interface UnitStats {
  units: number;
  withStatus: number;
  done: number;
  recentDone: number;
  medianSeconds: number | null;
  reviewed: number;
  passed: number;
}

/**
 * Progress reports of a project (`GET /projects/{projectId}/reports/progress`), the reporting
 * read model's three levels (docs/robotics.md):
 * - `personal`: the caller's units (worked by them, or in their own share and not yet taken):
 *   completion, items per hour and per day over the window, median seconds per item, per task
 *   and per day;
 * - `team` (reviewer and up): per project member: units done, pace (done per day over the
 *   window), review pass rate;
 * - `project`: per live task and in total: completion and ETA (from the task's counters and its
 *   hourly done buckets, as the task read), and quality: pass rate, accuracy (scores against
 *   gold), consistency (scores between annotators), completeness (share with a status).
 * Reads counters, indexed unit columns and stored scores only: never payloads or shapes. Drafted
 * items are left out of unit figures; invalid annotations out of review and score figures.
 */
export async function progressReport(ctx: Ctx, caller: Caller, projectId: string, query: ReportQuery) {
  const role = await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const now = ctx.clock.now();
  const since = new Date(now.getTime() - query.windowDays * 86_400_000).toISOString();
  const windowHours = query.windowDays * 24;
  const base = { level: query.level, projectId, windowDays: query.windowDays, generatedAt: now };
  if (query.level === 'personal') return { ...base, personal: await personal(ctx.db, caller.userId, projectId, since, windowHours) };
  if (query.level === 'team') {
    if (role === 'viewer' || role === 'annotator') throw new DomainError('forbidden', `The team report needs the reviewer role or higher in the project; you are ${role}`);
    return { ...base, team: await team(ctx.db, projectId, since, query.windowDays) };
  }
  return { ...base, project: await project(ctx.db, projectId, now, since) };
}

async function personal(db: Db, userId: string, projectId: string, since: string, windowHours: number) {
  const mine = sql`(ti.worker_id = ${userId}::uuid or (ti.worker_id is null and ti.assignment_id in (
    select a.id from task_assignees a where a.task_id in (select id from pt) and a.assignee_id = ${userId}::uuid and a.role = 'annotator')))`;
  const perTask = await rows<UnitStats & { taskId: string; name: string; g: number }>(db, sql`
    with ${projectTasks(projectId)}, ${reviewCtes(projectId)}, ${unitsRelation(mine)}
    select u.task_id as "taskId", max(pt.name) as name, grouping(u.task_id) as g, ${unitAggregates(since)}
    from units u join pt on pt.id = u.task_id
    group by rollup (u.task_id)`);
  const days = await rows<{ day: string; done: number }>(db, sql`
    with ${projectTasks(projectId)}
    select date_trunc('day', ti.finished_at) as day, count(*)::int as done
    from task_items ti join pt on pt.id = ti.task_id
    where ti.worker_id = ${userId}::uuid and ti.done and ti.finished_at >= ${since}::timestamptz
    group by 1 order by 1`);
  const total = perTask.find((r) => int(r.g) === 1);
  const stats = (r: UnitStats | undefined) => ({
    units: int(r?.units),
    done: int(r?.done),
    completion: share(int(r?.done), int(r?.units)),
    doneInWindow: int(r?.recentDone),
    itemsPerHour: int(r?.recentDone) / windowHours,
    medianSecondsPerItem: num(r?.medianSeconds),
    passRate: share(int(r?.passed), int(r?.reviewed)),
  });
  return {
    userId,
    ...stats(total),
    tasks: perTask.filter((r) => int(r.g) === 0).sort((a, b) => a.name.localeCompare(b.name) || a.taskId.localeCompare(b.taskId)).map((r) => ({ taskId: r.taskId, name: r.name, ...stats(r) })),
    perDay: days.map((d) => ({ day: new Date(d.day), done: int(d.done) })),
  };
}

async function team(db: Db, projectId: string, since: string, windowDays: number) {
  const stats = await rows<UnitStats & { workerId: string }>(db, sql`
    with ${projectTasks(projectId)}, ${reviewCtes(projectId)}, ${unitsRelation(sql`ti.worker_id is not null`)}
    select u.worker_id as "workerId", ${unitAggregates(since)}
    from units u group by u.worker_id`);
  const members = await rows<{ userId: string; name: string | null; email: string; role: string }>(db, sql`
    select m.user_id as "userId", u.name, u.email, m.role from project_members m join users u on u.id = m.user_id
    where m.project_id = ${projectId}::uuid order by u.name, u.email, m.user_id`);
  const byWorker = new Map(stats.map((s) => [s.workerId, s]));
  // Per person per day over the window: the team chart's time series.
  const days = await rows<{ day: string; userId: string; done: number }>(db, sql`
    with ${projectTasks(projectId)}
    select date_trunc('day', ti.finished_at) as day, ti.worker_id as "userId", count(*)::int as done
    from task_items ti join pt on pt.id = ti.task_id
    where ti.done and ti.worker_id is not null and ti.finished_at >= ${since}::timestamptz
    group by 1, 2 order by 1, 2`);
  return {
    perDay: days.map((d) => ({ day: new Date(d.day), userId: d.userId, done: int(d.done) })),
    members: members.map((m) => {
      const s = byWorker.get(m.userId);
      return {
        userId: m.userId,
        name: m.name,
        email: m.email,
        role: m.role,
        units: int(s?.units),
        done: int(s?.done),
        doneInWindow: int(s?.recentDone),
        pacePerDay: int(s?.recentDone) / windowDays,
        medianSecondsPerItem: num(s?.medianSeconds),
        reviewed: int(s?.reviewed),
        passed: int(s?.passed),
        passRate: share(int(s?.passed), int(s?.reviewed)),
      };
    }),
  };
}

async function project(db: Db, projectId: string, now: Date, since: string) {
  const windowStart = new Date(now.getTime() - 24 * 3_600_000).toISOString();
  // Completion, ETA and completeness from the task row's counters (as GET /tasks/{id} shows them).
  const taskRows = await rows<{ id: string; name: string; type: string; itemCount: number; doneCount: number; statusCount: number; createdAt: string; recent: number }>(db, sql`
    select t.id, t.name, t.type, t.item_count as "itemCount", ${exactDoneCount('t')} as "doneCount", ${exactStatusCount('t')} as "statusCount", t.created_at as "createdAt",
      ${taskWideDoneSince(sql`${windowStart}::timestamptz`, 't')} as recent
    from tasks t where t.project_id = ${projectId}::uuid and not t.archived and t.type <> 'ticket'
    order by t.created_at, t.id`);
  const review = await rows<{ taskId: string; reviewed: number; passed: number }>(db, sql`
    with ${projectTasks(projectId)}, ${reviewCtes(projectId)}, ${unitsRelation(sql`true`)}
    select u.task_id as "taskId", count(*) filter (where u.done and u.reviewed and not u.invalid)::int as reviewed,
      count(*) filter (where u.done and u.reviewed and u.clean and not u.invalid)::int as passed
    from units u group by u.task_id`);
  const quality = await rows<{ taskId: string | null; accuracy: number | null; consistency: number | null }>(db, sql`
    select s.task_id as "taskId", avg(s.value) filter (where s.reference_id is null) as accuracy,
      avg(s.value) filter (where s.reference_id is not null) as consistency
    from scores s
    where s.task_id in (select id from tasks where project_id = ${projectId}::uuid and not archived and type <> 'ticket')
      and s.label = '' and ${scoreOnValidAnswers('s')}
      and not exists (select 1 from items i where i.id = s.item_id and i.draft)
    group by grouping sets ((s.task_id), ())`);
  // Per day over the window: items done, and the mean of the scores stored that day.
  const days = await rows<{ day: string; done: number; accuracy: number | null; consistency: number | null }>(db, sql`
    with ${projectTasks(projectId)},
    d as (select date_trunc('day', ti.finished_at) as day, count(*)::int as done from task_items ti join pt on pt.id = ti.task_id
      where ti.done and ti.finished_at >= ${since}::timestamptz group by 1),
    q as (select date_trunc('day', s.created_at) as day, avg(s.value) filter (where s.reference_id is null) as accuracy,
        avg(s.value) filter (where s.reference_id is not null) as consistency
      from scores s join pt on pt.id = s.task_id
      where s.created_at >= ${since}::timestamptz and s.label = '' and ${scoreOnValidAnswers('s')} group by 1)
    select coalesce(d.day, q.day) as day, coalesce(d.done, 0)::int as done, q.accuracy, q.consistency
    from d full join q on q.day = d.day order by 1`);
  const reviewBy = new Map(review.map((r) => [r.taskId, r]));
  const qualityBy = new Map(quality.filter((q) => q.taskId).map((q) => [q.taskId!, q]));
  const overallQuality = quality.find((q) => !q.taskId);
  let items = 0, done = 0, withStatus = 0, reviewed = 0, passed = 0, rate = 0;
  const tasks = taskRows.map((t) => {
    const counters = { itemCount: int(t.itemCount), doneCount: int(t.doneCount), statusCount: int(t.statusCount), createdAt: new Date(t.createdAt), openIssues: 0, forReview: 0 };
    const progress = progressOf(counters, int(t.recent), now);
    const r = reviewBy.get(t.id);
    const q = qualityBy.get(t.id);
    items += counters.itemCount;
    done += counters.doneCount;
    withStatus += counters.statusCount;
    reviewed += int(r?.reviewed);
    passed += int(r?.passed);
    // The task's recent rate (items per second, measured as progressOf does), summed for the project ETA.
    if (progress.total > progress.done) rate += Math.max(0, int(t.recent)) / Math.max(60, Math.min(24 * 3600, (now.getTime() - counters.createdAt.getTime()) / 1000));
    return {
      taskId: t.id,
      name: t.name,
      type: t.type,
      items: progress.total,
      done: progress.done,
      percent: progress.percent,
      etaSeconds: progress.etaSeconds,
      passRate: share(int(r?.passed), int(r?.reviewed)),
      accuracy: num(q?.accuracy),
      consistency: num(q?.consistency),
      completeness: share(counters.statusCount, counters.itemCount),
    };
  });
  const remaining = Math.max(0, items - done);
  return {
    totals: {
      tasks: tasks.length,
      items,
      done,
      percent: items ? Math.round((done / items) * 10_000) / 100 : 0,
      etaSeconds: remaining === 0 ? 0 : rate > 0 ? Math.round(remaining / rate) : null,
      passRate: share(passed, reviewed),
      accuracy: num(overallQuality?.accuracy),
      consistency: num(overallQuality?.consistency),
      completeness: share(withStatus, items),
    },
    tasks,
    perDay: days.map((d) => ({ day: new Date(d.day), done: int(d.done), accuracy: num(d.accuracy), consistency: num(d.consistency) })),
  };
}
