/**
 * Time-series charts drawn with uPlot (small, maintained, canvas: no inline styles, so the strict
 * CSP holds). Used by the episode viewer (state and action channels over frames) and the
 * progress reports.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563'];
export const seriesColor = (i: number) => palette[i % palette.length]!;

/** A day on a time axis (unix seconds at UTC midnight): "Nov 30". */
const dayLabel = (seconds: number) => new Date(seconds * 1000).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

export interface Band {
  from: number;
  to: number;
  color: string;
}

/**
 * One chart: `x` values and one array per series. `marker` draws a vertical line at that x (the
 * current frame); `bands` shade x ranges (segments); `onPick` gets the x clicked.
 */
export function TimeSeries(props: {
  x: number[];
  series: Array<{ label: string; values: Array<number | null> }>;
  height?: number;
  marker?: number;
  bands?: Band[];
  onPick?: (x: number) => void;
  xLabel?: string;
  ariaLabel: string;
  bars?: boolean;
  /** x values are unix seconds: dates on the axis. */
  timeAxis?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const overlay = useRef({ marker: props.marker, bands: props.bands ?? [] });
  const pick = useRef(props.onPick);
  overlay.current = { marker: props.marker, bands: props.bands ?? [] };
  pick.current = props.onPick;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth);
    const latest = props.x.findLastIndex((_, i) => props.series.some((s) => s.values[i] !== null && s.values[i] !== undefined));
    const showLatest = (u: uPlot) => {
      if (latest >= 0) u.setLegend({ idx: latest }, false);
    };
    const opts: uPlot.Options = {
      width,
      height: props.height ?? 180,
      // Bars over categories 1…n: whole-number ticks and half a slot of room at each end.
      // Bars on a time axis: half a step of room at each end, so the first and last bars show whole.
      scales: {
        // Counts start at zero: a bar's height is its count.
        ...(props.bars ? { y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, max * 1.1)] } } : {}),
        x:
          props.bars && !props.timeAxis
            ? { time: false, range: [0.5, props.x.length + 0.5] }
            : props.bars && props.x.length > 1
              ? { time: true, range: [props.x[0]! - (props.x[1]! - props.x[0]!) / 2, props.x[props.x.length - 1]! + (props.x[1]! - props.x[0]!) / 2] }
              : { time: props.timeAxis ?? false },
      },
      legend: { show: true },
      // A time axis counts whole days ("Nov 28"), never hours of a day.
      axes: [
        props.bars && !props.timeAxis
          ? { label: props.xLabel, incrs: [1], values: (_u: uPlot, ticks: number[]) => ticks.map((t) => String(t)) }
          : props.timeAxis
            ? { label: props.xLabel, incrs: [86_400, 2 * 86_400, 7 * 86_400, 30 * 86_400], values: (_u: uPlot, ticks: number[]) => ticks.map(dayLabel) }
            : { label: props.xLabel },
        {},
      ],
      series: [
        {
          label: props.xLabel ?? (props.timeAxis ? 'day' : 'x'),
          // The legend names a day as the axis does ("Nov 30"), not as a time of day.
          ...(props.timeAxis ? { value: (_u: uPlot, v: number | null) => (v === null ? '' : dayLabel(v)) } : {}),
        },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: seriesColor(i),
          width: 1.5,
          ...(props.bars ? { paths: uPlot.paths.bars!({ size: [0.6, 40] }), fill: seriesColor(i) + '66' } : {}),
        })),
      ],
      hooks: {
        // Away from the cursor the legend shows the last point with a value, not "--".
        ready: [(u) => showLatest(u)],
        setCursor: [(u) => (u.cursor.idx === null || u.cursor.idx === undefined ? showLatest(u) : undefined)],
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            ctx.save();
            for (const b of overlay.current.bands) {
              const x0 = u.valToPos(b.from - 0.5, 'x', true);
              const x1 = u.valToPos(b.to + 0.5, 'x', true);
              ctx.fillStyle = b.color;
              ctx.fillRect(Math.max(bbox.left, x0), bbox.top, Math.min(bbox.left + bbox.width, x1) - Math.max(bbox.left, x0), bbox.height);
            }
            if (overlay.current.marker !== undefined) {
              const x = u.valToPos(overlay.current.marker, 'x', true);
              ctx.strokeStyle = '#111827';
              ctx.lineWidth = 2;
              ctx.beginPath();
              ctx.moveTo(x, bbox.top);
              ctx.lineTo(x, bbox.top + bbox.height);
              ctx.stroke();
            }
            ctx.restore();
          },
        ],
      },
    };
    const data = [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData;
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const onClick = () => {
      const left = u.cursor.left;
      if (left === undefined || left < 0 || !pick.current) return;
      pick.current(Math.round(u.posToVal(left, 'x')));
    };
    u.over.addEventListener('click', onClick);
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(240, el.clientWidth), height: props.height ?? 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.over.removeEventListener('click', onClick);
      u.destroy();
      plot.current = null;
    };
    // The chart is rebuilt when its data changes; marker and bands only redraw (below).
  }, [props.x, props.series, props.height]);

  useEffect(() => {
    plot.current?.redraw(false);
  }, [props.marker, props.bands]);

  return <div ref={box} className="timeseries" role="img" aria-label={props.ariaLabel} />;
}
