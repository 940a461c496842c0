import { useState, type FormEvent } from 'react';
import { datasets as datasetsApi, recipes as recipesApi, tasks as tasksApi, type CreateTaskBody } from '../../api/resources.ts';
import type { Member, Task } from '../../api/types.ts';
import { useApi } from '../../app/use-api.ts';
import { InlineError } from '../../components/states.tsx';
import { Dialog, Field } from '../../components/widgets.tsx';
import { PriorityAndDueFields } from './task-dialogs.tsx';

function MemberPicks({ members, value, onChange, label }: { members: Member[]; value: string[]; onChange: (ids: string[]) => void; label: string }) {
  return (
    <fieldset className="picks">
      <legend>{label}</legend>
      {members.length === 0 && <span className="muted small">No members yet.</span>}
      {members.map((m) => (
        <label key={m.userId} className="chip">
          <input
            type="checkbox"
            checked={value.includes(m.userId)}
            onChange={(e) => onChange(e.target.checked ? [...value, m.userId] : value.filter((x) => x !== m.userId))}
          />
          <span className="truncate">{m.name || m.email}</span>
          <span className="muted small">{m.role}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function CreateTaskDialog({ projectId, members, onClose, onCreated, initialDatasetIds }: { projectId: string; members: Member[]; onClose: () => void; onCreated: (t: Task) => void; initialDatasetIds?: string[] }) {
  const datasets = useApi(() => datasetsApi.list(projectId), [projectId]);
  const recipes = useApi(() => recipesApi.list(projectId), [projectId]);
  const [form, setForm] = useState({
    name: '',
    type: 'labeling',
    datasetId: '',
    recipeId: '',
    method: 'pulling' as 'pulling' | 'distribution',
    batchSize: 5,
    maxWorkload: 10,
    annotatorsPerItem: 2,
    goldItemIds: '',
    goldRatio: 0.1,
    priority: '',
    dueDate: '',
    description: '',
  });
  // Several datasets per task (docs/robotics.md): chosen here or on the datasets page ("Annotate").
  const [datasetIds, setDatasetIds] = useState<string[]>(initialDatasetIds ?? []);
  const [assignees, setAssignees] = useState<string[]>([]);
  const [reviewers, setReviewers] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof form>(key: K, value: (typeof form)[K]) => setForm((f) => ({ ...f, [key]: value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const task = await tasksApi.create(projectId, {
        name: form.name,
        type: form.type as CreateTaskBody['type'],
        ...(datasetIds.length > 1 ? { datasetIds } : { datasetId: datasetIds[0] || undefined }),
        recipeId: form.recipeId || undefined,
        assigneeIds: assignees,
        reviewerIds: reviewers.length ? reviewers : undefined,
        allocation: form.method === 'pulling' ? { method: 'pulling', batchSize: form.batchSize, maxWorkload: form.maxWorkload } : { method: 'distribution' },
        priority: (form.priority || undefined) as CreateTaskBody['priority'],
        dueDate: form.dueDate ? new Date(`${form.dueDate}T23:59:59`).toISOString() : undefined,
        description: form.description || undefined,
        consensus: form.type === 'consensus' ? { annotatorsPerItem: form.annotatorsPerItem } : undefined,
        honeypot: form.type === 'honeypot' ? { goldItemIds: form.goldItemIds.split(/[\s,]+/).filter(Boolean), ratio: form.goldRatio } : undefined,
      });
      onCreated(task);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="New task" onClose={onClose}>
      <form className="form-grid" onSubmit={(e) => void submit(e)}>
        <Field label="Name">
          <input name="name" required maxLength={200} value={form.name} onChange={(e) => set('name', e.target.value)} />
        </Field>
        <Field label="Type">
          <select name="type" value={form.type} onChange={(e) => set('type', e.target.value)}>
            {['labeling', 'consensus', 'qualification', 'honeypot', 'ticket'].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
        <Field label="Datasets" hint={datasets.error !== undefined ? 'Datasets could not be loaded.' : 'Ctrl/⌘-click to choose several'}>
          <select name="datasetIds" multiple size={Math.min(5, Math.max(2, datasets.data?.data.length ?? 2))} value={datasetIds} onChange={(e) => setDatasetIds([...e.target.selectedOptions].map((o) => o.value))}>
            {datasets.data?.data.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Recipe">
          <select name="recipeId" value={form.recipeId} onChange={(e) => set('recipeId', e.target.value)}>
            <option value="">—</option>
            {recipes.data?.data.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Allocation">
          <select name="allocation" value={form.method} onChange={(e) => set('method', e.target.value as 'pulling' | 'distribution')}>
            <option value="pulling">pulling (assignees pull batches)</option>
            <option value="distribution">distribution (split on creation)</option>
          </select>
        </Field>
        {form.method === 'pulling' && (
          <div className="row">
            <Field label="Batch size">
              <input type="number" min={1} max={100} value={form.batchSize} onChange={(e) => set('batchSize', Number(e.target.value))} />
            </Field>
            <Field label="Max workload">
              <input type="number" min={1} max={1000} value={form.maxWorkload} onChange={(e) => set('maxWorkload', Number(e.target.value))} />
            </Field>
          </div>
        )}
        {form.type === 'consensus' && (
          <Field label="Annotators per item">
            <input type="number" min={2} max={20} value={form.annotatorsPerItem} onChange={(e) => set('annotatorsPerItem', Number(e.target.value))} />
          </Field>
        )}
        {form.type === 'honeypot' && (
          <div className="row">
            <Field label="Gold item ids" hint="Items with a gold answer, separated by spaces, commas or new lines.">
              <textarea name="goldItemIds" rows={2} required value={form.goldItemIds} onChange={(e) => set('goldItemIds', e.target.value)} />
            </Field>
            <Field label="Gold share">
              <input name="goldRatio" type="number" min={0.01} max={0.99} step={0.01} value={form.goldRatio} onChange={(e) => set('goldRatio', Number(e.target.value))} />
            </Field>
          </div>
        )}
        <PriorityAndDueFields priority={form.priority} dueDate={form.dueDate} onPriority={(v) => set('priority', v)} onDueDate={(v) => set('dueDate', v)} />
        <MemberPicks label="Assignees" members={members} value={assignees} onChange={setAssignees} />
        <MemberPicks label="Reviewers" members={members} value={reviewers} onChange={setReviewers} />
        <Field label="Description">
          <textarea rows={2} maxLength={5000} value={form.description} onChange={(e) => set('description', e.target.value)} />
        </Field>
        <InlineError error={error} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create task'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
