/**
 * Three small SVG charts drawn by hand: a histogram, a line of progress over time, and a matrix
 * whose cells can be clicked. A chart library would weigh more than the whole app; these need
 * only scales and rectangles, and SVG attributes pass the strict CSP (no inline style).
 */
import { ratio } from '../../components/format.ts';

export function Histogram({ bins, label }: { bins: Array<{ from: number; to: number; count: number }>; label: string }) {
  if (bins.length === 0) return <p className="muted">No scores yet.</p>;
  const W = 320;
  const H = 140;
  const pad = 22;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const bw = (W - pad * 2) / bins.length;
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <line className="axis" x1={pad} y1={H - pad} x2={W - pad} y2={H - pad} />
      {bins.map((b, i) => {
        const h = ((H - pad * 2) * b.count) / max;
        return (
          <g key={i}>
            <rect className="bar" x={pad + i * bw + 1} y={H - pad - h} width={Math.max(1, bw - 2)} height={h}>
              <title>{`${ratio(b.from)}–${ratio(b.to)}: ${b.count}`}</title>
            </rect>
            {b.count > 0 && (
              <text className="chart-value" x={pad + i * bw + bw / 2} y={H - pad - h - 3} textAnchor="middle">
                {b.count.toLocaleString()}
              </text>
            )}
          </g>
        );
      })}
      <text className="chart-tick" x={pad} y={H - 6}>
        {ratio(bins[0]!.from, 1)}
      </text>
      <text className="chart-tick" x={W - pad} y={H - 6} textAnchor="end">
        {ratio(bins[bins.length - 1]!.to, 1)}
      </text>
    </svg>
  );
}

export function ProgressLine({ points, total, label }: { points: Array<{ at: string; done: number }>; total: number; label: string }) {
  if (points.length === 0) return <p className="muted">No progress yet.</p>;
  const W = 320;
  const H = 140;
  const pad = 22;
  const times = points.map((p) => new Date(p.at).getTime());
  const t0 = Math.min(...times);
  const t1 = Math.max(t0 + 1, ...times);
  const max = Math.max(1, total, ...points.map((p) => p.done));
  const x = (t: number) => pad + ((W - pad * 2) * (t - t0)) / (t1 - t0);
  const y = (v: number) => H - pad - ((H - pad * 2) * v) / max;
  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(times[i]!).toFixed(1)},${y(p.done).toFixed(1)}`).join(' ');
  const last = points[points.length - 1]!;
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <line className="axis" x1={pad} y1={H - pad} x2={W - pad} y2={H - pad} />
      <line className="axis axis-goal" x1={pad} y1={y(total)} x2={W - pad} y2={y(total)} />
      <path className="line" d={path} />
      {points.map((p, i) => (
        <circle key={i} className="dot" cx={x(times[i]!)} cy={y(p.done)} r="2.5">
          <title>{`${new Date(p.at).toLocaleString()}: ${p.done.toLocaleString()} done`}</title>
        </circle>
      ))}
      <text className="chart-value" x={W - pad} y={y(last.done) - 6} textAnchor="end">
        {last.done.toLocaleString()} / {total.toLocaleString()}
      </text>
    </svg>
  );
}

/** A heat-map matrix; `onCell` makes cells buttons (the confusion matrix lists the cell's items). */
export function Matrix({
  rows,
  cols,
  values,
  label,
  format = (v) => (v === null ? '—' : String(v)),
  onCell,
  selected,
}: {
  rows: string[];
  cols: string[];
  values: Array<Array<number | null>>;
  label: string;
  format?: (v: number | null) => string;
  onCell?: (r: number, c: number) => void;
  selected?: [number, number] | null;
}) {
  if (rows.length === 0) return <p className="muted">Not enough data yet.</p>;
  const cell = 40;
  const head = 84;
  const W = head + cols.length * cell;
  const H = head + rows.length * cell;
  const max = Math.max(1e-9, ...values.flat().map((v) => (v === null ? 0 : Math.abs(v))));
  const short = (s: string) => (s.length > 11 ? `${s.slice(0, 10)}…` : s);
  return (
    <div className="matrix-wrap">
      <svg className="chart matrix" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label}>
        {cols.map((c, j) => (
          <text key={c} className="chart-tick" transform={`translate(${head + j * cell + cell / 2},${head - 6}) rotate(-45)`}>
            <title>{c}</title>
            {short(c)}
          </text>
        ))}
        {rows.map((r, i) => (
          <text key={r} className="chart-tick" x={head - 6} y={head + i * cell + cell / 2 + 4} textAnchor="end">
            <title>{r}</title>
            {short(r)}
          </text>
        ))}
        {values.map((row, i) =>
          row.map((v, j) => {
            const isSel = selected?.[0] === i && selected?.[1] === j;
            return (
              <g
                key={`${i}-${j}`}
                className={onCell ? 'cell cell-click' : 'cell'}
                onClick={onCell ? () => onCell(i, j) : undefined}
                role={onCell ? 'button' : undefined}
                tabIndex={onCell ? 0 : undefined}
                aria-label={`${rows[i]} × ${cols[j]}: ${format(v)}`}
                onKeyDown={onCell ? (e) => (e.key === 'Enter' || e.key === ' ') && onCell(i, j) : undefined}
              >
                <rect className={`cell-bg${isSel ? ' cell-selected' : ''}`} x={head + j * cell} y={head + i * cell} width={cell - 2} height={cell - 2} rx="3" />
                <rect className="cell-heat" x={head + j * cell} y={head + i * cell} width={cell - 2} height={cell - 2} rx="3" fillOpacity={v === null ? 0 : 0.12 + (0.8 * Math.abs(v)) / max} />
                <text className="cell-text" x={head + j * cell + cell / 2 - 1} y={head + i * cell + cell / 2 + 4} textAnchor="middle">
                  {format(v)}
                </text>
              </g>
            );
          }),
        )}
      </svg>
    </div>
  );
}
