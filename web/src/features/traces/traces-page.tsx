import { useState, type FormEvent } from 'react';
import { traces } from '../../api/traces.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link, useSearch } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDateTime } from '../../components/format.ts';
import { Async, Empty } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';
import './traces.css';

export const latency = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`);

/** Traces of a project, newest first: root span, start, latency, spans, model, tokens, status. */
export function TracesPage({ projectId }: { projectId: string }) {
  const { search, set } = useSearch();
  const model = search.get('model') ?? '';
  const status = search.get('status') ?? '';
  const cursor = search.get('cursor') ?? '';
  const [draftModel, setDraftModel] = useState(model);
  const list = useApi(
    () => traces.list(projectId, { limit: 50, ...(model ? { model } : {}), ...(status ? { status: status as 'ok' | 'error' } : {}), ...(cursor ? { cursor } : {}) }),
    [projectId, model, status, cursor],
  );
  const apply = (event: FormEvent) => {
    event.preventDefault();
    set({ model: draftModel || null, cursor: null });
  };
  return (
    <Layout projectId={projectId}>
      <PageHead title="Traces" sub="Sent by your applications over OTLP/HTTP (POST /v1/traces with an ingest token)" />
      <form className="toolbar trace-filters" onSubmit={apply}>
        <input aria-label="Model" placeholder="Model, e.g. gpt-4o-mini" value={draftModel} onChange={(e) => setDraftModel(e.target.value)} />
        <select aria-label="Status" value={status} onChange={(e) => set({ status: e.target.value || null, cursor: null })}>
          <option value="">Any status</option>
          <option value="ok">OK</option>
          <option value="error">Error</option>
        </select>
        <button type="submit" className="btn">
          Filter
        </button>
        {(model || status) && (
          <button type="button" className="btn btn-ghost" onClick={() => { setDraftModel(''); set({ model: null, status: null, cursor: null }); }}>
            Clear
          </button>
        )}
      </form>
      <Async
        state={list}
        empty={(p) =>
          p.data.length === 0 ? (
            <Empty title={model || status ? 'No trace matches these filters' : 'No traces yet'}>
              Create an ingest token for this project and point an OpenTelemetry OTLP/HTTP exporter at <code>/v1/traces</code>.
            </Empty>
          ) : null
        }
      >
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Trace</th>
                    <th>Started</th>
                    <th className="num">Latency</th>
                    <th className="num">Spans</th>
                    <th>Model</th>
                    <th className="num">Tokens</th>
                    <th>Status</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((t) => (
                    <tr key={t.traceId}>
                      <td className="truncate">
                        <Link to={`/p/${projectId}/traces/${t.traceId}`}>{t.rootName ?? <span className="muted">(root span not received)</span>}</Link>
                        <div className="muted small mono">{t.traceId.slice(0, 16)}…</div>
                      </td>
                      <td>{formatDateTime(t.startTime)}</td>
                      <td className="num">{latency(t.durationMs)}</td>
                      <td className="num">{t.spanCount}</td>
                      <td className="truncate">{t.model ?? <span className="muted">—</span>}</td>
                      <td className="num">{t.totalTokens || <span className="muted">—</span>}</td>
                      <td>
                        <Badge value={t.statusCode} kind={t.statusCode} />
                        {t.errorCount > 0 && <span className="muted small"> {t.errorCount} failed</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="toolbar">
              {cursor && (
                <button type="button" className="btn" onClick={() => set({ cursor: null })}>
                  Newest
                </button>
              )}
              {page.nextCursor && (
                <button type="button" className="btn" onClick={() => set({ cursor: page.nextCursor })}>
                  Older traces
                </button>
              )}
            </div>
          </>
        )}
      </Async>
    </Layout>
  );
}
