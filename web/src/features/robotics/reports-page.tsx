/**
 * Progress reports (docs/robotics.md) at three levels, charted with uPlot: personal (my
 * completion and speed), team (per person: done, pace, pass rate; reviewers and up), project
 * (per task: completion, ETA and quality).
 */
import { useMemo } from 'react';
import { reports, type ProgressReport, type ReportLevel } from '../../api/robotics.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { useSearch } from '../../app/router.tsx';
import { useRole } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { count, dayGrid, formatDuration, percent, ratio } from '../../components/format.ts';
import { Async, Empty } from '../../components/states.tsx';
import { ProgressBar, Stat, Tabs } from '../../components/widgets.tsx';
import { TimeSeries } from './time-series.tsx';
import './robotics.css';

const pct = (x: number | null) => (x === null ? '—' : percent(x * 100));

/** Per-day values spread over every day of the window (zeros where none): bars, never one lone dot. */
function onDays<T extends { day: string | Date }>(windowDays: number, rows: T[], value: (row: T) => number | null, empty: number | null = 0) {
  const x = dayGrid(windowDays);
  const at = new Map<number, number | null>();
  for (const row of rows) {
    const d = Math.floor(new Date(row.day).getTime() / 86_400_000) * 86_400;
    const v = value(row);
    if (v !== null) at.set(d, (at.get(d) ?? 0) + v);
  }
  return { x, values: x.map((d) => (at.has(d) ? at.get(d)! : empty)) };
}

