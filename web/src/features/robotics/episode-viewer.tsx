/**
 * An `episode` item (docs/robotics.md): its state and action channels plotted over the frames,
 * a frame scrubber (mouse and keys: ←/→ one frame, Shift ten, Home/End), the linked video when
 * the payload has an http(s) URL (the browser loads it; the server never does), and segments:
 * a label over a frame range, marked with [ and ].
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Shape } from '../../api/types.ts';
import { TimeSeries, seriesColor, type Band } from './time-series.tsx';
import './robotics.css';

interface Frame {
  timestamp?: number;
  observation?: { state?: number[] };
  action?: number[];
}

const channels = (frames: Frame[], pick: (f: Frame) => number[] | undefined, name: string) => {
  const width = Math.max(0, ...frames.map((f) => pick(f)?.length ?? 0));
  return Array.from({ length: width }, (_, c) => ({ label: `${name}[${c}]`, values: frames.map((f) => pick(f)?.[c] ?? null) }));
};

const safeVideo = (url: unknown) => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);

export function EpisodeViewer(props: {
  payload: Record<string, unknown>;
  shapes: Shape[];
  label: string;
  labelIndex: Map<string, number>;
  readOnly: boolean;
  canSegment: boolean;
  onAdd: (s: Shape) => void;
  onSelect: (i: number | null) => void;
  selected: number | null;
}) {
  const frames = useMemo(() => (Array.isArray(props.payload.frames) ? (props.payload.frames as Frame[]) : []), [props.payload.frames]);
  const fps = typeof props.payload.fps === 'number' && props.payload.fps > 0 ? props.payload.fps : null;
  const video = safeVideo(props.payload.videoUrl);
  const [frame, setFrame] = useState(0);
  const [start, setStart] = useState<number | null>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const last = Math.max(0, frames.length - 1);
  const go = (f: number) => setFrame(Math.max(0, Math.min(last, Math.round(f))));

  const x = useMemo(() => frames.map((_, i) => i), [frames]);
  const state = useMemo(() => channels(frames, (f) => f.observation?.state, 'state'), [frames]);
  const action = useMemo(() => channels(frames, (f) => f.action, 'action'), [frames]);
  const segments = props.shapes.map((s, i) => ({ s, i })).filter(({ s }) => s.tool === 'segment');
  const bands: Band[] = useMemo(
    () => segments.map(({ s, i }) => ({ from: s.startFrame ?? 0, to: s.endFrame ?? 0, color: seriesColor(props.labelIndex.get(s.label ?? '') ?? i) + (props.selected === i ? '55' : '26') })),
    [JSON.stringify(segments.map(({ s }) => [s.startFrame, s.endFrame, s.label])), props.selected],
  );

  const timeOf = (f: number) => {
    const t0 = frames[0]?.timestamp ?? 0;
    const t = frames[f]?.timestamp;
    return typeof t === 'number' ? t - t0 : fps ? f / fps : f;
  };
  // The video follows the scrubber while paused; while it plays, the scrubber follows the video.
  useEffect(() => {
    const v = videoRef.current;
    if (v && v.paused && Math.abs(v.currentTime - timeOf(frame)) > 0.02) v.currentTime = timeOf(frame);
  }, [frame]);
  const onTime = () => {
    const v = videoRef.current;
    if (!v || v.paused) return;
    const t0 = frames[0]?.timestamp ?? 0;
    let best = 0;
    for (let i = 0; i < frames.length; i++) if ((frames[i]?.timestamp ?? (fps ? i / fps : i)) - t0 <= v.currentTime + 1e-6) best = i;
    setFrame(best);
  };

  const markStart = () => setStart(frame);
  const markEnd = () => {
    if (start === null || props.readOnly || !props.canSegment || !props.label) return;
    const [a, b] = start <= frame ? [start, frame] : [frame, start];
    props.onAdd({ tool: 'segment', label: props.label, startFrame: a, endFrame: b });
    setStart(null);
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input:not([type="range"]), textarea, select, [contenteditable="true"]') || e.metaKey || e.ctrlKey || e.altKey) return;
      if (target.closest('input[type="range"]') && (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End')) return; // the slider moves itself
      const step = e.shiftKey ? 10 : 1;
      if (e.key === 'ArrowRight') (e.preventDefault(), go(frame + step));
      else if (e.key === 'ArrowLeft') (e.preventDefault(), go(frame - step));
      else if (e.key === 'Home') (e.preventDefault(), go(0));
      else if (e.key === 'End') (e.preventDefault(), go(last));
      else if (e.key === '[') (e.preventDefault(), markStart());
      else if (e.key === ']') (e.preventDefault(), markEnd());
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (!frames.length) return <p className="muted">This episode has no frames.</p>;
  const current = frames[frame];
  return (
    <div className="episode stack" data-testid="episode-viewer">
      {video && (
        <video ref={videoRef} className="episode-video" src={video} controls preload="metadata" onTimeUpdate={onTime} data-testid="episode-video">
          The browser cannot play this video.
        </video>
      )}
      <div className="episode-scrub">
        <label className="field">
          <span className="field-label">
            Frame <strong data-testid="frame-index">{frame}</strong> of {last}
            {typeof current?.timestamp === 'number' && <span className="muted"> · t = {current.timestamp.toFixed(2)} s</span>}
            {fps && <span className="muted"> · {fps} fps</span>}
          </span>
          <input type="range" min={0} max={last} step={1} value={frame} onChange={(e) => go(Number(e.target.value))} aria-label="Frame" data-testid="frame-scrubber" />
        </label>
        <svg className="episode-timeline" viewBox={`0 0 ${Math.max(1, frames.length)} 10`} preserveAspectRatio="none" aria-label="Segments">
          {segments.map(({ s, i }) => (
            <rect
              key={s.id ?? i}
              x={s.startFrame ?? 0}
              y={0}
              width={Math.max(0.5, (s.endFrame ?? 0) - (s.startFrame ?? 0) + 1)}
              height={10}
              className={`lcf-${(props.labelIndex.get(s.label ?? '') ?? 0) % 9}${props.selected === i ? ' seg-selected' : ''}`}
              onClick={() => props.onSelect(props.selected === i ? null : i)}
            >
              <title>{`${s.label}: frames ${s.startFrame}–${s.endFrame}`}</title>
            </rect>
          ))}
          {start !== null && <rect x={Math.min(start, frame)} y={0} width={Math.abs(frame - start) + 1} height={10} className="seg-pending" />}
          <rect x={frame} y={0} width={Math.max(0.3, frames.length / 300)} height={10} className="seg-cursor" />
        </svg>
        {props.canSegment && !props.readOnly && (
          <div className="tool-row">
            <button type="button" className="btn btn-small" onClick={markStart} data-testid="segment-start">
              <kbd>[</kbd> Start here
            </button>
            <button type="button" className="btn btn-small" onClick={markEnd} disabled={start === null || !props.label} data-testid="segment-end">
              <kbd>]</kbd> End here{start !== null ? ` (from ${start})` : ''}
            </button>
            <span className="muted small">Segment label: {props.label || 'pick a label'}</span>
          </div>
        )}
      </div>
      {state.length > 0 && <TimeSeries ariaLabel="State channels over frames" x={x} series={state} marker={frame} bands={bands} onPick={go} xLabel="frame" height={170} />}
      {action.length > 0 && <TimeSeries ariaLabel="Action channels over frames" x={x} series={action} marker={frame} bands={bands} onPick={go} xLabel="frame" height={150} />}
      <div className="muted small">
        state: [{(current?.observation?.state ?? []).map((v) => v.toFixed(3)).join(', ')}] · action: [{(current?.action ?? []).map((v) => v.toFixed(3)).join(', ')}]
      </div>
    </div>
  );
}
