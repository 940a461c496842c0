import type { Recipe, Shape, Tool } from '../../api/types.ts';
import { sentence } from '../../components/format.ts';

export type EditorTool = Tool | 'select' | 'pan';

/** The tools a recipe offers for an item of this kind (drawing tools only where they draw). */
export function toolsFor(kind: string, recipe: Recipe | undefined): Tool[] {
  const tools = recipe?.tools ?? ['classification'];
  return tools.filter((t) => (t === 'bbox' || t === 'polygon' ? kind === 'image' : t === 'text_span' ? kind === 'text' : t === 'segment' ? kind === 'episode' : true));
}

/**
 * The tool an item opens with: the one last used in this task when the item offers it; else a
 * box on images, a segment on episodes, a classification when the recipe has one (so label keys
 * answer at once on text), else the first tool.
 */
export function initialTool(kind: string, tools: Tool[], remembered: string | null): EditorTool {
  const offered: string[] = [...(kind === 'image' ? ['select', 'pan'] : []), ...tools];
  if (remembered && offered.includes(remembered)) return remembered as EditorTool;
  for (const t of ['bbox', 'segment', 'classification', 'multi_classification', 'text_span'] as const) if (tools.includes(t)) return t;
  return tools[0] ?? 'select';
}

/** Tool buttons, undo/redo and the label grid (number keys 1–9 in recipe order). */
export function EditorTools(props: {
  kind: string;
  tools: Tool[];
  tool: EditorTool;
  onTool: (t: EditorTool) => void;
  labels: Recipe['labels'];
  label: string;
  shapes: Shape[];
  /** The highlighted shape: label keys relabel it, so the grid shows its label. */
  selectedShape?: Shape;
  onLabel: (name: string) => void;
  history: { undo: () => void; redo: () => void; canUndo: boolean; canRedo: boolean };
  readOnly: boolean;
}) {
  const { tool, shapes } = props;
  return (
    <>
      <div className="tool-row" role="group" aria-label="Tools">
        {[...(props.kind === 'image' ? (['select', 'pan'] as const) : []), ...props.tools].map((t) => (
          <button key={t} type="button" className={`btn btn-small${tool === t ? ' btn-active' : ''}`} aria-pressed={tool === t} onClick={() => props.onTool(t)}>
            {sentence(t)}
          </button>
        ))}
        <span className="tool-sep" />
        <button type="button" className="btn btn-small" disabled={props.readOnly || !props.history.canUndo} onClick={props.history.undo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" className="btn btn-small" disabled={props.readOnly || !props.history.canRedo} onClick={props.history.redo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
      </div>
      {props.labels.length > 0 && (
        <div className="label-grid" role="group" aria-label="Labels">
          {props.labels.map((l, i) => {
            // One meaning per tool, the one a label key acts on: the selected shape's label; else
            // the item's class (classification), its classes (multi-label), or the next shape's label.
            const selected = props.selectedShape;
            const on = selected?.label
              ? l.name === selected.label
              : tool === 'classification'
                ? shapes.some((s) => s.tool === 'classification' && s.label === l.name)
                : tool === 'multi_classification'
                  ? shapes.some((s) => s.tool === 'multi_classification' && s.labels?.includes(l.name))
                  : l.name === props.label;
            return (
              <button key={l.name} type="button" className={`label-btn lc-${i % 9}${on ? ' label-on' : ''}`} aria-pressed={on} onClick={() => props.onLabel(l.name)}>
                {i < 9 && <kbd>{i + 1}</kbd>}
                <span className="truncate">{l.name}</span>
              </button>
            );
          })}
        </div>
      )}
    </>
  );
}