function Personal({ r, windowDays }: { r: NonNullable<ProgressReport['personal']>; windowDays: number }) {
  const days = useMemo(() => onDays(windowDays, r.perDay, (d) => d.done), [r.perDay, windowDays]);
  const x = days.x;
  const series = useMemo(() => [{ label: 'items done', values: days.values }], [days]);
  return (
    <div className="stack">
      <div className="stats">
        <Stat label="my completion" value={pct(r.completion)} hint="done / units in your share" />
        <Stat label="done" value={`${count(r.done)} / ${count(r.units)}`} />
        <Stat label="items per hour" value={ratio(r.itemsPerHour)} hint="over the window" />
        <Stat label="median time per item" value={formatDuration(r.medianSecondsPerItem)} />
        <Stat label="review pass rate" value={pct(r.passRate)} />
      </div>
      {r.perDay.length > 0 ? <div className="card"><h3>Items done per day</h3><TimeSeriesDays x={x} series={series} /></div> : <p className="muted">The chart fills in as you finish items.</p>}
      {r.tasks.length === 0 ? (
        <Empty title="Nothing assigned to you in this project">Your completion shows here once you have work.</Empty>
      ) : (
        <div className="table-wrap">
        <table className="table">
          <thead>
            <tr><th>Task</th><th>Done</th><th>Completion</th><th>Median time</th></tr>
          </thead>
          <tbody>
            {r.tasks.map((t) => (
              <tr key={t.taskId}><td className="truncate">{t.name}</td><td>{count(t.done)} / {count(t.units)}</td><td><ProgressBar progress={{ done: t.done, total: t.units, percent: (t.completion ?? 0) * 100 }} label /></td><td>{formatDuration(t.medianSecondsPerItem)}</td></tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </div>
  );
}

/** Days on the x axis: uPlot with its time scale. */
function TimeSeriesDays({ x, series }: { x: number[]; series: Array<{ label: string; values: Array<number | null> }> }) {
  return <TimeSeries ariaLabel="Items done per day" x={x} series={series} height={200} bars timeAxis />;
}

function Team({ r, windowDays }: { r: NonNullable<ProgressReport['team']>; windowDays: number }) {
  const people = r.members.filter((m) => m.units > 0 || m.done > 0);
  const x = useMemo(() => people.map((_, i) => i + 1), [people]);
  const series = useMemo(() => [{ label: 'items done', values: people.map((m) => m.done) }], [people]);
  // One line per person over the days of the window: who works when, and at what pace.
  const perDay = useMemo(() => {
    const who = people.filter((m) => r.perDay.some((d) => d.userId === m.userId));
    const grid = dayGrid(windowDays);
    return {
      x: grid,
      series: who.map((m) => ({ label: m.name ?? m.email, values: onDays(windowDays, r.perDay.filter((d) => d.userId === m.userId), (d) => d.done).values })),
    };
  }, [people, r.perDay, windowDays]);
  return (
    <div className="stack">
      {perDay.series.length > 0 && (
        <div className="card" data-testid="team-per-day">
          <h3>Items done per day, per person</h3>
          <TimeSeries ariaLabel="Items done per day by each person" x={perDay.x} series={perDay.series} height={220} timeAxis />
        </div>
      )}
      {people.length > 0 && (
        <div className="card">
          <h3>Items done per person (numbered as in the table)</h3>
          <TimeSeries ariaLabel="Done and pace per person" x={x} series={series} height={200} bars xLabel="person" />
        </div>
      )}
      <div className="table-wrap">
      <table className="table" data-testid="team-report">
        <thead>
          <tr><th>#</th><th>Person</th><th>Role</th><th>Done</th><th>Pace / day</th><th>Median time</th><th>Pass rate</th></tr>
        </thead>
        <tbody>
          {r.members.map((m) => (
            <tr key={m.userId}>
              <td>{people.indexOf(m) >= 0 ? people.indexOf(m) + 1 : ''}</td>
              <td className="truncate">{m.name ?? m.email}</td>
              <td>{m.role}</td>
              <td>{count(m.done)} / {count(m.units)}</td>
              <td>{ratio(m.pacePerDay, 1)}</td>
              <td>{formatDuration(m.medianSecondsPerItem)}</td>
              <td>{pct(m.passRate)} <span className="muted small">({count(m.passed)}/{count(m.reviewed)})</span></td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </div>
  );
}

function Project({ r, windowDays }: { r: NonNullable<ProgressReport['project']>; windowDays: number }) {
  const x = useMemo(() => r.tasks.map((_, i) => i + 1), [r.tasks]);
  const series = useMemo(() => [{ label: 'completion %', values: r.tasks.map((t) => t.percent) }], [r.tasks]);
  const throughput = useMemo(() => onDays(windowDays, r.perDay, (d) => d.done), [r.perDay, windowDays]);
  const throughputSeries = useMemo(() => [{ label: 'items done', values: throughput.values }], [throughput]);
  // Quality per day: days without scores are gaps, not zeros.
  const quality = useMemo(() => {
    const scored = r.perDay.filter((d) => d.accuracy !== null || d.consistency !== null);
    const accuracy = onDays(windowDays, scored, (d) => d.accuracy, null);
    const consistency = onDays(windowDays, scored, (d) => d.consistency, null);
    return { days: scored.length, x: accuracy.x, series: [{ label: 'accuracy', values: accuracy.values }, { label: 'consistency', values: consistency.values }].filter((x) => x.values.some((v) => v !== null)) };
  }, [r.perDay, windowDays]);
  const t = r.totals;
  return (
    <div className="stack">
      <div className="stats">
        <Stat label="completion" value={`${t.percent}%`} hint={`${count(t.done)} of ${count(t.items)} items`} />
        <Stat label="items done" value={`${count(t.done)} / ${count(t.items)}`} hint={`in ${count(t.tasks)} tasks`} />
        <Stat label="ETA" value={t.etaSeconds === null ? '—' : formatDuration(t.etaSeconds)} hint="from the last day's pace" />
        <Stat label="pass rate" value={pct(t.passRate)} />
        <Stat label="accuracy" value={ratio(t.accuracy)} hint="scores against gold" />
        <Stat label="consistency" value={ratio(t.consistency)} hint="agreement between annotators" />
        <Stat label="completeness" value={pct(t.completeness)} hint="share of items with a status" />
      </div>
      <div className="charts">
        <div className="card" data-testid="project-throughput">
          <h3>Throughput: items done per day</h3>
          {r.perDay.some((d) => d.done > 0) ? (
            <TimeSeries ariaLabel="Items done per day in the project" x={throughput.x} series={throughputSeries} height={200} bars timeAxis />
          ) : (
            <p className="muted">Bars appear as items are done.</p>
          )}
        </div>
        <div className="card" data-testid="project-quality">
          <h3>Quality per day: accuracy and consistency</h3>
          {quality.days > 1 ? (
            <TimeSeries ariaLabel="Mean accuracy and consistency of the scores stored each day" x={quality.x} series={quality.series} height={200} timeAxis />
          ) : quality.days === 1 ? (
            <p className="muted">One day of scores so far (accuracy {ratio(t.accuracy)}, consistency {ratio(t.consistency)}): the line starts with the second day.</p>
          ) : (
            <p className="muted">The line starts once answers are scored (against gold, or between annotators).</p>
          )}
        </div>
      </div>
      {r.tasks.length > 0 && (
        <div className="card">
          <h3>Completion per task, % (numbered as in the table)</h3>
          <TimeSeries ariaLabel="Completion per task" x={x} series={series} height={200} bars xLabel="task" />
        </div>
      )}
      <div className="table-wrap">
      <table className="table" data-testid="project-report">
        <thead>
          <tr><th>#</th><th>Task</th><th>Completion</th><th>ETA</th><th>Pass rate</th><th>Accuracy</th><th>Consistency</th><th>Completeness</th></tr>
        </thead>
        <tbody>
          {r.tasks.map((k, i) => (
            <tr key={k.taskId}>
              <td>{i + 1}</td>
              <td className="truncate">{k.name}</td>
              <td><ProgressBar progress={{ done: k.done, total: k.items, percent: k.percent }} label /></td>
              <td>{k.etaSeconds === null ? '—' : formatDuration(k.etaSeconds)}</td>
              <td>{pct(k.passRate)}</td>
              <td>{ratio(k.accuracy)}</td>
              <td>{ratio(k.consistency)}</td>
              <td>{pct(k.completeness)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </div>
  );
}

export function ReportsPage({ projectId }: { projectId: string }) {
  const { atLeast } = useRole(projectId);
  const { search, set } = useSearch();
  // Managers land on the project overview, everyone else on their own progress.
  const home: ReportLevel = atLeast('manager') ? 'project' : 'personal';
  const level = (search.get('level') as ReportLevel | null) ?? home;
  const state = useApi(() => reports.progress(projectId, level), [projectId, level]);
  const levels: Array<{ key: ReportLevel; label: string }> = [
    { key: 'personal', label: 'Me' },
    ...(atLeast('reviewer') ? [{ key: 'team' as const, label: 'Team' }] : []),
    { key: 'project', label: 'Project' },
  ];
  return (
    <Layout projectId={projectId}>
      <PageHead title="Dashboard" sub="Progress over the last 7 days: throughput, pace per person and quality" />
      <Tabs<ReportLevel> active={level} onChange={(k) => set({ level: k === home ? null : k })} tabs={levels} />
      <div className="tab-panel">
        <Async state={state}>
          {(r) => (
            <>
              {r.personal && <Personal r={r.personal} windowDays={r.windowDays} />}
              {r.team && <Team r={r.team} windowDays={r.windowDays} />}
              {r.project && (r.project.tasks.length ? <Project r={r.project} windowDays={r.windowDays} /> : <Empty title="No tasks yet">Create a task to see its progress here.</Empty>)}
            </>
          )}
        </Async>
      </div>
    </Layout>
  );
}
