/**
 * "Batch annotation": many items of a task at once (a grid), selected with the mouse (click,
 * Ctrl/Cmd+click, Shift+click for a range) or the keyboard (arrows move, Space toggles,
 * Shift+arrows extend, Ctrl/Cmd+A selects all, Esc clears), and a label applied to the whole
 * selection through the bulk route, in chunks, with a progress bar. Every apply is saved at once
 * (there is nothing to save by hand); refused items show why.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { taskItems, tasks as tasksApi } from '../../api/resources.ts';
import { bulkAnnotations, type BulkResult } from '../../api/robotics.ts';
import type { ItemRecord, Recipe, Shape, Task, TaskItem } from '../../api/types.ts';
import { messageOf } from '../../api/client.ts';
import { useApi } from '../../app/use-api.ts';
import { Empty, ErrorBox, Loading } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';
import './robotics.css';

interface Card {
  unit: TaskItem;
  item: ItemRecord | null;
}

/** Fetches items with a few requests in flight at a time. */
async function loadItems(ids: string[]): Promise<Map<string, ItemRecord>> {
  const out = new Map<string, ItemRecord>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        out.set(id, await taskItems.item(id));
      } catch {
        // an unreadable item still shows as its id
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return out;
}

const preview = (item: ItemRecord | null) => {
  const p = (item?.payload ?? {}) as Record<string, unknown>;
  if (item?.kind === 'episode') return `${Array.isArray(p.frames) ? p.frames.length : 0} frames${typeof p.fps === 'number' ? ` · ${p.fps} fps` : ''}`;
  if (typeof p.text === 'string') return p.text;
  if (typeof p.url === 'string') return p.url;
  return JSON.stringify(p).slice(0, 160);
};

function shapesFor(recipe: Recipe | undefined, label: string): Shape[] {
  const tools = recipe?.tools ?? [];
  if (tools.includes('classification')) return [{ tool: 'classification', label }];
  if (tools.includes('multi_classification')) return [{ tool: 'multi_classification', labels: [label] }];
  return [{ tool: 'classification', label }];
}

