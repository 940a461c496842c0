import { useState } from 'react';
import type { Member, Task } from '../../api/types.ts';
import { taskColumns } from './task-columns.tsx';

/** Explicit ids on this page, or "every task matching the filters" across pages. */
export type Selection = { mode: 'ids'; ids: Set<string> } | { mode: 'all' };

export function TasksTable(props: {
  tasks: Task[];
  names: Map<string, string>;
  visible: Set<string>;
  sort: string | null;
  onSort: (sort: string | null) => void;
  selection: Selection;
  onSelection: (s: Selection) => void;
  canManage: boolean;
  members: Member[];
  onBatch: (action: 'delete' | 'update' | 'reassign', extra?: { patch?: Record<string, unknown> }) => void;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) {
  const { tasks, selection, onSelection } = props;
  const columns = taskColumns.filter((c) => props.visible.has(c.key));
  const isSelected = (id: string) => selection.mode === 'all' || selection.ids.has(id);
  const pageAll = tasks.length > 0 && tasks.every((t) => isSelected(t.id));
  const count = selection.mode === 'all' ? null : selection.ids.size;
  const [priority, setPriority] = useState('');
  const [fromId, setFromId] = useState('');
  const [toId, setToId] = useState('');

  const toggle = (id: string) => {
    const ids = new Set(selection.mode === 'all' ? tasks.map((t) => t.id) : selection.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    onSelection({ mode: 'ids', ids });
  };
  const togglePage = () => {
    if (pageAll) onSelection({ mode: 'ids', ids: new Set() });
    else onSelection({ mode: 'ids', ids: new Set([...(selection.mode === 'ids' ? selection.ids : []), ...tasks.map((t) => t.id)]) });
  };
  const sortState = (field: string | undefined) => (field && props.sort === field ? 'ascending' : field && props.sort === `-${field}` ? 'descending' : 'none');

  return (
    <div className="stack">
      {props.canManage && (selection.mode === 'all' || selection.ids.size > 0) && (
        <div className="batchbar" role="region" aria-label="Batch actions">
          <span className="batch-count">{count === null ? 'All matching tasks selected' : `${count} selected`}</span>
          {selection.mode === 'ids' && pageAll && props.hasNext && (
            <button type="button" className="btn btn-ghost" onClick={() => onSelection({ mode: 'all' })}>
              Select every matching task
            </button>
          )}
          <select aria-label="New priority" value={priority} onChange={(e) => setPriority(e.target.value)}>
            <option value="">Priority…</option>
            <option value="high">high</option>
            <option value="medium">medium</option>
            <option value="low">low</option>
            <option value="none">none</option>
          </select>
          <button type="button" className="btn" disabled={!priority} onClick={() => props.onBatch('update', { patch: { priority: priority === 'none' ? null : priority } })}>
            Update
          </button>
          <select aria-label="Reassign from" value={fromId} onChange={(e) => setFromId(e.target.value)}>
            <option value="">From…</option>
            {props.members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.name || m.email}
              </option>
            ))}
          </select>
          <select aria-label="Reassign to" value={toId} onChange={(e) => setToId(e.target.value)}>
            <option value="">To…</option>
            {props.members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.name || m.email}
              </option>
            ))}
          </select>
          <button type="button" className="btn" disabled={!fromId || !toId || fromId === toId} onClick={() => props.onBatch('reassign', { patch: { fromId, toId } })}>
            Reassign
          </button>
          <button type="button" className="btn btn-danger" onClick={() => props.onBatch('delete')}>
            Delete
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => onSelection({ mode: 'ids', ids: new Set() })}>
            Clear
          </button>
        </div>
      )}
      <div className="table-wrap">
        <table className="table tasks-table">
          <thead>
            <tr>
              {props.canManage && (
                <th className="col-check">
                  <input type="checkbox" aria-label="Select this page" checked={pageAll} onChange={togglePage} />
                </th>
              )}
              {columns.map((c) => (
                <th key={c.key} aria-sort={sortState(c.sort)} className={`col-${c.key}`}>
                  {c.sort ? (
                    <button
                      type="button"
                      className="th-sort"
                      onClick={() => props.onSort(props.sort === c.sort ? `-${c.sort}` : props.sort === `-${c.sort}` ? null : c.sort!)}
                    >
                      {c.label}
                      <span className="sort-mark" aria-hidden="true">
                        {sortState(c.sort) === 'ascending' ? '▲' : sortState(c.sort) === 'descending' ? '▼' : ''}
                      </span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => (
              <tr key={t.id} className={isSelected(t.id) ? 'row-selected' : undefined}>
                {props.canManage && (
                  <td className="col-check">
                    <input type="checkbox" aria-label={`Select ${t.name}`} checked={isSelected(t.id)} onChange={() => toggle(t.id)} />
                  </td>
                )}
                {columns.map((c) => (
                  <td key={c.key} className={`col-${c.key}`} data-label={typeof c.label === 'string' ? c.label : c.key}>
                    {c.render(t, props.names)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {(props.hasPrevious || props.hasNext) && (
        <div className="pager">
          <button type="button" className="btn" disabled={!props.hasPrevious} onClick={props.onPrevious}>
            Previous
          </button>
          <button type="button" className="btn" disabled={!props.hasNext} onClick={props.onNext}>
            Next
          </button>
        </div>
      )}
    </div>
  );
}
