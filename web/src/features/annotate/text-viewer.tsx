import { useRef, type ReactNode } from 'react';
import type { Shape } from '../../api/types.ts';

/**
 * Text with its spans highlighted. Selecting text with the mouse (or keyboard) and releasing
 * adds a `text_span` shape with the active label; offsets are in UTF-16 code units of the text.
 */
export function TextViewer(props: {
  text: string;
  shapes: Shape[];
  /** Label → its index in the recipe, which picks the highlight class `lc-N`. */
  labelIndex: Map<string, number>;
  selected: number | null;
  onSelect: (index: number | null) => void;
  onSpan?: (start: number, end: number) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const spans = props.shapes
    .map((s, index) => ({ s, index }))
    .filter(({ s }) => s.tool === 'text_span' && typeof s.start === 'number' && typeof s.end === 'number')
    .sort((a, b) => a.s.start! - b.s.start!);

  // Split the text at every span boundary; each piece knows the spans covering it.
  const cuts = new Set<number>([0, props.text.length]);
  for (const { s } of spans) {
    cuts.add(Math.max(0, Math.min(props.text.length, s.start!)));
    cuts.add(Math.max(0, Math.min(props.text.length, s.end!)));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const pieces: ReactNode[] = [];
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    const covering = spans.filter(({ s }) => s.start! <= start && s.end! >= end);
    const top = covering[covering.length - 1];
    pieces.push(
      top ? (
        <mark
          key={start}
          data-start={start}
          className={`span-mark lc-${(props.labelIndex.get(top.s.label ?? '') ?? 0) % 9}${covering.some((c) => c.index === props.selected) ? ' span-selected' : ''}${covering.length > 1 ? ' span-overlap' : ''}`}
          title={covering.map((c) => c.s.label).join(', ')}
          onClick={(e) => {
            e.stopPropagation();
            props.onSelect(top.index);
          }}
        >
          {props.text.slice(start, end)}
          <sup className="span-label">{end === top.s.end ? top.s.label : ''}</sup>
        </mark>
      ) : (
        <span key={start} data-start={start}>
          {props.text.slice(start, end)}
        </span>
      ),
    );
  }

  const offsetOf = (node: Node, offset: number): number | null => {
    let el: Node | null = node;
    while (el && !(el instanceof HTMLElement && el.dataset.start !== undefined)) el = el.parentNode;
    if (!el || !(el instanceof HTMLElement)) return null;
    // Offsets inside the label superscript belong to the end of the piece.
    if (node.parentElement?.classList.contains('span-label')) return Number(el.dataset.start) + (el.firstChild?.textContent?.length ?? 0);
    return Number(el.dataset.start) + offset;
  };

  const onMouseUp = () => {
    const sel = window.getSelection();
    if (!sel || sel.isCollapsed || !props.onSpan || !ref.current) return;
    const range = sel.getRangeAt(0);
    if (!ref.current.contains(range.commonAncestorContainer)) return;
    const a = offsetOf(range.startContainer, range.startOffset);
    const b = offsetOf(range.endContainer, range.endOffset);
    if (a === null || b === null) return;
    const start = Math.min(a, b);
    const end = Math.max(a, b);
    sel.removeAllRanges();
    if (end > start) props.onSpan(start, end);
  };

  return (
    <div className="text-viewer" ref={ref} onMouseUp={onMouseUp} onClick={() => props.onSelect(null)}>
      {pieces}
    </div>
  );
}
