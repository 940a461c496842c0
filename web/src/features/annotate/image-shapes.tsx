import type { PointerEvent as ReactPointerEvent } from 'react';
import type { Shape } from '../../api/types.ts';

export type Pt = { x: number; y: number };

/** The boxes and polygons over an image, with the selected shape's handles (image pixel units). */
export function ShapeLayer(props: {
  shapes: Shape[];
  colors: Map<string, string>;
  selected: number | null;
  readOnly: boolean;
  zoom: number;
  size: { w: number; h: number };
  onShapeDown: (e: ReactPointerEvent, index: number) => void;
  onCornerDown: (index: number, corner: 0 | 1 | 2 | 3, shape: Shape) => void;
  onVertexDown: (index: number, vertex: number) => void;
}) {
  const { zoom } = props;
  const { w, h } = props.size;
  const handle = Math.max(4, Math.min(w, h) / 100) / zoom;
  const stroke = Math.max(1.5, Math.min(w, h) / 300) / zoom;
  return (
    <>
      {props.shapes.map((s, i) => {
      const color = props.colors.get(s.label ?? '') ?? '#f03e3e';
      const isSel = props.selected === i;
      if (s.tool === 'bbox') {
        const corners: Pt[] = [
          { x: s.x!, y: s.y! },
          { x: s.x! + s.w!, y: s.y! },
          { x: s.x! + s.w!, y: s.y! + s.h! },
          { x: s.x!, y: s.y! + s.h! },
        ];
        return (
          <g key={i} className={`shape${isSel ? ' shape-selected' : ''}`}>
            <rect x={s.x} y={s.y} width={s.w} height={s.h} stroke={color} strokeWidth={stroke} fill={color} fillOpacity={isSel ? 0.25 : 0.12} onPointerDown={(e) => props.onShapeDown(e, i)}>
              <title>{s.label}</title>
            </rect>
            <text x={s.x! + 3 / zoom} y={s.y! - 4 / zoom} className="shape-label" fill={color} fontSize={Math.max(10, Math.min(w, h) / 40) / zoom}>
              {s.label}
            </text>
            {isSel &&
              !props.readOnly &&
              corners.map((c, k) => (
                <rect
                  key={k}
                  className="handle"
                  x={c.x - handle}
                  y={c.y - handle}
                  width={handle * 2}
                  height={handle * 2}
                  onPointerDown={(e) => {
                    e.stopPropagation();
                    props.onCornerDown(i, k as 0 | 1 | 2 | 3, s);
                  }}
                />
              ))}
          </g>
        );
      }
      if (s.tool === 'polygon' && s.points) {
        return (
          <g key={i} className={`shape${isSel ? ' shape-selected' : ''}`}>
            <polygon points={s.points.map((p) => `${p.x},${p.y}`).join(' ')} stroke={color} strokeWidth={stroke} fill={color} fillOpacity={isSel ? 0.25 : 0.12} onPointerDown={(e) => props.onShapeDown(e, i)}>
              <title>{s.label}</title>
            </polygon>
            {isSel &&
              !props.readOnly &&
              s.points.map((p, k) => (
                <circle
                  key={k}
                  className="handle"
                  cx={p.x}
                  cy={p.y}
                  r={handle}
                  onPointerDown={(e) => {
                    e.stopPropagation();
                    props.onVertexDown(i, k);
                  }}
                />
              ))}
          </g>
        );
      }
      return null;
    })}
    </>
  );
}
