import { useState } from 'react';
import { evaluatorsApi, type DecisionName, type TestCaseResult } from '../../api/evaluators.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDateTime } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';

const decisionNames: DecisionName[] = ['scored', 'error', 'filtered_out', 'sampled_out', 'draft', 'duplicate', 'rate_limited'];
const time = (d: unknown) => formatDateTime(d as string);

/** One run: its counts, its log, the decision log (filterable), and for a dataset run its results per test case. */
export function EvalRunPage({ runId }: { runId: string }) {
  const run = useApi(() => evaluatorsApi.run(runId), [runId]);
  const logs = useApi(() => evaluatorsApi.logs(runId), [runId]);
  const [decision, setDecision] = useState<DecisionName | ''>('');
  const decisions = useApi(() => evaluatorsApi.decisions(runId, decision || undefined), [runId, decision]);
  return (
    <Layout projectId={run.data?.projectId}>
      <Async state={run}>
        {(r) => (
          <>
            <PageHead title={`Evaluation run · ${r.kind}`} sub={`${r.status} · started ${time(r.startedAt)}${r.endedAt ? ` · ended ${time(r.endedAt)}` : ''}`} />
            <div className="counts-row" aria-label="Decision counts">
              {decisionNames.map((d) => (
                <button key={d} type="button" className={`count-chip${decision === d ? ' count-active' : ''}`} onClick={() => setDecision(decision === d ? '' : d)}>
                  <span className="count-n">{r.counts[d]}</span> {d.replace('_', ' ')}
                </button>
              ))}
            </div>
            {r.kind === 'dataset' && <DatasetResults runId={runId} />}
          </>
        )}
      </Async>
      <div className="grid-2">
        <section className="stack">
          <h2>Decisions{decision ? ` · ${decision.replace('_', ' ')}` : ''}</h2>
          <Async state={decisions} empty={(p) => (p.data.length === 0 ? <Empty title="No decisions">Nothing of this kind in this run.</Empty> : null)}>
            {(page) => (
              <div className="table-wrap">
                <table className="table table-compact" aria-label="Decisions">
                  <thead>
                    <tr>
                      <th>Subject</th>
                      <th>Decision</th>
                      <th>Message</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((d) => (
                      <tr key={d.id}>
                        <td className="truncate mono">{d.itemId ? `…${d.itemId.slice(-12)}` : `${d.traceId?.slice(0, 8)}…/${d.spanId}`}</td>
                        <td>
                          <Badge value={d.decision} kind={d.decision === 'scored' ? 'completed' : d.decision === 'error' || d.decision === 'rate_limited' ? 'priohigh' : 'none'} />
                        </td>
                        <td className="truncate">{d.message ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Async>
        </section>
        <section className="stack">
          <h2>Log</h2>
          <Async state={logs} empty={(p) => (p.data.length === 0 ? <Empty title="No log lines yet" /> : null)}>
            {(page) => (
              <ol className="run-log" aria-label="Run log">
                {page.data.map((l) => (
                  <li key={l.id} className={`log-${l.level}`}>
                    <span className="muted">{time(l.at)}</span> {l.message}
                  </li>
                ))}
              </ol>
            )}
          </Async>
        </section>
      </div>
    </Layout>
  );
}

function DatasetResults({ runId }: { runId: string }) {
  const results = useApi(() => evaluatorsApi.results(runId), [runId]);
  return (
    <section className="stack">
      <h2>Results per test case</h2>
      <Async state={results} empty={(p) => (p.data.length === 0 ? <Empty title="No results">This run scored no test case.</Empty> : null)}>
        {(page) => (
          <div className="table-wrap">
            <table className="table" aria-label="Test case results">
              <thead>
                <tr>
                  <th>Test case</th>
                  <th>Result</th>
                  <th>Checks</th>
                  <th>Reason</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {page.data.map((r) => (
                  <ResultRow key={r.itemId} result={r} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </section>
  );
}

function ResultRow({ result }: { result: TestCaseResult }) {
  const [ticket, setTicket] = useState<{ id: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      setTicket(await evaluatorsApi.ticket(result.id, true));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <td className="mono truncate">…{result.itemId.slice(-12)}</td>
      <td>
        <Badge value={result.passed ? 'passed' : 'failed'} kind={result.passed ? 'completed' : 'priohigh'} />
      </td>
      <td>
        {result.checks.map((c) => (
          <span key={c.resultId} className={`check ${c.passed ? 'check-ok' : 'check-bad'}`} title={c.explanation}>
            {c.evaluatorName}: {c.label}
          </span>
        ))}
      </td>
      <td className="truncate" title={result.reason ?? ''}>
        {result.reason ?? ''}
      </td>
      <td>
        {!result.passed &&
          (ticket ? (
            <Link to={`/tasks/${ticket.id}`}>Ticket created</Link>
          ) : (
            <button type="button" className="btn" disabled={busy} onClick={() => void create()} title="Create a ticket linked to this result and set the test case to draft">
              Create ticket
            </button>
          ))}
        <InlineError error={error} />
      </td>
    </tr>
  );
}
