import { sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { findTask, taskActor } from '../tasks/task-access.ts';
import { rowsOf } from '../tasks/item-selection.ts';

export interface AnalyticsQuery {
  /** The recent window throughput is measured over, in hours (default 24). */
  windowHours: number;
  /** Progress chart bucket. */
  bucket: 'hour' | 'day';
}

const BUCKETS = 10;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const rows = async <T>(db: Db, query: ReturnType<typeof sql>) => { const t0 = performance.now(); const r = rowsOf<T>(await db.execute(query)); if (process.env.PROFILE_ANALYTICS) console.log('q', Math.round(performance.now() - t0)); return r; };

/** `[n₁…n₁₀]` from `(bucket, n)` rows: scores in [0, 0.1), …, [0.9, 1]. */
function histogram(entries: Array<{ bucket: number; n: number }>) {
  const out = Array.from({ length: BUCKETS }, () => 0);
  for (const e of entries) out[Math.min(BUCKETS, Math.max(1, Number(e.bucket))) - 1]! += Number(e.n);
  return out;
}

/**
 * A task's metrics (`GET /tasks/{taskId}/analytics`), per task, per annotator and per label:
 * units done, completeness (share with a status), throughput (items per hour over the recent
 * window), median time per item, first-pass review rate (share of reviewed answers that passed
 * with no issue and were not discarded), accuracy against gold and agreement between annotators
 * (means of the stored scores), histograms of scores and progress over time. Every figure is a
 * SQL aggregate over the task's rows (percentile_cont, width_bucket, group by): no row list is
 * loaded into memory. Drafted items are left out everywhere.
 */
export async function taskAnalytics(ctx: Ctx, caller: Caller, taskId: string, query: AnalyticsQuery) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'viewer');
  const now = ctx.clock.now();
  const since = new Date(now.getTime() - query.windowHours * 3_600_000).toISOString();
  const t = sql`${taskId}::uuid`;

  // Units (task items) with their review outcome, drafts excluded; grouped with rollup so the
  // task-wide row (worker null, grouping 1) and the per-annotator rows come from one scan.
  const work = await rows<{
    workerId: string | null; grouped: number; name: string | null; units: number; withStatus: number; done: number; recentDone: number;
    medianSeconds: number | null; reviewed: number; passed: number;
  }>(ctx.db, sql`
    with reviewed_items as (
      select r.item_id, bool_or(r.status = 'discarded') as discarded
      from task_items r join tasks rt on rt.id = r.task_id
      where rt.source_task_id = ${t} and rt.type = 'review' and r.status is not null
      group by r.item_id),
    issued as (select task_item_id from issues where task_id = ${t} group by task_item_id),
    units as (
      select ti.worker_id, ti.status, ti.done, ti.started_at, ti.finished_at,
        (ri.item_id is not null or iss.task_item_id is not null) as reviewed,
        (iss.task_item_id is null and coalesce(not ri.discarded, true)) as clean
      from task_items ti
      join items i on i.id = ti.item_id and not i.draft
      left join reviewed_items ri on ri.item_id = ti.item_id
      left join issued iss on iss.task_item_id = ti.id
      where ti.task_id = ${t})
    select u.worker_id as "workerId", grouping(u.worker_id) as grouped, max(us.name) as name,
      count(*)::int as units,
      count(*) filter (where u.status is not null)::int as "withStatus",
      count(*) filter (where u.done)::int as done,
      count(*) filter (where u.done and u.finished_at >= ${since}::timestamptz)::int as "recentDone",
      percentile_cont(0.5) within group (order by extract(epoch from u.finished_at - u.started_at))
        filter (where u.done and u.started_at is not null and u.finished_at is not null) as "medianSeconds",
      count(*) filter (where u.done and u.reviewed)::int as reviewed,
      count(*) filter (where u.done and u.reviewed and u.clean)::int as passed
    from units u left join users us on us.id = u.worker_id
    group by rollup (u.worker_id)`);

  const quality = await rows<{ annotatorId: string | null; grouped: number; accuracy: number | null; agreement: number | null; scoredUnits: number }>(ctx.db, sql`
    select s.annotator_id as "annotatorId", grouping(s.annotator_id) as grouped,
      avg(s.value) filter (where s.reference_id is null) as accuracy,
      avg(s.value) filter (where s.reference_id is not null) as agreement,
      count(distinct s.task_item_id)::int as "scoredUnits"
    from scores s join items i on i.id = s.item_id and not i.draft
    where s.task_id = ${t} and s.label = ''
    group by rollup (s.annotator_id)`);

  const toolHistograms = await rows<{ tool: string; gold: boolean; bucket: number; n: number }>(ctx.db, sql`
    select s.tool, s.reference_id is null as gold, least(width_bucket(s.value, 0, 1, ${BUCKETS}), ${BUCKETS}) as bucket, count(*)::int as n
    from scores s join items i on i.id = s.item_id and not i.draft
    where s.task_id = ${t} and s.label = ''
    group by 1, 2, 3`);

  const labelRows = await rows<{ tool: string; label: string; units: number; mean: number; accuracy: number | null; agreement: number | null }>(ctx.db, sql`
    select s.tool, s.label, count(distinct s.task_item_id)::int as units, avg(s.value) as mean,
      avg(s.value) filter (where s.reference_id is null) as accuracy,
      avg(s.value) filter (where s.reference_id is not null) as agreement
    from scores s join items i on i.id = s.item_id and not i.draft
    where s.task_id = ${t} and s.label <> ''
    group by 1, 2 order by 1, 2`);
  const labelHistograms = await rows<{ tool: string; label: string; bucket: number; n: number }>(ctx.db, sql`
    select s.tool, s.label, least(width_bucket(s.value, 0, 1, ${BUCKETS}), ${BUCKETS}) as bucket, count(*)::int as n
    from scores s join items i on i.id = s.item_id and not i.draft
    where s.task_id = ${t} and s.label <> ''
    group by 1, 2, 3`);

  const unit = query.bucket === 'hour' ? sql.raw(`'hour'`) : sql.raw(`'day'`);
  const progress = await rows<{ at: string; done: number; cumulative: number }>(ctx.db, sql`
    select at, done, (sum(done) over (order by at))::int as cumulative from (
      select date_trunc(${unit}, ti.finished_at) as at, count(*)::int as done
      from task_items ti join items i on i.id = ti.item_id and not i.draft
      where ti.task_id = ${t} and ti.done and ti.finished_at is not null
      group by 1) b
    order by at desc limit 500`);

  const rate = (n: number) => n / query.windowHours;
  const share = (a: number, b: number) => (b ? a / b : null);
  const metrics = (w: (typeof work)[number], q: (typeof quality)[number] | undefined) => ({
    units: Number(w.units),
    withStatus: Number(w.withStatus),
    done: Number(w.done),
    completeness: share(Number(w.withStatus), Number(w.units)),
    throughputPerHour: rate(Number(w.recentDone)),
    medianSecondsPerItem: num(w.medianSeconds),
    reviewed: Number(w.reviewed),
    firstPassReviewRate: share(Number(w.passed), Number(w.reviewed)),
    accuracy: num(q?.accuracy),
    agreement: num(q?.agreement),
    scoredUnits: Number(q?.scoredUnits ?? 0),
  });
  const wholeWork = work.find((w) => Number(w.grouped) === 1);
  const wholeQuality = quality.find((q) => Number(q.grouped) === 1);
  const empty = { workerId: null, grouped: 1, name: null, units: 0, withStatus: 0, done: 0, recentDone: 0, medianSeconds: null, reviewed: 0, passed: 0 };
  const byAnnotator = new Map(quality.filter((q) => Number(q.grouped) === 0 && q.annotatorId).map((q) => [q.annotatorId!, q]));
  return {
    taskId,
    windowHours: query.windowHours,
    task: metrics(wholeWork ?? empty, wholeQuality),
    annotators: work
      .filter((w) => Number(w.grouped) === 0 && w.workerId)
      .sort((a, b) => (a.workerId! < b.workerId! ? -1 : 1))
      .map((w) => ({ annotatorId: w.workerId!, name: w.name, ...metrics(w, byAnnotator.get(w.workerId!)) })),
    labels: labelRows.map((l) => ({
      tool: l.tool,
      label: l.label,
      units: Number(l.units),
      meanScore: Number(l.mean),
      accuracy: num(l.accuracy),
      agreement: num(l.agreement),
      histogram: histogram(labelHistograms.filter((h) => h.tool === l.tool && h.label === l.label)),
    })),
    histograms: [...new Set(toolHistograms.map((h) => `${h.tool}:${h.gold}`))].sort().map((key) => {
      const [tool, gold] = key.split(':');
      return { tool: tool!, against: gold === 'true' ? ('gold' as const) : ('annotators' as const), buckets: histogram(toolHistograms.filter((h) => h.tool === tool && String(h.gold) === gold)) };
    }),
    progress: progress.reverse().map((p) => ({ at: new Date(p.at), done: Number(p.done), cumulative: Number(p.cumulative) })),
  };
}
