/**
 * Task-page tabs of robotics tasks (docs/robotics.md): the task's datasets with progress per
 * dataset (add and remove), and its invalid annotations with reasons (re-annotate, withdraw the
 * mark, or clear the answer).
 */
import { useState } from 'react';
import { datasets as datasetsApi, recipes as recipesApi, taskItems } from '../../api/resources.ts';
import { invalidAnnotations, taskDatasets } from '../../api/robotics.ts';
import type { Task } from '../../api/types.ts';
import { Link } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDateTime } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Badge, ProgressBar } from '../../components/widgets.tsx';
import { BatchAnnotationTab } from './batch-annotation-tab.tsx';

export function TaskDatasetsTab({ task, canManage, onChanged }: { task: Task; canManage: boolean; onChanged: () => void }) {
  const state = useApi(() => taskDatasets.list(task.id), [task.id]);
  const all = useApi(() => (canManage ? datasetsApi.list(task.projectId) : Promise.resolve({ data: [], nextCursor: null })), [task.projectId, canManage]);
  const [adding, setAdding] = useState('');
  const [error, setError] = useState<unknown>(null);
  const run = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
      state.reload();
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  const present = new Set(state.data?.data.map((d) => d.datasetId) ?? []);
  const addable = (all.data?.data ?? []).filter((d: { id: string }) => !present.has(d.id));
  return (
    <div className="stack">
      <Async state={state} empty={(r) => (r.data.length === 0 ? <Empty title="This task has no datasets">Tickets and review tasks take their items elsewhere.</Empty> : null)}>
        {(r) => (
          <div className="table-wrap">
            <table className="table" data-testid="task-datasets">
              <thead>
                <tr>
                  <th>Dataset</th>
                  <th>Items</th>
                  <th>Annotated</th>
                  <th>Done</th>
                  <th>Completion</th>
                  {canManage && <th />}
                </tr>
              </thead>
              <tbody>
                {r.data.map((d) => (
                  <tr key={d.datasetId}>
                    <td className="truncate">{d.name}</td>
                    <td>{d.items.toLocaleString()}</td>
                    <td>{d.annotated.toLocaleString()}</td>
                    <td>{d.done.toLocaleString()}</td>
                    <td>
                      <ProgressBar progress={{ done: d.done, total: d.items, percent: d.percent }} label />
                    </td>
                    {canManage && (
                      <td>
                        <button type="button" className="btn btn-small btn-ghost" disabled={r.data.length < 2} title={r.data.length < 2 ? 'A task keeps at least one dataset' : 'Removing is refused while its items carry annotations or statuses'} onClick={() => void run(() => taskDatasets.remove(task.id, d.datasetId))}>
                          Remove
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
      {canManage && addable.length > 0 && (
        <div className="tool-row">
          <select value={adding} onChange={(e) => setAdding(e.target.value)} aria-label="Dataset to add">
            <option value="">Add a dataset…</option>
            {addable.map((d: { id: string; name: string }) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
          <button type="button" className="btn" disabled={!adding} onClick={() => void run(() => taskDatasets.add(task.id, adding)).then(() => setAdding(''))}>
            Add to task
          </button>
        </div>
      )}
      <InlineError error={error} />
    </div>
  );
}

export function InvalidAnnotationsTab({ task, names, canReview }: { task: Task; names: Map<string, string>; canReview: boolean }) {
  const state = useApi(() => invalidAnnotations.list(task.id), [task.id]);
  const [error, setError] = useState<unknown>(null);
  const run = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
      state.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="stack">
      <InlineError error={error} />
      <Async state={state} empty={(r) => (r.data.length === 0 ? <Empty title="No invalid annotations">Reviewers mark an answer invalid from the review workspace; it then shows here with the reason.</Empty> : null)}>
        {(r) => (
          <div className="table-wrap">
            <table className="table" data-testid="invalid-annotations">
              <thead>
                <tr>
                  <th>Item</th>
                  <th>Annotator</th>
                  <th>Reason</th>
                  <th>Marked by</th>
                  <th>When</th>
                  <th>Status</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {r.data.map((a) => (
                  <tr key={a.id}>
                    <td className="truncate">{a.externalId ?? a.itemId.slice(0, 8)} <span className="muted small">v{a.version}</span></td>
                    <td className="truncate">{names.get(a.workerId ?? a.authorId ?? '') ?? '—'}</td>
                    <td>{a.reason}</td>
                    <td className="truncate">{names.get(a.invalidatedBy ?? '') ?? '—'}</td>
                    <td>{formatDateTime(a.invalidatedAt)}</td>
                    <td>{a.status ? <Badge value={a.status} /> : <span className="muted small">pending</span>}</td>
                    <td className="tool-row">
                      <Link to={`/tasks/${task.id}/annotate?item=${a.itemId}`} className="btn btn-small">
                        Re-annotate
                      </Link>
                      {canReview && (
                        <button type="button" className="btn btn-small btn-ghost" onClick={() => void run(() => invalidAnnotations.withdraw(a.id))}>
                          Withdraw mark
                        </button>
                      )}
                      {canReview && (
                        <button type="button" className="btn btn-small btn-ghost" title="Saves an empty answer as a new version; earlier versions are kept" onClick={() => void run(() => taskItems.save(task.id, a.itemId, a.id, []))}>
                          Delete answer
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
    </div>
  );
}

/** The batch tab with the task's recipe loaded. */
export function BatchTab({ task }: { task: Task }) {
  const recipe = useApi(() => (task.recipeId ? recipesApi.get(task.recipeId) : Promise.resolve(undefined)), [task.recipeId]);
  if (recipe.loading && !recipe.data) return <p className="muted">Loading the recipe…</p>;
  return <BatchAnnotationTab task={task} recipe={recipe.data} />;
}
