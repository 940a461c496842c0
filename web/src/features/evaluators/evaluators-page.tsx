import { useState } from 'react';
import { evaluatorsApi, type EvalRun, type EvalTask, type Evaluator } from '../../api/evaluators.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link } from '../../app/router.tsx';
import { useRole } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDate, formatDateTime } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';

const describe = (e: Evaluator) => (e.kind === 'code' ? `code · ${e.check}` : `LLM judge · ${e.model} · ${Object.keys(e.labels ?? {}).join(' / ')}`);

/** A run as a small pill: green when it scored without errors, amber with errors, red when it failed or stopped. */
export function RunPill({ run }: { run: EvalRun }) {
  const bad = run.status === 'failed' || run.status === 'stopped';
  const warn = run.counts.error + run.counts.rate_limited > 0;
  const tone = bad ? 'pill-bad' : warn ? 'pill-warn' : run.status === 'completed' ? 'pill-ok' : 'pill-idle';
  const title = `${run.kind} · ${run.status} · ${run.counts.scored} scored, ${run.counts.error} errors · ${formatDateTime(run.createdAt as unknown as string)}`;
  return (
    <Link to={`/eval-runs/${run.id}`} className={`run-pill ${tone}`} title={title} aria-label={title}>
      {run.counts.scored}
    </Link>
  );
}

/** The evaluators hub: the project's evaluators and its evaluation tasks with their last five runs. */
export function EvaluatorsPage({ projectId }: { projectId: string }) {
  const { atLeast } = useRole(projectId);
  const evaluators = useApi(() => evaluatorsApi.list(projectId), [projectId]);
  const tasks = useApi(() => evaluatorsApi.tasks(projectId), [projectId]);
  const [error, setError] = useState<unknown>(null);
  const names = new Map((evaluators.data?.data ?? []).map((e) => [e.id, e.name]));

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      tasks.reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Layout projectId={projectId}>
      <PageHead title="Evaluators" sub="Code checks and LLM judges, and the tasks that run them over traces and datasets" />
      <section className="stack">
        <h2>Evaluation tasks</h2>
        <InlineError error={error} />
        <Async state={tasks} empty={(p) => (p.data.length === 0 ? <Empty title="No evaluation tasks yet">Create one with the API or `loupe eval-tasks create`.</Empty> : null)}>
          {(page) => (
            <div className="table-wrap">
              <table className="table" aria-label="Evaluation tasks">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Target</th>
                    <th>Evaluators</th>
                    <th>Created</th>
                    <th>Last run</th>
                    <th>Last five runs</th>
                    <th>Status</th>
                    {atLeast('manager') && <th />}
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((t: EvalTask) => (
                    <tr key={t.id}>
                      <td>
                        <strong>{t.name}</strong>
                        <div className="muted small">
                          {t.continuous ? `continuous · ${t.quietSeconds}s quiet` : 'on request'} · {Math.round(t.samplingRate * 100)}% sampled
                        </div>
                      </td>
                      <td>{t.target.kind === 'dataset' ? 'Dataset' : 'Spans'}</td>
                      <td className="truncate">{t.evaluatorIds.map((id) => names.get(id) ?? id.slice(0, 8)).join(', ')}</td>
                      <td>{formatDate(t.createdAt as unknown as string)}</td>
                      <td>{t.lastRuns[0] ? <Link to={`/eval-runs/${t.lastRuns[0].id}`}>{formatDateTime(t.lastRuns[0].createdAt as unknown as string)}</Link> : <span className="muted">never</span>}</td>
                      <td>
                        <div className="run-pills">
                          {t.lastRuns.length ? [...t.lastRuns].reverse().map((r) => <RunPill key={r.id} run={r} />) : <span className="muted">—</span>}
                        </div>
                      </td>
                      <td>
                        <Badge value={t.status} kind={t.status === 'blocked' ? 'priohigh' : t.status === 'active' ? 'completed' : 'open'} />
                        {t.blockedReason && <div className="blocked-reason">{t.blockedReason}</div>}
                      </td>
                      {atLeast('manager') && (
                        <td className="actions">
                          {t.status === 'active' ? (
                            <>
                              <button type="button" className="btn" onClick={() => void act(() => evaluatorsApi.backfill(t.id))}>
                                Run now
                              </button>
                              <button type="button" className="btn btn-ghost" onClick={() => void act(() => evaluatorsApi.pause(t.id))}>
                                Pause
                              </button>
                            </>
                          ) : (
                            <button type="button" className="btn btn-primary" onClick={() => void act(() => evaluatorsApi.resume(t.id))}>
                              Resume
                            </button>
                          )}
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Async>
        <h2>Evaluators</h2>
        <Async state={evaluators} empty={(p) => (p.data.length === 0 ? <Empty title="No evaluators yet">Create one with the API or `loupe evaluators create`.</Empty> : null)}>
          {(page) => (
            <ul className="card-list">
              {page.data.map((e) => (
                <li key={e.id} className="card">
                  <strong>{e.name}</strong> <span className="muted">· {describe(e)}</span>
                </li>
              ))}
            </ul>
          )}
        </Async>
      </section>
    </Layout>
  );
}
