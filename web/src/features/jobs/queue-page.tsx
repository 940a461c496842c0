import { useState } from 'react';
import { jobStates, jobsApi } from '../../api/exports.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link, useSearch } from '../../app/router.tsx';
import { useApi, usePolling } from '../../app/use-api.ts';
import { formatDateTime, humanize } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Badge, Dialog } from '../../components/widgets.tsx';

/** The job queue (administrators, docs/jobs.md): live counts, pause and resume, clear, clean, retry, job detail. */
export function QueuePage() {
  const { search, set } = useSearch();
  const state = search.get('state') ?? undefined;
  const queue = search.get('queue') ?? undefined;
  const jobId = search.get('job');
  const stats = useApi(() => jobsApi.stats(), []);
  const jobs = useApi(() => jobsApi.list({ state, queue }), [state, queue]);
  usePolling(stats.reload, 2000);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const act = async (label: string, fn: () => Promise<Record<string, unknown>>) => {
    setError(undefined);
    setMessage(null);
    try {
      const result = await fn();
      const n = result.deleted ?? result.retried;
      // Pause and resume show in the banner and the button; the others say how many jobs moved.
      setMessage(n === undefined ? null : `${label}: ${String(n)}`);
      stats.reload();
      jobs.reload();
    } catch (e) {
      setError(e);
    }
  };
  const confirmThen = (question: string, label: string, fn: () => Promise<Record<string, unknown>>) => {
    if (window.confirm(question)) void act(label, fn);
  };
  return (
    <Layout>
      <PageHead title="Job queue" sub="Background jobs of every project: exports, sweeps, schedules">
        {stats.data?.paused ? (
          <button type="button" className="btn btn-primary" onClick={() => void act('Resumed', jobsApi.resume)}>
            Resume
          </button>
        ) : (
          <button type="button" className="btn" onClick={() => void act('Paused', jobsApi.pause)}>
            Pause
          </button>
        )}
        <button type="button" className="btn" onClick={() => void act('Retried', () => jobsApi.retryFailed(queue))}>
          Retry failed
        </button>
        <button type="button" className="btn" onClick={() => confirmThen('Delete completed and failed jobs older than 24 hours?', 'Cleaned', jobsApi.clean)}>
          Clean
        </button>
        <button type="button" className="btn" onClick={() => confirmThen(`Delete every waiting and delayed job${queue ? ` of ${queue}` : ''}?`, 'Cleared', () => jobsApi.clear(queue))}>
          Clear
        </button>
      </PageHead>
      {stats.data?.paused && (
        <p className="inline-error" role="status">
          The queue is paused: running jobs finish, no new job starts.
        </p>
      )}
      {message && (
        <p className="muted" role="status">
          {message}
        </p>
      )}
      <InlineError error={error} />
      <Async state={stats} empty={(s) => (s.queues.length === 0 ? <Empty title="No queues">Queues appear when a worker starts.</Empty> : null)}>
        {(s) => (
          <table className="table" aria-label="Queues">
            <thead>
              <tr>
                <th>Queue</th>
                {jobStates.map((k) => (
                  <th key={k}>{humanize(k)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {s.queues.map((q) => (
                <tr key={q.name} className={q.name === queue ? 'card-active' : undefined}>
                  <td>
                    <Link to={`/admin/queue?queue=${encodeURIComponent(q.name)}`}>{q.name}</Link>
                  </td>
                  {jobStates.map((k) => (
                    <td key={k}>
                      {q[k] ? (
                        <Link to={`/admin/queue?queue=${encodeURIComponent(q.name)}&state=${k}`}>{q[k]}</Link>
                      ) : (
                        <span className="muted">0</span>
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      <div className="toolbar">
        <h2>Jobs</h2>
        <select aria-label="State" value={state ?? ''} onChange={(e) => set({ state: e.target.value || null })}>
          <option value="">Every state</option>
          {jobStates.map((k) => (
            <option key={k} value={k}>
              {humanize(k)}
            </option>
          ))}
        </select>
        {queue && (
          <button type="button" className="btn btn-ghost" onClick={() => set({ queue: null })}>
            {queue} ×
          </button>
        )}
      </div>
      <Async state={jobs} empty={(p) => (p.data.length === 0 ? <Empty title="No jobs">No job matches these filters.</Empty> : null)}>
        {(p) => (
          <table className="table" aria-label="Jobs">
            <thead>
              <tr>
                <th>Queue</th>
                <th>State</th>
                <th>Created</th>
                <th>Finished</th>
                <th>Retries</th>
              </tr>
            </thead>
            <tbody>
              {p.data.map((j) => (
                <tr key={j.id}>
                  <td>
                    <Link to={`/admin/queue?${new URLSearchParams({ ...(queue ? { queue } : {}), ...(state ? { state } : {}), job: j.id }).toString()}`}>{j.queue}</Link>
                  </td>
                  <td>
                    <Badge value={j.state} />
                  </td>
                  <td>{formatDateTime(j.createdAt)}</td>
                  <td>{formatDateTime(j.completedAt)}</td>
                  <td>{j.retryCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
      {jobId && <JobDetail jobId={jobId} onClose={() => set({ job: null })} />}
    </Layout>
  );
}

function JobDetail({ jobId, onClose }: { jobId: string; onClose: () => void }) {
  const job = useApi(() => jobsApi.get(jobId), [jobId]);
  return (
    <Dialog title="Job" onClose={onClose}>
      <Async state={job}>
        {(j) => (
          <div className="stack">
            <div className="row">
              <strong>{j.queue}</strong>
              <Badge value={j.state} />
              <span className="muted">{j.retryCount} retries</span>
            </div>
            <code className="muted">{j.id}</code>
            {j.error && (
              <p className="inline-error" role="alert">
                {j.error}
              </p>
            )}
            <h3>Data</h3>
            <pre className="code">{JSON.stringify(j.data, null, 2)}</pre>
            <h3>Log</h3>
            {j.logs.length === 0 ? (
              <p className="muted">No log lines.</p>
            ) : (
              <ol className="card-list" aria-label="Log">
                {j.logs.map((l, i) => (
                  <li key={i}>
                    <span className="muted">{formatDateTime(l.createdAt)}</span> {l.message}
                  </li>
                ))}
              </ol>
            )}
          </div>
        )}
      </Async>
    </Dialog>
  );
}
