import { useEffect, useMemo, useState } from 'react';
import { clientId } from '../../api/client.ts';
import { taskItems } from '../../api/resources.ts';
import type { Recipe, Shape, Task, TaskItemDetail } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { sentence } from '../../components/format.ts';
import { itemLabel } from '../../components/item-label.ts';
import { InlineError } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';
import { EditorTools, toolsFor, type EditorTool } from './editor-tools.tsx';
import type { ImageTool } from './image-viewer.tsx';
import { ItemView } from './item-view.tsx';
import { CommentsPanel, IssuesPanel } from './item-threads.tsx';
import { labelColors, statusesFor } from './item-data.ts';
import { ShapesPanel } from './shapes-panel.tsx';
import { StatusCard, statusRefusal } from './status-card.tsx';
import { useAutosave, type SaveState } from './use-autosave.ts';
import { useEditorKeys } from './use-editor-keys.ts';
import { useShapeHistory } from './use-shape-history.ts';

const saveText: Record<SaveState, string> = { saved: 'All changes saved', dirty: 'Unsaved changes…', saving: 'Saving…', retrying: 'Offline — retrying…', failed: 'Not saved' };
const labelled = new Set(['bbox', 'polygon', 'text_span', 'segment', 'classification']);

/**
 * Editing one item: the viewer, the recipe's tools and labels, statuses, issues and comments.
 * The selection is a shape id, so label keys always relabel the shape that is highlighted, even
 * after edits reorder the list; changing tool drops the selection, and every relabel is said
 * out loud in the note under the tools. Every edit can be undone (Ctrl+Z) and redone.
 */
