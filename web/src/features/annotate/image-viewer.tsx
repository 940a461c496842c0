import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type WheelEvent } from 'react';
import type { Shape } from '../../api/types.ts';
import { ShapeLayer, type Pt } from './image-shapes.tsx';

export type ImageTool = 'select' | 'bbox' | 'polygon' | 'pan';
type Drag =
  | { kind: 'draw-box'; from: Pt; to: Pt }
  | { kind: 'move'; index: number; from: Pt; original: Shape }
  | { kind: 'corner'; index: number; corner: 0 | 1 | 2 | 3; original: Shape }
  | { kind: 'vertex'; index: number; vertex: number }
  | { kind: 'pan'; from: { x: number; y: number }; origin: Pt };

const round = (v: number) => Math.round(v * 10) / 10;

/**
 * An image with its boxes and polygons drawn in SVG over it, in image pixel coordinates.
 * Zoom with the wheel or the buttons, pan with the pan tool (or the middle button); draw boxes
 * by dragging, polygons by clicking points and closing with a double-click or Enter; in select
 * mode drag a shape to move it and its handles to reshape it.
 */
export function ImageViewer(props: {
  url: string;
  width?: number;
  height?: number;
  shapes: Shape[];
  colors: Map<string, string>;
  tool: ImageTool;
  readOnly: boolean;
  selected: number | null;
  onSelect: (index: number | null) => void;
  onAdd: (shape: Shape) => void;
  onChange: (index: number, shape: Shape) => void;
}) {
  const [size, setSize] = useState<{ w: number; h: number } | null>(props.width && props.height ? { w: props.width, h: props.height } : null);
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState<Pt>({ x: 0, y: 0 });
  const [drag, setDrag] = useState<Drag | null>(null);
  const [polygon, setPolygon] = useState<Pt[]>([]);
  const [hover, setHover] = useState<Pt | null>(null);
  const [failed, setFailed] = useState(false);
  const layer = useRef<SVGGElement>(null);

  // The natural size, when the payload does not give it, comes from loading the image once.
  useEffect(() => {
    setFailed(false);
    if (props.width && props.height) {
      setSize({ w: props.width, h: props.height });
      return;
    }
    setSize(null);
    const img = new Image();
    img.onload = () => setSize({ w: img.naturalWidth || 800, h: img.naturalHeight || 600 });
    img.onerror = () => setFailed(true);
    img.src = props.url;
  }, [props.url, props.width, props.height]);
  useEffect(() => setPolygon([]), [props.tool, props.url]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setPolygon([]);
      if (e.key === 'Enter' && polygon.length >= 3) closePolygon();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (failed) return <p className="inline-error">The image could not be loaded from {props.url.slice(0, 80)}.</p>;
  if (!size) return <p className="muted">Loading image…</p>;
  const { w, h } = size;
  const clamp = (p: Pt): Pt => ({ x: Math.max(0, Math.min(w, p.x)), y: Math.max(0, Math.min(h, p.y)) });

  const toImage = (e: { clientX: number; clientY: number }): Pt => {
    const g = layer.current;
    const m = g?.getScreenCTM();
    if (!g || !m) return { x: 0, y: 0 };
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  };

  const closePolygon = () => {
    if (polygon.length >= 3) props.onAdd({ tool: 'polygon', label: '', points: polygon.map((p) => ({ x: round(p.x), y: round(p.y) })) });
    setPolygon([]);
  };

  const onDown = (e: ReactPointerEvent<SVGSVGElement>) => {
    (e.target as Element).setPointerCapture?.(e.pointerId);
    if (props.tool === 'pan' || e.button === 1) {
      setDrag({ kind: 'pan', from: { x: e.clientX, y: e.clientY }, origin: pan });
      return;
    }
    if (props.readOnly) return;
    const p = clamp(toImage(e));
    if (props.tool === 'bbox') setDrag({ kind: 'draw-box', from: p, to: p });
    if (props.tool === 'polygon') setPolygon([...polygon, p]);
    if (props.tool === 'select') props.onSelect(null);
  };
  const onMove = (e: ReactPointerEvent<SVGSVGElement>) => {
    const p = clamp(toImage(e));
    setHover(p);
    if (!drag) return;
    if (drag.kind === 'pan') {
      const svg = e.currentTarget.getBoundingClientRect();
      const scale = w / svg.width;
      setPan({ x: drag.origin.x + ((e.clientX - drag.from.x) * scale) / zoom, y: drag.origin.y + ((e.clientY - drag.from.y) * scale) / zoom });
    } else if (drag.kind === 'draw-box') setDrag({ ...drag, to: p });
    else if (drag.kind === 'move') {
      const o = drag.original;
      if (o.tool === 'bbox') {
        const x = Math.max(0, Math.min(w - o.w!, o.x! + p.x - drag.from.x));
        const y = Math.max(0, Math.min(h - o.h!, o.y! + p.y - drag.from.y));
        props.onChange(drag.index, { ...o, x: round(x), y: round(y) });
      } else if (o.tool === 'polygon') {
        const dx = p.x - drag.from.x;
        const dy = p.y - drag.from.y;
        props.onChange(drag.index, { ...o, points: o.points!.map((q) => ({ x: round(Math.max(0, Math.min(w, q.x + dx))), y: round(Math.max(0, Math.min(h, q.y + dy))) })) });
      }
    } else if (drag.kind === 'corner') {
      const o = drag.original;
      const x0 = o.x!;
      const y0 = o.y!;
      const x1 = o.x! + o.w!;
      const y1 = o.y! + o.h!;
      const fx = drag.corner === 0 || drag.corner === 3 ? x1 : x0;
      const fy = drag.corner === 0 || drag.corner === 1 ? y1 : y0;
      props.onChange(drag.index, { ...o, x: round(Math.min(fx, p.x)), y: round(Math.min(fy, p.y)), w: round(Math.abs(p.x - fx)), h: round(Math.abs(p.y - fy)) });
    } else if (drag.kind === 'vertex') {
      const s = props.shapes[drag.index]!;
      props.onChange(drag.index, { ...s, points: s.points!.map((q, i) => (i === drag.vertex ? { x: round(p.x), y: round(p.y) } : q)) });
    }
  };
  const onUp = () => {
    if (drag?.kind === 'draw-box') {
      const x = Math.min(drag.from.x, drag.to.x);
      const y = Math.min(drag.from.y, drag.to.y);
      const bw = Math.abs(drag.to.x - drag.from.x);
      const bh = Math.abs(drag.to.y - drag.from.y);
      if (bw > 2 && bh > 2) props.onAdd({ tool: 'bbox', label: '', x: round(x), y: round(y), w: round(bw), h: round(bh) });
    }
    setDrag(null);
  };
  const onWheel = (e: WheelEvent<SVGSVGElement>) => {
    const next = Math.max(0.5, Math.min(8, zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15)));
    setZoom(next);
  };
  const startShapeDrag = (e: ReactPointerEvent, index: number) => {
    if (props.tool !== 'select') return;
    e.stopPropagation();
    props.onSelect(index);
    if (props.readOnly) return;
    setDrag({ kind: 'move', index, from: clamp(toImage(e)), original: props.shapes[index]! });
  };

  const handle = Math.max(4, Math.min(w, h) / 100) / zoom;
  const stroke = Math.max(1.5, Math.min(w, h) / 300) / zoom;
  const cx = w / 2;
  const cy = h / 2;
  const transform = `translate(${cx + pan.x} ${cy + pan.y}) scale(${zoom}) translate(${-cx} ${-cy})`;

  return (
    <div className="image-viewer">
      <div className="zoom-bar" role="group" aria-label="Zoom">
        <button type="button" className="btn btn-small" onClick={() => setZoom(Math.max(0.5, zoom / 1.25))} aria-label="Zoom out">
          −
        </button>
        <span className="zoom-value">{Math.round(zoom * 100)}%</span>
        <button type="button" className="btn btn-small" onClick={() => setZoom(Math.min(8, zoom * 1.25))} aria-label="Zoom in">
          +
        </button>
        <button type="button" className="btn btn-small" onClick={() => (setZoom(1), setPan({ x: 0, y: 0 }))}>
          Fit
        </button>
        {polygon.length > 0 && <span className="muted small">{polygon.length} points — double-click or Enter to close, Esc to cancel</span>}
      </div>
      <svg
        className={`image-canvas tool-${props.tool}`}
        viewBox={`0 0 ${w} ${h}`}
        preserveAspectRatio="xMidYMid meet"
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerLeave={() => setHover(null)}
        onDoubleClick={() => props.tool === 'polygon' && closePolygon()}
        onWheel={onWheel}
        data-testid="image-canvas"
      >
        <g ref={layer} transform={transform}>
          <image href={props.url} x="0" y="0" width={w} height={h} />
          <ShapeLayer
            shapes={props.shapes}
            colors={props.colors}
            selected={props.selected}
            readOnly={props.readOnly}
            zoom={zoom}
            size={size}
            onShapeDown={startShapeDrag}
            onCornerDown={(i, corner, s) => setDrag({ kind: 'corner', index: i, corner, original: s })}
            onVertexDown={(i, vertex) => setDrag({ kind: 'vertex', index: i, vertex })}
          />
          {drag?.kind === 'draw-box' && (
            <rect
              className="drawing"
              x={Math.min(drag.from.x, drag.to.x)}
              y={Math.min(drag.from.y, drag.to.y)}
              width={Math.abs(drag.to.x - drag.from.x)}
              height={Math.abs(drag.to.y - drag.from.y)}
              strokeWidth={stroke}
            />
          )}
          {polygon.length > 0 && (
            <polyline className="drawing" points={[...polygon, ...(hover ? [hover] : [])].map((p) => `${p.x},${p.y}`).join(' ')} strokeWidth={stroke} />
          )}
        </g>
      </svg>
    </div>
  );
}
