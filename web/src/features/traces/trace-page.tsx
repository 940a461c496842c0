import { useState } from 'react';
import { traces, type TraceDetail, type TraceSpan } from '../../api/traces.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDateTime, humanize } from '../../components/format.ts';
import { Async, Empty } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';
import { latency } from './traces-page.tsx';
import './traces.css';

interface Row {
  span: TraceSpan;
  depth: number;
}

/** Spans in tree order (parents before children, siblings by start), each with its depth. */
function treeOrder(spans: TraceSpan[]): Row[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | null, TraceSpan[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const out: Row[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of (children.get(parent) ?? []).sort((a, b) => String(a.startTime).localeCompare(String(b.startTime)))) {
      out.push({ span: s, depth });
      walk(s.spanId, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

/** One trace: its spans as a waterfall (offset and length on the trace's time line) and the selected span's details. */
export function TracePage({ projectId, traceId }: { projectId: string; traceId: string }) {
  const trace = useApi(() => traces.read(projectId, traceId), [projectId, traceId]);
  return (
    <Layout projectId={projectId}>
      <PageHead
        title={trace.data?.rootName ?? 'Trace'}
        sub={
          <>
            <Link to={`/p/${projectId}/traces`}>Traces</Link> · <span className="mono">{traceId}</span>
            {trace.data && ` · ${formatDateTime(String(trace.data.startTime))} · ${latency(trace.data.durationMs)} · ${trace.data.spanCount} spans`}
          </>
        }
      />
      <Async state={trace} empty={(t) => (t.spans.length === 0 ? <Empty title="This trace has no spans" /> : null)}>
        {(t) => <TraceBody trace={t} />}
      </Async>
    </Layout>
  );
}

function TraceBody({ trace }: { trace: TraceDetail }) {
  const rows = treeOrder(trace.spans);
  const [selected, setSelected] = useState<string>(rows.find((r) => r.span.spanKind === 'LLM')?.span.spanId ?? rows[0]!.span.spanId);
  const start = new Date(String(trace.startTime)).getTime();
  const total = Math.max(1, trace.durationMs);
  const span = trace.spans.find((s) => s.spanId === selected) ?? rows[0]!.span;
  return (
    <div className="trace-layout">
      <div className="waterfall" role="table" aria-label="Span waterfall">
        {rows.map(({ span: s, depth }) => {
          const offset = ((new Date(String(s.startTime)).getTime() - start) / total) * 100;
          const width = Math.max(0.5, (s.durationMs / total) * 100);
          return (
            <div
              key={s.spanId}
              role="row"
              tabIndex={0}
              className={`wf-row${s.spanId === selected ? ' wf-selected' : ''}${s.statusCode === 'error' ? ' wf-error' : ''}`}
              onClick={() => setSelected(s.spanId)}
              onKeyDown={(e) => e.key === 'Enter' && setSelected(s.spanId)}
            >
              <div role="cell" className={`wf-name wf-depth-${Math.min(depth, 5)}`}>
                <Badge value={s.spanKind ?? s.otelKind} kind={s.spanKind ? 'for_review' : 'none'} />
                <span className="truncate" title={s.name}>
                  {s.name}
                </span>
              </div>
              <div role="cell" className="wf-bar">
                <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
                  <rect x={Math.min(offset, 99.5)} y="1" width={Math.min(width, 100 - Math.min(offset, 99.5))} height="8" rx="1.5" />
                </svg>
              </div>
              <div role="cell" className="num muted small">
                {latency(s.durationMs)}
              </div>
            </div>
          );
        })}
      </div>
      <SpanDetail span={span} />
    </div>
  );
}

function SpanDetail({ span }: { span: TraceSpan }) {
  return (
    <section className="card span-detail" aria-label="Span details">
      <h2 className="truncate">{span.name}</h2>
      <p className="muted small">
        {humanize(span.spanKind ?? span.otelKind)} · {latency(span.durationMs)} · <Badge value={span.statusCode} kind={span.statusCode} />
        {span.model && ` · ${span.model}`}
        {span.totalTokens !== null && ` · ${span.totalTokens} tokens (${span.promptTokens ?? '?'} in, ${span.completionTokens ?? '?'} out)`}
      </p>
      {span.statusMessage && <p className="inline-error">{span.statusMessage}</p>}
      <h3>Input</h3>
      {span.input ? <pre className="code-block">{span.input}</pre> : <p className="muted small">None</p>}
      <h3>Output</h3>
      {span.output ? <pre className="code-block">{span.output}</pre> : <p className="muted small">None</p>}
      <h3>Evaluations</h3>
      {span.evaluations.length === 0 ? (
        <p className="muted small">No evaluation results on this span.</p>
      ) : (
        <table className="table table-compact">
          <tbody>
            {span.evaluations.map((e) => (
              <tr key={`${e.evaluatorId}-${e.runId}`}>
                <td>
                  <Badge value={e.label ?? '—'} />
                </td>
                <td className="num">{e.score ?? '—'}</td>
                <td className="truncate" title={e.explanation ?? ''}>
                  {e.explanation}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Attributes</h3>
      <pre className="code-block">{JSON.stringify(span.attributes, null, 2)}</pre>
      {span.events.length > 0 && (
        <>
          <h3>Events</h3>
          <pre className="code-block">{JSON.stringify(span.events, null, 2)}</pre>
        </>
      )}
      <h3>Resource</h3>
      <pre className="code-block">{JSON.stringify(span.resource, null, 2)}</pre>
    </section>
  );
}