export function AnnotationEditor(props: {
  task: Task;
  recipe: Recipe | undefined;
  detail: TaskItemDetail;
  names: Map<string, string>;
  tool: EditorTool;
  onTool: (t: EditorTool) => void;
  onNext: () => Promise<void>;
  onPrevious: (() => void) | null;
  previousItemId: string | null;
  pulling: boolean;
  queueEmpty: boolean;
  reload: () => void;
}) {
  const { task, recipe, detail, tool } = props;
  const { me } = useSession();
  const item = detail.item;
  const mine = detail.annotations.find((a) => a.authorId === me.id);
  const pre = item.annotations as Shape[] | null;
  // One id per item for the life of the page: every retry of every save names the same annotation.
  const [annotationId] = useState(() => mine?.id ?? clientId());
  const autosave = useAutosave<Shape[]>(async (value) => {
    await taskItems.save(task.id, item.id, annotationId, value);
  });
  const history = useShapeHistory(mine?.shapes ?? (Array.isArray(pre) ? pre : []), autosave.change);
  const { shapes, update } = history;
  const [status, setStatus] = useState<string | null>(detail.status ?? null);
  const [statusError, setStatusError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const tools = toolsFor(item.kind, recipe);
  const labels = recipe?.labels ?? [];
  const [label, setLabel] = useState(labels[0]?.name ?? '');
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selectedIndex = selectedId === null ? -1 : shapes.findIndex((s) => s.id === selectedId);
  const selectedShape = selectedIndex >= 0 ? shapes[selectedIndex] : undefined;
  const { colors, index } = useMemo(() => labelColors(recipe), [recipe]);
  const statuses = statusesFor(task, recipe);
  const readOnly = task.locked;

  const selectIndex = (i: number | null) => setSelectedId(i === null ? null : (shapes[i]?.id ?? null));
  const chooseTool = (t: EditorTool) => {
    setSelectedId(null);
    props.onTool(t);
  };
  const add = (shape: Shape) => {
    const id = clientId();
    update([...shapes, { ...shape, id, label: shape.label || label }]);
    setSelectedId(id);
  };
  const pickLabel = (name: string) => {
    setLabel(name);
    if (readOnly) return;
    if (selectedShape && labelled.has(selectedShape.tool)) {
      if (selectedShape.label !== name) {
        update(shapes.map((s) => (s.id === selectedShape.id ? { ...s, label: name } : s)));
        setNote(`${sentence(selectedShape.tool)} relabeled: ${selectedShape.label ?? '—'} → ${name}`);
      }
    } else if (tool === 'classification') {
      update([...shapes.filter((s) => s.tool !== 'classification'), { id: clientId(), tool: 'classification', label: name }]);
      setNote(null);
    } else if (tool === 'multi_classification') {
      const current = shapes.find((s) => s.tool === 'multi_classification');
      const set = new Set(current?.labels ?? []);
      if (set.has(name)) set.delete(name);
      else set.add(name);
      const rest = shapes.filter((s) => s.tool !== 'multi_classification');
      // The server refuses an empty label list: no labels left means no shape.
      update(set.size ? [...rest, { id: current?.id ?? clientId(), tool: 'multi_classification', labels: [...set] }] : rest);
      setNote(null);
    } else {
      setNote(`Next ${sentence(tool)}: ${name}`);
    }
  };
  const setItemStatus = async (next: string | null) => {
    setStatusError(null);
    const refused = next === null ? null : statusRefusal(task, recipe, next, shapes.length);
    if (refused) {
      setNote(refused);
      return;
    }
    if (!(await autosave.settle())) {
      setStatusError(autosave.error ?? new Error('Your changes are not saved yet'));
      return;
    }
    try {
      if (next === null) await taskItems.clearStatus(task.id, item.id);
      else await taskItems.setStatus(task.id, item.id, next);
      setStatus(next);
    } catch (e) {
      setStatusError(e);
    }
  };
  const next = async () => {
    if (await autosave.settle()) await props.onNext();
  };
  const previous = props.onPrevious
    ? async () => {
        if (await autosave.settle()) props.onPrevious?.();
      }
    : null;
  const copyPrevious =
    props.previousItemId && !readOnly
      ? async () => {
          setStatusError(null);
          try {
            const list = await taskItems.annotations(task.id, props.previousItemId!);
            const theirs = list.data.find((a) => a.authorId === me.id) ?? list.data[0];
            const copied = ((theirs?.shapes ?? []) as Shape[]).filter((s) => tools.includes(s.tool)).map((s) => ({ ...s, id: clientId() }));
            if (!copied.length) return setNote('The previous item has no labels to copy.');
            update(copied);
            setSelectedId(null);
            setNote(`Copied ${copied.length} label${copied.length === 1 ? '' : 's'} from the previous item (Ctrl+Z undoes).`);
          } catch (e) {
            setStatusError(e);
          }
        }
      : null;

  useEditorKeys({
    label: (i) => {
      const l = labels[i];
      if (l) pickLabel(l.name);
    },
    status: (i) => {
      const s = statuses[i];
      if (s && !readOnly) void setItemStatus(s);
    },
    next: () => void next(),
    previous: () => void previous?.(),
    remove: () => {
      if (selectedShape && !readOnly) {
        update(shapes.filter((s) => s.id !== selectedShape.id));
        setSelectedId(null);
      }
    },
    undo: () => !readOnly && history.undo() && setNote('Undone.'),
    redo: () => !readOnly && history.redo() && setNote('Redone.'),
    deselect: () => setSelectedId(null),
  });

  // A pulled item is leased: while it is open, renew the lease so it does not return to the queue.
  useEffect(() => {
    if (task.allocation.method !== 'pulling' || readOnly) return;
    const timer = window.setInterval(() => void taskItems.heartbeat(task.id, item.id).catch(() => undefined), Math.max(30, task.allocation.leaseSeconds / 3) * 1000);
    return () => window.clearInterval(timer);
  }, [task.id, item.id, task.allocation.method, task.allocation.leaseSeconds, readOnly]);

  const myIssues = (detail.issues ?? []).filter((i) => !mine || i.annotationId === mine.id || i.annotationId === annotationId);
  const selected = selectedIndex >= 0 ? selectedIndex : null;
  return (
    <div className="workspace">
      <section className="ws-main card" aria-label="Item">
        <div className="ws-item-head">
          <span className="truncate" data-testid="item-name">
            <Badge value={item.kind} /> {itemLabel(item)}
          </span>
          <span className={`save-state save-${autosave.state}`} role="status" data-testid="save-state">
            {saveText[autosave.state]}
          </span>
        </div>
        <InlineError error={autosave.state === 'failed' ? autosave.error : null} />
        <ItemView
          item={item}
          shapes={shapes}
          colors={colors}
          labelIndex={index}
          tool={tool === 'bbox' || tool === 'polygon' || tool === 'pan' ? (tool as ImageTool) : 'select'}
          readOnly={readOnly}
          selected={selected}
          onSelect={selectIndex}
          onAdd={add}
          onChange={(i, s) => update(shapes.map((x, k) => (k === i ? s : x)), `shape:${shapes[i]?.id}`)}
          onSpan={tool === 'text_span' && !readOnly ? (start, end) => add({ tool: 'text_span', label, start, end }) : undefined}
          label={label}
          canSegment={tools.includes('segment')}
        />
      </section>
      <aside className="ws-side">
        <div className="card stack">
          <EditorTools kind={item.kind} tools={tools} tool={tool} onTool={chooseTool} labels={labels} label={label} shapes={shapes} selectedShape={selectedShape && labelled.has(selectedShape.tool) ? selectedShape : undefined} onLabel={pickLabel} history={history} readOnly={readOnly} />
          {note && (
            <p className="notice relabel-note" role="status" data-testid="editor-note">
              {note}
            </p>
          )}
          <ShapesPanel recipe={recipe} shapes={shapes} selected={selected} onSelect={selectIndex} onChange={(s) => update(s, 'panel')} readOnly={readOnly} />
        </div>
        <StatusCard
          task={task}
          recipe={recipe}
          statuses={statuses}
          status={status}
          shapeCount={shapes.length}
          readOnly={readOnly}
          error={statusError}
          onStatus={(s) => void setItemStatus(s)}
          onPrevious={previous ? () => void previous() : null}
          onCopyPrevious={copyPrevious ? () => void copyPrevious() : null}
          onNext={() => void next()}
          pulling={props.pulling}
          queueEmpty={props.queueEmpty}
        />
        <details className="card" open={myIssues.length > 0}>
          <summary>
            <h3 className="inline">Issues ({myIssues.filter((i) => i.status !== 'resolved').length} open)</h3>
          </summary>
          <IssuesPanel issues={myIssues} annotations={detail.annotations} names={props.names} canFix canReview={false} onChanged={props.reload} />
        </details>
        <details className="card">
          <summary>
            <h3 className="inline">Comments</h3>
          </summary>
          <CommentsPanel subjectKind="item" subjectId={item.id} names={props.names} />
        </details>
        <p className="muted small shortcuts">
          Keys: <kbd>1</kbd>–<kbd>9</kbd> label (relabels the selected shape) · <kbd>⇧1</kbd>–<kbd>⇧9</kbd> statuses · <kbd>N</kbd> next · <kbd>P</kbd> previous · <kbd>Ctrl</kbd>+<kbd>Z</kbd> undo ·{' '}
          <kbd>Ctrl</kbd>+<kbd>⇧</kbd>+<kbd>Z</kbd> redo · <kbd>Del</kbd> remove shape · <kbd>Esc</kbd> deselect / cancel polygon
        </p>
      </aside>
    </div>
  );
}
