import type { ItemPayload, TraceSpan } from '../../api/types.ts';
import { humanize } from '../../components/format.ts';

/** Conversations and test cases: the turns, the expected output and each check's result. */
export function ConversationViewer({ payload }: { payload: ItemPayload }) {
  const turns = payload.turns ?? payload.messages ?? [];
  const expected = payload.expectedOutput ?? payload.expected_output;
  const checks = payload.checks ?? [];
  return (
    <div className="conversation">
      {turns.length === 0 && <p className="muted">This item has no turns.</p>}
      {turns.map((t, i) => (
        <div key={i} className={`turn turn-${t.role === 'user' || t.role === 'human' ? 'user' : t.role === 'system' ? 'system' : 'assistant'}`}>
          <span className="turn-role">{t.role}</span>
          <div className="turn-content">{typeof t.content === 'string' ? t.content : JSON.stringify(t.content)}</div>
        </div>
      ))}
      {expected !== undefined && (
        <div className="expected">
          <span className="turn-role">expected output</span>
          <div className="turn-content">{typeof expected === 'string' ? expected : JSON.stringify(expected, null, 2)}</div>
        </div>
      )}
      {checks.length > 0 && (
        <ul className="checks" aria-label="Check results">
          {checks.map((c, i) => (
            <li key={i} className={c.passed ? 'check-pass' : 'check-fail'}>
              <span className="check-mark" aria-hidden="true">
                {c.passed ? '✓' : '✗'}
              </span>
              <strong>{c.check}</strong>
              <span className="visually-hidden">{c.passed ? 'passed' : 'failed'}</span>
              {c.reason && <span className="check-reason">{c.reason}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

interface SpanNode {
  span: TraceSpan;
  children: SpanNode[];
}

function tree(spans: TraceSpan[]): SpanNode[] {
  const nodes = new Map(spans.map((s) => [s.spanId, { span: s, children: [] as SpanNode[] }]));
  const roots: SpanNode[] = [];
  for (const n of nodes.values()) {
    const parent = n.span.parentSpanId ? nodes.get(n.span.parentSpanId) : undefined;
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  return roots;
}

function SpanRow({ node, depth, total }: { node: SpanNode; depth: number; total: number }) {
  const s = node.span;
  const ms = s.durationMs ?? (s.startTime && s.endTime ? new Date(s.endTime).getTime() - new Date(s.startTime).getTime() : null);
  const kind = (s.kind ?? (s.attributes?.['openinference.span.kind'] as string | undefined)) || 'span';
  return (
    <>
      <details className={`span-row depth-${Math.min(depth, 8)}`} open={depth < 2}>
        <summary>
          <span className="span-kind">{humanize(kind)}</span>
          <span className="truncate span-name">{s.name}</span>
          {ms !== null && (
            <svg className="span-bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true">
              <rect x="0" y="0" width={Math.max(1, (100 * ms) / Math.max(1, total))} height="6" rx="2" />
            </svg>
          )}
          <span className="muted small">{ms !== null ? `${Math.round(ms)} ms` : ''}</span>
        </summary>
        {s.attributes && Object.keys(s.attributes).length > 0 && (
          <dl className="attrs">
            {Object.entries(s.attributes).map(([k, v]) => (
              <div key={k} className="attr">
                <dt>{k}</dt>
                <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
              </div>
            ))}
          </dl>
        )}
      </details>
      {node.children.map((c) => (
        <SpanRow key={c.span.spanId} node={c} depth={depth + 1} total={total} />
      ))}
    </>
  );
}

/** A trace as its span tree, with durations and attributes (input, output, model, tokens). */
export function TraceViewer({ payload }: { payload: ItemPayload }) {
  const spans = payload.spans ?? [];
  if (spans.length === 0) {
    return (
      <p className="muted">
        Trace <code>{payload.traceId}</code>
        {payload.spanId ? (
          <>
            {' '}
            span <code>{payload.spanId}</code>
          </>
        ) : null}
        : its spans are not part of this item.
      </p>
    );
  }
  const total = Math.max(...spans.map((s) => s.durationMs ?? (s.startTime && s.endTime ? new Date(s.endTime).getTime() - new Date(s.startTime).getTime() : 0)));
  return (
    <div className="trace">
      {tree(spans).map((n) => (
        <SpanRow key={n.span.spanId} node={n} depth={0} total={total} />
      ))}
    </div>
  );
}

export function RecordViewer({ payload }: { payload: unknown }) {
  return <pre className="code-block">{JSON.stringify(payload, null, 2)}</pre>;
}
