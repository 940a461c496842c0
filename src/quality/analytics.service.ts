import { sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { findTask, taskActor } from '../task-units/task-access.ts';
import { assertMayReadGoldScores } from './gold-access.ts';
import { rowsOf } from '../task-units/item-selection.ts';

export interface AnalyticsQuery {
  /** The recent window throughput is measured over, in hours (default 24). */
  windowHours: number;
  /** Progress chart bucket. */
  bucket: 'hour' | 'day';
}

const BUCKETS = 10;
/** Inlined, not bound: GROUP BY must see the very same expression as the select list. */
const B = sql.raw(String(BUCKETS));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const rows = async <T>(db: Db, query: ReturnType<typeof sql>) => rowsOf<T>(await db.execute(query));

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
 * loaded into memory. Drafted items are left out everywhere. Annotators of qualification and
 * honeypot tasks get 403 (`assertMayReadGoldScores`).
 */
export async function taskAnalytics(ctx: Ctx, caller: Caller, taskId: string, query: AnalyticsQuery) {
  const task = await findTask(ctx.db, taskId);
  assertMayReadGoldScores(task, await taskActor(ctx.db, caller, task, 'viewer'));
  const now = ctx.clock.now();
  const since = new Date(now.getTime() - query.windowHours * 3_600_000).toISOString();
  const t = sql`${taskId}::uuid`;
  // A task's items all come from its dataset: its drafted items are a small set, looked up once per query.
  const datasetId = sql`${task.datasetId ?? taskId}::uuid`;

  // Units (task items) with their review outcome, drafts excluded; grouped with rollup so the
  // task-wide row (worker null, grouping 1) and the per-annotator rows come from one scan.
  const work = await rows<{
    workerId: string | null; grouped: number; name: string | null; units: number; withStatus: number; done: number; recentDone: number;
    medianSeconds: number | null; reviewed: number; passed: number;
  }>(ctx.db, sql`
    with drafted as (select d.id from items d where d.dataset_id = ${datasetId} and d.draft),
    reviewed_items as (
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
      left join reviewed_items ri on ri.item_id = ti.item_id
      left join issued iss on iss.task_item_id = ti.id
      where ti.task_id = ${t} and ti.item_id not in (select id from drafted))
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

  // One scan of the whole-tool scores: per annotator, task-wide (grouping sets) and histograms.
  const scoreStats = await rows<{
    annotatorId: string | null; tool: string | null; gold: boolean | null; bucket: number | null; g: number;
    accuracy: number | null; agreement: number | null; scoredUnits: number; n: number;
  }>(ctx.db, sql`
    select s.annotator_id as "annotatorId", s.tool, s.reference_id is null as gold,
      least(width_bucket(s.value, 0, 1, ${B}), ${B}) as bucket,
      grouping(s.annotator_id, s.tool, s.reference_id is null, least(width_bucket(s.value, 0, 1, ${B}), ${B})) as g,
      avg(s.value) filter (where s.reference_id is null) as accuracy,
      avg(s.value) filter (where s.reference_id is not null) as agreement,
      count(distinct s.task_item_id)::int as "scoredUnits", count(*)::int as n
    from scores s
    where s.task_id = ${t} and s.label = '' and s.item_id not in (select d.id from items d where d.dataset_id = ${datasetId} and d.draft)
    group by grouping sets ((s.annotator_id), (), (s.tool, s.reference_id is null, least(width_bucket(s.value, 0, 1, ${B}), ${B})))`);
  // grouping() bits: annotator 8, tool 4, gold 2, bucket 1 (set bits are aggregated away).
  const quality = scoreStats.filter((r) => Number(r.g) === 7 || Number(r.g) === 15).map((r) => ({ ...r, grouped: Number(r.g) === 15 ? 1 : 0 }));
  const toolHistograms = scoreStats.filter((r) => Number(r.g) === 8).map((r) => ({ tool: r.tool!, gold: Boolean(r.gold), bucket: Number(r.bucket), n: Number(r.n) }));

  // One scan of the per-label scores: per label and its histogram.
  const labelStats = await rows<{ tool: string; label: string; bucket: number | null; g: number; units: number; mean: number; accuracy: number | null; agreement: number | null; n: number }>(ctx.db, sql`
    select s.tool, s.label, least(width_bucket(s.value, 0, 1, ${B}), ${B}) as bucket,
      grouping(least(width_bucket(s.value, 0, 1, ${B}), ${B})) as g,
      count(distinct s.task_item_id)::int as units, avg(s.value) as mean,
      avg(s.value) filter (where s.reference_id is null) as accuracy,
      avg(s.value) filter (where s.reference_id is not null) as agreement,
      count(*)::int as n
    from scores s
    where s.task_id = ${t} and s.label <> '' and s.item_id not in (select d.id from items d where d.dataset_id = ${datasetId} and d.draft)
    group by grouping sets ((s.tool, s.label), (s.tool, s.label, least(width_bucket(s.value, 0, 1, ${B}), ${B})))
    order by 1, 2`);
  const labelRows = labelStats.filter((l) => Number(l.g) === 1);
  const labelHistograms = labelStats.filter((l) => Number(l.g) === 0).map((l) => ({ tool: l.tool, label: l.label, bucket: Number(l.bucket), n: Number(l.n) }));

  const unit = query.bucket === 'hour' ? sql.raw(`'hour'`) : sql.raw(`'day'`);
  const progress = await rows<{ at: string; done: number; cumulative: number }>(ctx.db, sql`
    select at, done, (sum(done) over (order by at))::int as cumulative from (
      select date_trunc(${unit}, ti.finished_at) as at, count(*)::int as done
      from task_items ti
      where ti.task_id = ${t} and ti.done and ti.item_id not in (select d.id from items d where d.dataset_id = ${datasetId} and d.draft) and ti.finished_at is not null
      group by 1) b
    order by at desc limit 500`);

  const rate = (n: number) => n / query.windowHours;
  const share = (a: number, b: number) => (b ? a / b : null);
  const metrics = (w: (typeof work)[number], q: { accuracy: number | null; agreement: number | null; scoredUnits: number } | undefined) => ({
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
