import { useEffect, useState } from 'react';
import type { Member } from '../../api/types.ts';
import type { Column } from './task-columns.tsx';
import { filterOptions } from './filter-options.ts';

export { filterOptions };

export const filterKeys = ['q', 'status', 'workflowState', 'type', 'priority', 'ownerId', 'assignee', 'openIssues', 'forReview', 'archived', 'sort'] as const;


/** Search, filters and the column picker. Every value lives in the URL, so a view can be shared. */
export function TasksFilters(props: {
  search: URLSearchParams;
  members: Member[];
  onChange: (changes: Record<string, string | null>) => void;
  columns: Column[];
  visible: Set<string>;
  onToggleColumn: (key: string) => void;
  showColumns: boolean;
}) {
  const { search, onChange } = props;
  const [q, setQ] = useState(search.get('q') ?? '');
  // Debounced: the URL (and the request) follows the typing after a pause.
  useEffect(() => {
    if (q === (search.get('q') ?? '')) return;
    const timer = window.setTimeout(() => onChange({ q: q || null }), 300);
    return () => window.clearTimeout(timer);
  }, [q, search, onChange]);

  const select = (key: keyof typeof filterOptions, label: string) => (
    <select aria-label={label} value={search.get(key) ?? ''} onChange={(e) => onChange({ [key]: e.target.value || null })}>
      <option value="">{label}: any</option>
      {filterOptions[key].map((o) => (
        <option key={o} value={o}>
          {o.replace(/_/g, ' ')}
        </option>
      ))}
    </select>
  );
  const toggle = (key: string, label: string, value = 'true') => (
    <label className="chip">
      <input type="checkbox" checked={search.get(key) === value} onChange={(e) => onChange({ [key]: e.target.checked ? value : null })} />
      {label}
    </label>
  );
  const active = [...search.keys()].filter((k) => k !== 'view' && k !== 'cursor');

  return (
    <div className="toolbar">
      <input type="search" className="search" placeholder="Search name, id or dataset" aria-label="Search tasks" value={q} onChange={(e) => setQ(e.target.value)} />
      {select('status', 'Status')}
      {select('workflowState', 'Workflow')}
      {select('type', 'Type')}
      {select('priority', 'Priority')}
      <select aria-label="Owner" value={search.get('ownerId') ?? ''} onChange={(e) => onChange({ ownerId: e.target.value || null })}>
        <option value="">Owner: anyone</option>
        {props.members.map((m) => (
          <option key={m.userId} value={m.userId}>
            {m.name || m.email}
          </option>
        ))}
      </select>
      {toggle('assignee', 'My tasks', 'me')}
      {toggle('assignee', 'Unassigned', 'unassigned')}
      {toggle('openIssues', 'Open issues')}
      {toggle('forReview', 'For review')}
      {toggle('archived', 'Archived')}
      {active.length > 0 && (
        <button type="button" className="btn btn-ghost" onClick={() => { setQ(''); onChange(Object.fromEntries(active.map((k) => [k, null]))); }}>
          Clear filters
        </button>
      )}
      {props.showColumns && (
        <details className="menu">
          <summary className="btn">Columns</summary>
          <div className="menu-panel">
            {props.columns.map((c) => (
              <label key={c.key} className="menu-item">
                <input type="checkbox" checked={props.visible.has(c.key)} disabled={c.key === 'name'} onChange={() => props.onToggleColumn(c.key)} />
                {c.label}
              </label>
            ))}
          </div>
        </details>
      )}
    </div>
  );
}
