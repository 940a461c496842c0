import { useEffect, useMemo, useState } from 'react';
import { clientId } from '../../api/client.ts';
import { taskItems } from '../../api/resources.ts';
import type { Recipe, Shape, Task, TaskItemDetail, Tool } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { humanize } from '../../components/format.ts';
import { InlineError } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';
import { ItemView } from './item-view.tsx';
import { CommentsPanel, IssuesPanel } from './item-threads.tsx';
import { labelColors, statusesFor } from './item-data.ts';
import { ShapesPanel } from './shapes-panel.tsx';
import { useAutosave, type SaveState } from './use-autosave.ts';
import type { ImageTool } from './image-viewer.tsx';

const saveText: Record<SaveState, string> = { saved: 'All changes saved', dirty: 'Unsaved changes…', saving: 'Saving…', retrying: 'Offline — retrying…', failed: 'Not saved' };

function toolsFor(kind: string, recipe: Recipe | undefined): Tool[] {
  const tools = recipe?.tools ?? ['classification'];
  return tools.filter((t) => (t === 'bbox' || t === 'polygon' ? kind === 'image' : t === 'text_span' ? kind === 'text' : t === 'segment' ? kind === 'episode' : true));
}

/** Editing one item: the viewer, the recipe's tools and labels, statuses, issues and comments. */
export function AnnotationEditor(props: {
  task: Task;
  recipe: Recipe | undefined;
  detail: TaskItemDetail;
  names: Map<string, string>;
  onNext: () => Promise<void>;
  pulling: boolean;
  queueEmpty: boolean;
  reload: () => void;
}) {
  const { task, recipe, detail } = props;
  const { me } = useSession();
  const item = detail.item;
  const mine = detail.annotations.find((a) => a.authorId === me.id);
  const pre = item.annotations as Shape[] | null;
  const [shapes, setShapes] = useState<Shape[]>(() => mine?.shapes ?? (Array.isArray(pre) ? pre : []));
  // One id per item for the life of the page: every retry of every save names the same annotation.
  const [annotationId] = useState(() => mine?.id ?? clientId());
  const [status, setStatus] = useState<string | null>(detail.status ?? null);
  const [statusError, setStatusError] = useState<unknown>(null);
  const tools = toolsFor(item.kind, recipe);
  const [tool, setTool] = useState<Tool | 'select' | 'pan'>(tools.includes('bbox') ? 'bbox' : tools.includes('text_span') ? 'text_span' : tools[0] ?? 'select');
  const labels = recipe?.labels ?? [];
  const [label, setLabel] = useState(labels[0]?.name ?? '');
  const [selected, setSelected] = useState<number | null>(null);
  const { colors, index } = useMemo(() => labelColors(recipe), [recipe]);
  const statuses = statusesFor(task, recipe);
  const readOnly = task.locked;
  const autosave = useAutosave<Shape[]>(async (value) => {
    await taskItems.save(task.id, item.id, annotationId, value);
  });

  const update = (next: Shape[]) => {
    setShapes(next);
    autosave.change(next);
  };
  const add = (shape: Shape) => {
    update([...shapes, { ...shape, id: clientId(), label: shape.label || label }]);
    setSelected(shapes.length);
  };
  const pickLabel = (name: string) => {
    setLabel(name);
    if (selected !== null && shapes[selected] && 'label' in shapes[selected]!) {
      update(shapes.map((s, i) => (i === selected ? { ...s, label: name } : s)));
    } else if (tool === 'classification') {
      update([...shapes.filter((s) => s.tool !== 'classification'), { id: clientId(), tool: 'classification', label: name }]);
    } else if (tool === 'multi_classification') {
      const current = shapes.find((s) => s.tool === 'multi_classification');
      const set = new Set(current?.labels ?? []);
      if (set.has(name)) set.delete(name);
      else set.add(name);
      update([...shapes.filter((s) => s.tool !== 'multi_classification'), { id: current?.id ?? clientId(), tool: 'multi_classification', labels: [...set] }]);
    }
  };
  const setItemStatus = async (next: string | null) => {
    setStatusError(null);
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

  // A pulled item is leased: while it is open, renew the lease so it does not return to the queue.
  useEffect(() => {
    if (task.allocation.method !== 'pulling' || readOnly) return;
    const timer = window.setInterval(() => void taskItems.heartbeat(task.id, item.id).catch(() => undefined), Math.max(30, task.allocation.leaseSeconds / 3) * 1000);
    return () => window.clearInterval(timer);
  }, [task.id, item.id, task.allocation.method, task.allocation.leaseSeconds, readOnly]);

  // Keyboard: 1–9 labels, Shift+1–9 statuses, N next, Delete removes the selected shape.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (target.closest('input, textarea, select, [contenteditable="true"]') || e.metaKey || e.ctrlKey || e.altKey) return;
      const digit = /^Digit([1-9])$/.exec(e.code)?.[1];
      if (digit && e.shiftKey) {
        const s = statuses[Number(digit) - 1];
        if (s) (e.preventDefault(), void setItemStatus(s));
      } else if (digit) {
        const l = labels[Number(digit) - 1];
        if (l) (e.preventDefault(), pickLabel(l.name));
      } else if (e.key === 'n' || e.key === 'N') {
        e.preventDefault();
        void next();
      } else if ((e.key === 'Delete' || e.key === 'Backspace') && selected !== null && !readOnly) {
        e.preventDefault();
        update(shapes.filter((_, i) => i !== selected));
        setSelected(null);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const myIssues = (detail.issues ?? []).filter((i) => !mine || i.annotationId === mine.id || i.annotationId === annotationId);
  return (
    <div className="workspace">
      <section className="ws-main card" aria-label="Item">
        <div className="ws-item-head">
          <span className="truncate">
            <Badge value={item.kind} /> {item.externalId ?? item.id}
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
          onSelect={setSelected}
          onAdd={add}
          onChange={(i, s) => update(shapes.map((x, k) => (k === i ? s : x)))}
          onSpan={tool === 'text_span' && !readOnly ? (start, end) => add({ tool: 'text_span', label, start, end }) : undefined}
          label={label}
          canSegment={tools.includes('segment')}
        />
      </section>
      <aside className="ws-side">
        <div className="card stack">
          <div className="tool-row" role="group" aria-label="Tools">
            {[...(item.kind === 'image' ? (['select', 'pan'] as const) : []), ...tools].map((t) => (
              <button key={t} type="button" className={`btn btn-small${tool === t ? ' btn-active' : ''}`} aria-pressed={tool === t} onClick={() => setTool(t)}>
                {humanize(t)}
              </button>
            ))}
          </div>
          {labels.length > 0 && (
            <div className="label-grid" role="group" aria-label="Labels">
              {labels.map((l, i) => {
                const on =
                  l.name === label ||
                  (tool === 'classification' && shapes.some((s) => s.tool === 'classification' && s.label === l.name)) ||
                  (tool === 'multi_classification' && shapes.some((s) => s.tool === 'multi_classification' && s.labels?.includes(l.name)));
                return (
                  <button key={l.name} type="button" className={`label-btn lc-${i % 9}${on ? ' label-on' : ''}`} aria-pressed={on} onClick={() => pickLabel(l.name)}>
                    {i < 9 && <kbd>{i + 1}</kbd>}
                    <span className="truncate">{l.name}</span>
                  </button>
                );
              })}
            </div>
          )}
          <ShapesPanel recipe={recipe} shapes={shapes} selected={selected} onSelect={setSelected} onChange={update} readOnly={readOnly} />
        </div>
        <div className="card stack">
          <h3>Status {status ? <Badge value={status} /> : <span className="muted small">pending</span>}</h3>
          <div className="status-row">
            {statuses.map((s, i) => (
              <button key={s} type="button" className={`btn${status === s ? ' btn-active' : ''}`} disabled={readOnly} onClick={() => void setItemStatus(s)}>
                {i < 9 && <kbd>⇧{i + 1}</kbd>} {humanize(s)}
              </button>
            ))}
            {status && (
              <button type="button" className="btn btn-ghost" disabled={readOnly} onClick={() => void setItemStatus(null)}>
                Remove status
              </button>
            )}
          </div>
          <InlineError error={statusError} />
          <button type="button" className="btn btn-primary" onClick={() => void next()} disabled={props.pulling} data-testid="next">
            <kbd>N</kbd> {props.pulling ? 'Getting work…' : 'Next item'}
          </button>
          {props.queueEmpty && <p className="notice">Nothing left for you in this task right now.</p>}
        </div>
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
          Keys: <kbd>1</kbd>–<kbd>9</kbd> labels · <kbd>⇧1</kbd>–<kbd>⇧9</kbd> statuses · <kbd>N</kbd> next · <kbd>Del</kbd> remove shape · <kbd>Esc</kbd> cancel polygon
        </p>
      </aside>
    </div>
  );
}
