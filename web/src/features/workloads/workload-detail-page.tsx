import { useState } from 'react';
import { workloadsApi, type WorkloadReport } from '../../api/workloads.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDateTime, formatDuration, humanize, shortId } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Badge, ProgressBar } from '../../components/widgets.tsx';

const percentOf = (done: number, target: number) => (target > 0 ? Math.min(100, (done / target) * 100) : 0);

/** One workload: its cycles against their targets, the evaluators' assignments and the reviewee score chart. */
export function WorkloadDetailPage({ workloadId }: { workloadId: string }) {
  const workload = useApi(() => workloadsApi.get(workloadId), [workloadId]);
  const cycles = useApi(() => workloadsApi.cycles(workloadId), [workloadId]);
  const assignments = useApi(() => workloadsApi.assignments(workloadId), [workloadId]);
  const report = useApi(() => workloadsApi.report(workloadId), [workloadId]);
  const projectId = workload.data?.projectId;
  const members = useApi(async () => (projectId ? workloadsApi.memberNames(projectId) : new Map<string, string>()), [projectId]);
  const nameOf = (id: string) => members.data?.get(id) ?? shortId(id);
  const [error, setError] = useState<unknown>(null);
  const act = async (action: 'deactivate' | 'activate' | 'archive' | 'restore') => {
    setError(null);
    try {
      await workloadsApi.action(workloadId, action);
      workload.reload();
      cycles.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Layout projectId={workload.data?.projectId ?? null}>
      <Async state={workload}>
        {(w) => (
          <>
            <PageHead title={w.name} />
            <p className="muted">
              <Badge value={w.status} /> {humanize(w.schedule.frequency)} in {w.schedule.timeZone} · target {w.target.count} {w.target.per === 'total' ? 'in all' : 'per reviewee'} · AutoQA{' '}
              {humanize(w.autoQa)}
            </p>
            <div className="toolbar">
              {w.status === 'active' && <button type="button" className="btn" onClick={() => act('deactivate')}>Deactivate</button>}
              {w.status === 'inactive' && <button type="button" className="btn" onClick={() => act('activate')}>Activate</button>}
              {w.status !== 'archived' && <button type="button" className="btn" onClick={() => act('archive')}>Archive</button>}
              {w.status === 'archived' && <button type="button" className="btn" onClick={() => act('restore')}>Restore</button>}
            </div>
            <InlineError error={error} />
          </>
        )}
      </Async>
      <h2>Cycles</h2>
      <Async state={cycles} empty={(p) => (p.data.length === 0 ? <Empty title="No cycles yet">The first cycle starts at the workload’s start.</Empty> : null)}>
        {(page) => (
          <table className="table" aria-label="Cycles">
            <thead>
              <tr>
                <th>Start</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Done / target</th>
                <th>Skipped</th>
                <th>Task</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((c) => (
                <tr key={c.id}>
                  <td>{formatDateTime(c.periodStart)}</td>
                  <td>
                    <Badge value={c.status} />
                  </td>
                  <td>
                    <ProgressBar progress={{ done: c.done, total: c.target, percent: percentOf(c.done, c.target) }} />
                  </td>
                  <td>
                    {c.done} / {c.target}
                  </td>
                  <td>{c.skipped}</td>
                  <td>{c.taskId ? <Link to={`/tasks/${c.taskId}`}>Open task</Link> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      <div className="grid-2">
        <section>
          <h2>Assignments</h2>
          <Async state={assignments} empty={(a) => (a.data.length === 0 ? <Empty title="No evaluator assignments">Autonomous AutoQA cycles have none.</Empty> : null)}>
            {(a) => (
              <table className="table" aria-label="Assignments">
                <thead>
                  <tr>
                    <th>Evaluator</th>
                    <th>Progress</th>
                    <th>Skipped</th>
                    <th>ETA</th>
                  </tr>
                </thead>
                <tbody>
                  {a.data.map((x) => (
                    <tr key={x.assignmentId}>
                      <td title={x.evaluatorId}>{nameOf(x.evaluatorId)}</td>
                      <td>
                        <ProgressBar progress={{ done: x.done, total: x.total, percent: x.percent }} /> {x.done}/{x.total}
                      </td>
                      <td>{x.skipped}</td>
                      <td>{formatDuration(x.etaSeconds)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Async>
        </section>
        <section>
          <h2>Reviewee scores</h2>
          <Async state={report} empty={(r) => (r.reviewees.length === 0 ? <Empty title="No scores yet">Scores appear once evaluations are saved.</Empty> : null)}>
            {(r) => <ScoreChart report={r} nameOf={nameOf} />}
          </Async>
        </section>
      </div>
    </Layout>
  );
}

const colors = ['#3b5bdb', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#1098ad'];

/** Each reviewee's mean score (0..1) per cycle, as lines in SVG (no inline styles: the CSP forbids them). */
function ScoreChart({ report, nameOf }: { report: WorkloadReport; nameOf: (id: string) => string }) {
  const cycles = report.cycles.map((c) => c.cycleId);
  const width = 360;
  const height = 180;
  const x = (i: number) => (cycles.length <= 1 ? width / 2 : 30 + (i * (width - 50)) / (cycles.length - 1));
  const y = (score: number) => height - 20 - score * (height - 40);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label="Reviewee scores over cycles" width={width} height={height}>
        {[0, 0.5, 1].map((v) => (
          <g key={v}>
            <line x1="28" x2={width - 10} y1={y(v)} y2={y(v)} stroke="#dee2e6" />
            <text x="2" y={y(v) + 4} fontSize="10" fill="#868e96">
              {v.toFixed(1)}
            </text>
          </g>
        ))}
        {report.reviewees.map((r, k) => {
          const points = r.scores.flatMap((s) => (s.score === null ? [] : [[x(cycles.indexOf(s.cycleId)), y(s.score)] as const]));
          const color = colors[k % colors.length];
          return (
            <g key={r.revieweeId}>
              <polyline points={points.map((p) => p.join(',')).join(' ')} fill="none" stroke={color} strokeWidth="2" />
              {points.map(([px, py], i) => (
                <circle key={i} cx={px} cy={py} r="3.5" fill={color} />
              ))}
            </g>
          );
        })}
      </svg>
      <figcaption>
        {report.reviewees.map((r, k) => (
          <span key={r.revieweeId} className="legend-item">
            <svg width="10" height="10" aria-hidden="true">
              <rect width="10" height="10" fill={colors[k % colors.length]} />
            </svg>{' '}
            {nameOf(r.revieweeId)}
            {k < report.reviewees.length - 1 ? '\u2003' : ''}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
