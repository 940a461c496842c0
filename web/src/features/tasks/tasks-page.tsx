import { useMemo, useState } from 'react';
import { confirmInApp, toast } from '../../components/feedback.tsx';
import { messageOf } from '../../api/client.ts';
import { projects as projectsApi, datasets as datasetsApi, recipes as recipesApi, tasks as tasksApi, type TaskQuery } from '../../api/resources.ts';
import type { Task } from '../../api/types.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { useSearch } from '../../app/router.tsx';
import { rememberProject, useRole, useSession } from '../../app/session.tsx';
import { useApi, usePolling } from '../../app/use-api.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Stat } from '../../components/widgets.tsx';
import { CreateTaskDialog } from './create-task-dialog.tsx';
import { TasksBoard } from './tasks-board.tsx';
import { loadVisibleColumns, memberNames, saveVisibleColumns, taskColumns } from './task-columns.tsx';
import { TasksFilters, filterKeys } from './tasks-filters.tsx';
import { TasksTable, type Selection } from './tasks-table.tsx';

/** Summary counters, then the tasks as a table (filters in the URL) or a board by workflow state. */
export function TasksPage({ projectId }: { projectId: string }) {
  rememberProject(projectId);
  const { me } = useSession();
  const { atLeast } = useRole(projectId);
  const { search, set } = useSearch();
  const view = search.get('view') === 'board' ? 'board' : 'table';
  const query: TaskQuery = {};
  for (const key of filterKeys) {
    const v = search.get(key);
    if (v) (query as Record<string, string>)[key] = v;
  }
  const cursor = search.get('cursor') ?? undefined;
  const queryKey = JSON.stringify(query);

  const summary = useApi(() => projectsApi.summary(projectId), [projectId]);
  usePolling(summary.reload, 15_000);
  const members = useApi(() => projectsApi.members(projectId), [projectId]);
  const list = useApi(() => tasksApi.list(projectId, { ...query, cursor, limit: view === 'board' ? 200 : 50 }), [projectId, queryKey, cursor, view]);

  const [visible, setVisible] = useState(loadVisibleColumns);
  const [selection, setSelection] = useState<Selection>({ mode: 'ids', ids: new Set() });
  const [creating, setCreating] = useState(() => search.get('create') === '1');
  const [batchMessage, setBatchMessage] = useState<string | null>(null);
  const [batchError, setBatchError] = useState<unknown>(null);
  const [cursors, setCursors] = useState<string[]>([]);
  const datasets = useApi(() => datasetsApi.list(projectId), [projectId]);
  const recipes = useApi(() => recipesApi.list(projectId), [projectId]);
  // One id → name map for people, datasets and recipes (ids never collide: they are UUIDs).
  const names = useMemo(() => {
    const m = memberNames(members.data);
    for (const d of datasets.data?.data ?? []) m.set(d.id, d.name);
    for (const r of recipes.data?.data ?? []) m.set(r.id, r.name);
    return m;
  }, [members.data, datasets.data, recipes.data]);

  const setFilter = (changes: Record<string, string | null>) => {
    setSelection({ mode: 'ids', ids: new Set() });
    setCursors([]);
    set({ ...changes, cursor: null });
  };

  const runBatch = async (action: 'delete' | 'update' | 'reassign', extra: { patch?: Record<string, unknown> } = {}) => {
    setBatchError(null);
    setBatchMessage(null);
    const target = selection.mode === 'all' ? { filter: query } : { ids: [...selection.ids] };
    if (
      action === 'delete' &&
      !(await confirmInApp({
        title: 'Delete tasks',
        body: `Delete ${selection.mode === 'all' ? 'every matching task' : `${selection.ids.size} task(s)`}? Tasks with history are archived instead.`,
        confirmLabel: 'Delete',
      }))
    )
      return;
    try {
      const outcomes = (await tasksApi.batch(projectId, { action, ...target, ...extra })).results;
      const refused = outcomes.filter((o) => !o.ok);
      const archived = outcomes.filter((o) => o.archived === true).length;
      setBatchMessage(
        `${outcomes.length - refused.length} done${archived ? ` (${archived} archived)` : ''}` +
          (refused.length ? `; ${refused.length} refused: ${refused.slice(0, 3).map((o) => o.detail ?? o.code ?? `HTTP ${o.status}`).join('; ')}` : ''),
      );
      toast(refused.length ? `${outcomes.length - refused.length} of ${outcomes.length} done` : `${outcomes.length} task(s) ${action === 'delete' ? 'deleted' : 'updated'}`, refused.length ? 'error' : 'success');
      setSelection({ mode: 'ids', ids: new Set() });
      list.reload();
      summary.reload();
    } catch (e) {
      setBatchError(e);
    }
  };

  const toggleColumn = (key: string) => {
    const next = new Set(visible);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    next.add('name');
    setVisible(next);
    saveVisibleColumns(next);
  };

  return (
    <Layout projectId={projectId}>
      <PageHead title="Tasks" sub={me.projects.find((p) => p.id === projectId)?.name}>
        <div className="segmented" role="group" aria-label="View">
          <button type="button" className={view === 'table' ? 'seg-active' : ''} onClick={() => set({ view: null, cursor: null })}>
            Table
          </button>
          <button type="button" className={view === 'board' ? 'seg-active' : ''} onClick={() => set({ view: 'board', cursor: null })}>
            Board
          </button>
        </div>
        {atLeast('manager') && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            New task
          </button>
        )}
      </PageHead>

      <section className="stats" aria-label="Summary">
        {summary.error !== undefined && !summary.data ? (
          <span className="inline-error">{messageOf(summary.error)}</span>
        ) : (
          <>
            <Stat label="Tasks" value={summary.data?.tasks ?? '…'} />
            <Stat label="Assignments" value={summary.data?.assignments ?? '…'} />
            <Stat label="Open issues" value={summary.data?.openIssues ?? '…'} />
            <Stat label="Pending reviews" value={summary.data?.pendingReviews ?? '…'} />
          </>
        )}
      </section>

      <TasksFilters search={search} members={members.data ?? []} onChange={setFilter} columns={taskColumns} visible={visible} onToggleColumn={toggleColumn} showColumns={view === 'table'} />

      {batchMessage && (
        <p className="notice" role="status">
          {batchMessage}
        </p>
      )}
      <InlineError error={batchError} />

      <Async
        state={list}
        empty={(page) =>
          page.data.length === 0 ? (
            <Empty title={Object.keys(query).length ? 'No task matches these filters' : 'No tasks yet'}>
              {Object.keys(query).length ? 'Clear a filter to see more.' : atLeast('manager') ? 'Create the first task with “New task”.' : 'Tasks assigned to you will show here.'}
            </Empty>
          ) : null
        }
      >
        {(page) =>
          view === 'board' ? (
            <TasksBoard tasks={page.data} truncated={page.nextCursor !== null} onChanged={list.reload} />
          ) : (
            <TasksTable
              tasks={page.data}
              names={names}
              visible={visible}
              sort={search.get('sort')}
              onSort={(sort) => setFilter({ sort })}
              selection={selection}
              onSelection={setSelection}
              canManage={atLeast('manager')}
              members={members.data ?? []}
              onBatch={(action, extra) => void runBatch(action, extra)}
              hasPrevious={cursors.length > 0}
              hasNext={page.nextCursor !== null}
              onPrevious={() => {
                const previous = cursors.slice(0, -1);
                setCursors(previous);
                set({ cursor: previous[previous.length - 1] ?? null });
              }}
              onNext={() => {
                setCursors([...cursors, page.nextCursor!]);
                set({ cursor: page.nextCursor });
              }}
            />
          )
        }
      </Async>
      {creating && (
        <CreateTaskDialog
          projectId={projectId}
          members={members.data ?? []}
          initialDatasetIds={search.get('datasetIds')?.split(',').filter(Boolean)}
          onClose={() => setCreating(false)}
          onCreated={(task: Task) => {
            setCreating(false);
            list.reload();
            summary.reload();
            void task;
          }}
        />
      )}
    </Layout>
  );
}