export function BatchAnnotationTab({ task, recipe }: { task: Task; recipe: Recipe | undefined }) {
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [cards, setCards] = useState<Card[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const page = useApi(async () => {
    const units = await tasksApi.items(task.id, { cursor });
    const seen = new Set<string>();
    const mine = units.data.filter((u) => !seen.has(u.itemId) && seen.add(u.itemId));
    const items = await loadItems(mine.map((u) => u.itemId));
    return { cards: mine.map((unit) => ({ unit, item: items.get(unit.itemId) ?? null })), nextCursor: units.nextCursor };
  }, [task.id, cursor]);
  useEffect(() => {
    if (!page.data) return;
    setCards((c) => (cursor ? [...c, ...page.data!.cards] : page.data!.cards));
    setNextCursor(page.data.nextCursor);
  }, [page.data, cursor]);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [anchor, setAnchor] = useState(0);
  const [focus, setFocus] = useState(0);
  const [applied, setApplied] = useState<Map<string, BulkResult & { label: string }>>(new Map());
  const [progress, setProgress] = useState<{ done: number; total: number; failed: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const grid = useRef<HTMLDivElement>(null);
  const ids = useMemo(() => cards.map((c) => c.unit.itemId), [cards]);
  const labels = recipe?.labels ?? [];
  const busy = progress !== null && progress.done < progress.total;

  const range = (a: number, b: number) => new Set(ids.slice(Math.min(a, b), Math.max(a, b) + 1));
  const click = (index: number, e: { shiftKey: boolean; metaKey: boolean; ctrlKey: boolean }) => {
    const id = ids[index]!;
    setFocus(index);
    if (e.shiftKey) setSelected(range(anchor, index));
    else if (e.metaKey || e.ctrlKey) {
      const next = new Set(selected);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      setSelected(next);
      setAnchor(index);
    } else {
      setSelected(new Set([id]));
      setAnchor(index);
    }
  };

  const apply = useCallback(
    async (label: string) => {
      const chosen = ids.filter((id) => selected.has(id));
      if (!chosen.length || busy) return;
      setError(null);
      setProgress({ done: 0, total: chosen.length, failed: 0 });
      const shapes = shapesFor(recipe, label);
      let done = 0;
      let failed = 0;
      // Chunks of 50 keep the bar moving; each item is saved on its own on the server anyway.
      for (let i = 0; i < chosen.length; i += 50) {
        const chunk = chosen.slice(i, i + 50);
        try {
          const res = await bulkAnnotations.apply(task.id, chunk, shapes);
          setApplied((m) => {
            const next = new Map(m);
            for (const r of res.results) next.set(r.itemId, { ...r, label });
            return next;
          });
          failed += res.results.filter((r) => !r.ok).length;
        } catch (e) {
          setError(e);
          failed += chunk.length;
        }
        done += chunk.length;
        setProgress({ done, total: chosen.length, failed });
      }
    },
    [ids, selected, busy, recipe, task.id],
  );

  const onKey = (e: React.KeyboardEvent) => {
    if (!ids.length) return;
    const columns = Math.max(1, Math.round((grid.current?.clientWidth ?? 800) / 188));
    const move = (to: number) => {
      const index = Math.max(0, Math.min(ids.length - 1, to));
      setFocus(index);
      if (e.shiftKey) setSelected(range(anchor, index));
      (grid.current?.children[index] as HTMLElement | undefined)?.focus();
    };
    if ((e.metaKey || e.ctrlKey) && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      setSelected(new Set(ids));
    } else if (e.key === 'ArrowRight') (e.preventDefault(), move(focus + 1));
    else if (e.key === 'ArrowLeft') (e.preventDefault(), move(focus - 1));
    else if (e.key === 'ArrowDown') (e.preventDefault(), move(focus + columns));
    else if (e.key === 'ArrowUp') (e.preventDefault(), move(focus - columns));
    else if (e.key === ' ') {
      e.preventDefault();
      click(focus, { shiftKey: false, metaKey: true, ctrlKey: false });
    } else if (e.key === 'Escape') setSelected(new Set());
    else if (/^[1-9]$/.test(e.key) && !e.shiftKey && !e.metaKey && !e.ctrlKey) {
      const l = labels[Number(e.key) - 1];
      if (l) (e.preventDefault(), void apply(l.name));
    }
  };

  if (page.error !== undefined && !cards.length) return <ErrorBox error={page.error} onRetry={page.reload} />;
  if (page.loading && !cards.length) return <Loading label="Loading items…" />;
  if (!cards.length) return <Empty title="No items in this task">Add items or a dataset to the task first.</Empty>;
  const savedText = busy ? `Saving ${progress!.done} of ${progress!.total}…` : progress ? `All changes saved${progress.failed ? ` · ${progress.failed} refused` : ''}` : 'All changes saved';
  return (
    <div className="stack" data-testid="batch-tab">
      <div className="batch-bar">
        <strong data-testid="batch-selected">{selected.size} selected</strong>
        <button type="button" className="btn btn-small" onClick={() => setSelected(new Set(ids))}>
          Select all <kbd>Ctrl/⌘ A</kbd>
        </button>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => setSelected(new Set())} disabled={!selected.size}>
          Clear <kbd>Esc</kbd>
        </button>
        <span className="muted small">Apply a label:</span>
        {labels.map((l, i) => (
          <button key={l.name} type="button" className={`label-btn lc-${i % 9}`} disabled={!selected.size || busy || task.locked} onClick={() => void apply(l.name)} data-testid={`batch-label-${l.name}`}>
            {i < 9 && <kbd>{i + 1}</kbd>} {l.name}
          </button>
        ))}
        {labels.length === 0 && <span className="muted small">The task has no recipe labels.</span>}
        <div className="batch-progress">
          {progress && (
            <progress max={progress.total} value={progress.done} aria-label="Batch progress" data-testid="batch-progress">
              {progress.done}/{progress.total}
            </progress>
          )}
          <span className={`save-state small ${busy ? 'save-saving' : 'save-saved'}`} role="status" data-testid="batch-save-state">
            {savedText}
          </span>
        </div>
      </div>
      {error !== null && <p className="error small">{messageOf(error)}</p>}
      <div ref={grid} className="batch-grid" role="listbox" aria-multiselectable="true" aria-label="Items" onKeyDown={onKey}>
        {cards.map((c, i) => {
          const id = c.unit.itemId;
          const on = selected.has(id);
          const outcome = applied.get(id);
          return (
            <button
              key={id}
              type="button"
              role="option"
              aria-selected={on}
              tabIndex={i === focus ? 0 : -1}
              className={`batch-card${on ? ' batch-selected' : ''}${i === focus ? ' batch-focus' : ''}`}
              onClick={(e) => click(i, e)}
              data-testid="batch-card"
            >
              <span className="small truncate">
                <Badge value={c.item?.kind ?? 'item'} /> {c.item?.externalId ?? id.slice(0, 8)}
              </span>
              <span className="batch-text">{preview(c.item)}</span>
              <span className="small">
                {c.unit.status ? <Badge value={c.unit.status} /> : null}{' '}
                {outcome ? outcome.ok ? <span data-testid="batch-applied">✓ {outcome.label}</span> : <span className="error" title={outcome.detail}>✗ {outcome.code}</span> : null}
              </span>
            </button>
          );
        })}
      </div>
      {nextCursor && (
        <button type="button" className="btn" onClick={() => setCursor(nextCursor)} disabled={page.loading}>
          {page.loading ? 'Loading…' : 'Show more items'}
        </button>
      )}
    </div>
  );
}
