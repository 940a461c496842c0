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
import { formatDuration, percent, ratio } from '../../components/format.ts';
import { Async, Empty } from '../../components/states.tsx';
import { ProgressBar, Stat, Tabs } from '../../components/widgets.tsx';
import { TimeSeries } from './time-series.tsx';
import './robotics.css';

const pct = (x: number | null) => (x === null ? '—' : percent(x * 100));

function Personal({ r }: { r: NonNullable<ProgressReport['personal']> }) {
  const x = useMemo(() => r.perDay.map((d) => new Date(d.day).getTime() / 1000), [r.perDay]);
  const series = useMemo(() => [{ label: 'items done', values: r.perDay.map((d) => d.done) }], [r.perDay]);
  return (
    <div className="stack">
      <div className="stats">
        <Stat label="my completion" value={pct(r.completion)} hint="done / units in your share" />
        <Stat label="done" value={`${r.done.toLocaleString()} / ${r.units.toLocaleString()}`} />
        <Stat label="items per hour" value={ratio(r.itemsPerHour)} hint="over the window" />
        <Stat label="median time per item" value={formatDuration(r.medianSecondsPerItem)} />
        <Stat label="review pass rate" value={pct(r.passRate)} />
      </div>
      {r.perDay.length > 1 ? <div className="card"><h3>Items done per day</h3><TimeSeriesDays x={x} series={series} /></div> : <p className="muted">The chart fills in as you finish items on more than one day.</p>}
      {r.tasks.length === 0 ? (
        <Empty title="Nothing assigned to you in this project">Your completion shows here once you have work.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr><th>Task</th><th>Done</th><th>Completion</th><th>Median time</th></tr>
          </thead>
          <tbody>
            {r.tasks.map((t) => (
              <tr key={t.taskId}><td className="truncate">{t.name}</td><td>{t.done} / {t.units}</td><td><ProgressBar progress={{ done: t.done, total: t.units, percent: (t.completion ?? 0) * 100 }} label /></td><td>{formatDuration(t.medianSecondsPerItem)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** Days on the x axis: uPlot with its time scale. */
function TimeSeriesDays({ x, series }: { x: number[]; series: Array<{ label: string; values: number[] }> }) {
  return <TimeSeries ariaLabel="Items done per day" x={x} series={series} height={200} bars timeAxis />;
}

function Team({ r }: { r: NonNullable<ProgressReport['team']> }) {
  const people = r.members.filter((m) => m.units > 0 || m.done > 0);
  const x = useMemo(() => people.map((_, i) => i + 1), [people]);
  const series = useMemo(() => [{ label: 'items done', values: people.map((m) => m.done) }], [people]);
  return (
    <div className="stack">
      {people.length > 0 && (
        <div className="card">
          <h3>Items done per person (numbered as in the table)</h3>
          <TimeSeries ariaLabel="Done and pace per person" x={x} series={series} height={200} bars xLabel="person" />
        </div>
      )}
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
              <td>{m.done.toLocaleString()} / {m.units.toLocaleString()}</td>
              <td>{ratio(m.pacePerDay, 1)}</td>
              <td>{formatDuration(m.medianSecondsPerItem)}</td>
              <td>{pct(m.passRate)} <span className="muted small">({m.passed}/{m.reviewed})</span></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Project({ r }: { r: NonNullable<ProgressReport['project']> }) {
  const x = useMemo(() => r.tasks.map((_, i) => i + 1), [r.tasks]);
  const series = useMemo(() => [{ label: 'completion %', values: r.tasks.map((t) => t.percent) }], [r.tasks]);
  const t = r.totals;
  return (
    <div className="stack">
      <div className="stats">
        <Stat label="completion" value={`${t.percent}%`} hint={`${t.done} of ${t.items} items`} />
        <Stat label="ETA" value={t.etaSeconds === null ? '—' : formatDuration(t.etaSeconds)} hint="from the last day's pace" />
        <Stat label="pass rate" value={pct(t.passRate)} />
        <Stat label="accuracy" value={ratio(t.accuracy)} hint="scores against gold" />
        <Stat label="consistency" value={ratio(t.consistency)} hint="agreement between annotators" />
        <Stat label="completeness" value={pct(t.completeness)} hint="share of items with a status" />
      </div>
      {r.tasks.length > 0 && (
        <div className="card">
          <h3>Completion per task, % (numbered as in the table)</h3>
          <TimeSeries ariaLabel="Completion per task" x={x} series={series} height={200} bars xLabel="task" />
        </div>
      )}
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
  );
}

export function ReportsPage({ projectId }: { projectId: string }) {
  const { atLeast } = useRole(projectId);
  const { search, set } = useSearch();
  const level = (search.get('level') as ReportLevel | null) ?? 'personal';
  const state = useApi(() => reports.progress(projectId, level), [projectId, level]);
  const levels: Array<{ key: ReportLevel; label: string }> = [
    { key: 'personal', label: 'Me' },
    ...(atLeast('reviewer') ? [{ key: 'team' as const, label: 'Team' }] : []),
    { key: 'project', label: 'Project' },
  ];
  return (
    <Layout projectId={projectId}>
      <PageHead title="Reports" sub="Progress over the last 7 days: completion, pace and quality" />
      <Tabs<ReportLevel> active={level} onChange={(k) => set({ level: k === 'personal' ? null : k })} tabs={levels} />
      <div className="tab-panel">
        <Async state={state}>
          {(r) => (
            <>
              {r.personal && <Personal r={r.personal} />}
              {r.team && <Team r={r.team} />}
              {r.project && (r.project.tasks.length ? <Project r={r.project} /> : <Empty title="No tasks yet">Create a task to see its progress here.</Empty>)}
            </>
          )}
        </Async>
      </div>
    </Layout>
  );
}
