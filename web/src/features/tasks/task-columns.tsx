import type { ReactNode } from 'react';
import type { Member, Task } from '../../api/types.ts';
import { Link } from '../../app/router.tsx';
import { formatDate, humanize } from '../../components/format.ts';
import { Badge, CopyId, ProgressBar } from '../../components/widgets.tsx';

export interface Column {
  key: string;
  label: string;
  /** The `sort` field the server accepts, when the column sorts. */
  sort?: string;
  defaultVisible: boolean;
  render: (task: Task, names: Map<string, string>) => ReactNode;
}

export const taskColumns: Column[] = [
  {
    key: 'name',
    label: 'Name',
    sort: 'name',
    defaultVisible: true,
    render: (t) => (
      <div className="cell-name">
        <Link to={`/tasks/${t.id}`} className="truncate" title={t.name}>
          {t.name}
        </Link>
        <CopyId id={t.id} />
      </div>
    ),
  },
  { key: 'items', label: 'Items', defaultVisible: true, render: (t) => (t.counts?.items !== undefined ? `${t.counts.done ?? 0}/${t.counts.items}` : '—') },
  {
    key: 'status',
    label: 'Status',
    defaultVisible: true,
    render: (t) => (
      <span className="cell-status">
        <Badge value={t.status} />
        {t.locked && <span className="sign sign-locked" title="Locked">locked</span>}
        {(t.counts?.openIssues ?? 0) > 0 && (
          <span className="sign sign-issues" title={`${t.counts?.openIssues} open issues`}>
            {t.counts?.openIssues} {t.counts?.openIssues === 1 ? 'issue' : 'issues'}
          </span>
        )}
        {(t.counts?.forReview ?? 0) > 0 && (
          <span className="sign sign-review" title={`${t.counts?.forReview} issues for review`}>
            {t.counts?.forReview} for review
          </span>
        )}
      </span>
    ),
  },
  { key: 'workflow', label: 'Workflow', defaultVisible: true, render: (t) => <Badge value={t.workflowState} /> },
  { key: 'progress', label: 'Progress', defaultVisible: true, render: (t) => <ProgressBar progress={t.progress} /> },
  { key: 'priority', label: 'Priority', sort: 'priority', defaultVisible: true, render: (t) => (t.priority ? <Badge value={t.priority} kind={`prio-${t.priority}`} /> : '—') },
  { key: 'dueDate', label: 'Due', sort: 'dueDate', defaultVisible: true, render: (t) => formatDate(t.dueDate) },
  { key: 'type', label: 'Type', defaultVisible: false, render: (t) => humanize(t.type) },
  { key: 'dataset', label: 'Dataset', defaultVisible: false, render: (t, names) => <span className="truncate">{(t.datasetId && names.get(t.datasetId)) || '—'}</span> },
  { key: 'recipe', label: 'Recipe', defaultVisible: false, render: (t, names) => <span className="truncate">{(t.recipeId && names.get(t.recipeId)) || '—'}</span> },
  { key: 'allocation', label: 'Allocation', defaultVisible: false, render: (t) => humanize(t.allocation?.method) },
  { key: 'owner', label: 'Owner', defaultVisible: false, render: (t, names) => <span className="truncate">{(t.ownerId && names.get(t.ownerId)) || '—'}</span> },
  { key: 'updated', label: 'Updated', sort: 'updatedAt', defaultVisible: true, render: (t) => formatDate(t.updatedAt) },
  { key: 'created', label: 'Created', sort: 'createdAt', defaultVisible: false, render: (t) => formatDate(t.createdAt) },
];

export const memberNames = (members: Member[] | undefined) => new Map((members ?? []).map((m) => [m.userId, m.name || m.email]));

const COLUMNS_KEY = 'loupe.taskColumns';
export function loadVisibleColumns(): Set<string> {
  try {
    const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null') as unknown;
    if (Array.isArray(saved)) return new Set(saved.filter((x): x is string => typeof x === 'string'));
  } catch {
    // a corrupt preference falls back to the defaults
  }
  return new Set(taskColumns.filter((c) => c.defaultVisible).map((c) => c.key));
}
export const saveVisibleColumns = (keys: Set<string>) => localStorage.setItem(COLUMNS_KEY, JSON.stringify([...keys]));
