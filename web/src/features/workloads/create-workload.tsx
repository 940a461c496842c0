/**
 * The create form of a workload (docs/workloads.md): who is reviewed and who evaluates, the
 * scorecard recipe, the schedule, the target, where conversations are sampled from, and AutoQA
 * with the project's evaluator that answers for it (`aiEvaluatorId`).
 */
import { useState } from 'react';
import { members as membersApi } from '../../api/admin.ts';
import { evaluatorsApi } from '../../api/evaluators.ts';
import { datasets as datasetsApi, recipes as recipesApi } from '../../api/resources.ts';
import { workloadsApi } from '../../api/workloads.ts';
import { navigate } from '../../app/router.tsx';
import { useApi, useSubmit } from '../../app/use-api.ts';
import { toast } from '../../components/feedback.tsx';
import { InlineError } from '../../components/states.tsx';
import { Dialog, Field } from '../../components/widgets.tsx';

type AutoQa = 'off' | 'copilot' | 'autonomous';

async function loadChoices(projectId: string) {
  const [members, recipes, datasets, evaluators] = await Promise.all([membersApi.list(projectId), recipesApi.list(projectId), datasetsApi.list(projectId), evaluatorsApi.list(projectId)]);
  return { members: members.data, recipes: recipes.data, datasets: datasets.data, evaluators: evaluators.data };
}

function People({ label, people, chosen, onChange }: { label: string; people: Array<{ userId: string; name: string; email: string }>; chosen: string[]; onChange: (ids: string[]) => void }) {
  return (
    <fieldset className="field people-pick">
      <legend className="field-label">{label}</legend>
      {people.map((p) => (
        <label key={p.userId} className="check">
          <input type="checkbox" checked={chosen.includes(p.userId)} onChange={(e) => onChange(e.target.checked ? [...chosen, p.userId] : chosen.filter((x) => x !== p.userId))} /> {p.name}{' '}
          <span className="muted small">{p.email}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function CreateWorkloadDialog({ projectId, onClose }: { projectId: string; onClose: () => void }) {
  const choices = useApi(() => loadChoices(projectId), [projectId]);
  const [form, setForm] = useState({
    name: '',
    scorecardRecipeId: '',
    datasetId: '',
    revieweeField: 'metadata.agentId',
    strategy: 'random' as 'random' | 'stratified',
    frequency: 'weekly' as 'daily' | 'weekly' | 'monthly',
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    count: 5,
    per: 'reviewee' as 'total' | 'reviewee',
    revieweeIds: [] as string[],
    evaluatorIds: [] as string[],
    autoQa: 'off' as AutoQa,
    aiEvaluatorId: '',
  });
  const { busy, error, submit } = useSubmit(async () => {
    const w = await workloadsApi.create(projectId, {
        name: form.name,
        scorecardRecipeId: form.scorecardRecipeId,
        revieweeIds: form.revieweeIds,
        evaluatorIds: form.evaluatorIds,
        schedule: { frequency: form.frequency, timeZone: form.timeZone },
        target: { count: form.count, per: form.per },
        sampling: { datasetId: form.datasetId, revieweeField: form.revieweeField, strategy: form.strategy },
        autoQa: form.autoQa,
        aiEvaluatorId: form.autoQa === 'off' ? null : form.aiEvaluatorId || null,
      });
    toast(`Workload “${w.name}” created`);
    navigate(`/workloads/${w.id}`);
  });
  const c = choices.data;
  return (
    <Dialog title="New workload" onClose={onClose}>
      {!c ? (
        choices.error ? <InlineError error={choices.error} /> : <p className="muted">Loading…</p>
      ) : (
        <form className="stack" onSubmit={submit} aria-label="Create a workload">
          <Field label="Name">
            <input required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </Field>
          <Field label="Scorecard recipe" hint="Its rating categories are what evaluators score.">
            <select required value={form.scorecardRecipeId} onChange={(e) => setForm({ ...form, scorecardRecipeId: e.target.value })}>
              <option value="">Choose a recipe…</option>
              {c.recipes.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </Field>
          <div className="form-row">
            <Field label="Sample from dataset">
              <select required value={form.datasetId} onChange={(e) => setForm({ ...form, datasetId: e.target.value })}>
                <option value="">Choose a dataset…</option>
                {c.datasets.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Reviewee field" hint="The item field that names the person reviewed.">
              <input required value={form.revieweeField} onChange={(e) => setForm({ ...form, revieweeField: e.target.value })} />
            </Field>
            <Field label="Sampling">
              <select value={form.strategy} onChange={(e) => setForm({ ...form, strategy: e.target.value as 'random' | 'stratified' })}>
                <option value="random">Random</option>
                <option value="stratified">Stratified by reviewee</option>
              </select>
            </Field>
          </div>
          <div className="form-row">
            <Field label="Repeats">
              <select value={form.frequency} onChange={(e) => setForm({ ...form, frequency: e.target.value as 'daily' | 'weekly' | 'monthly' })}>
                <option value="daily">Daily</option>
                <option value="weekly">Weekly</option>
                <option value="monthly">Monthly</option>
              </select>
            </Field>
            <Field label="Time zone">
              <input required value={form.timeZone} onChange={(e) => setForm({ ...form, timeZone: e.target.value })} />
            </Field>
            <Field label="Target">
              <input type="number" min={1} max={10000} required value={form.count} onChange={(e) => setForm({ ...form, count: Number(e.target.value) })} />
            </Field>
            <Field label="Counted">
              <select value={form.per} onChange={(e) => setForm({ ...form, per: e.target.value as 'total' | 'reviewee' })}>
                <option value="reviewee">Per reviewee</option>
                <option value="total">In all</option>
              </select>
            </Field>
          </div>
          <People label="Reviewees" people={c.members} chosen={form.revieweeIds} onChange={(revieweeIds) => setForm({ ...form, revieweeIds })} />
          <People label="Evaluators" people={c.members} chosen={form.evaluatorIds} onChange={(evaluatorIds) => setForm({ ...form, evaluatorIds })} />
          <div className="form-row">
            <Field label="AutoQA" hint="Copilot: the AI answers first and people check; autonomous: the AI alone.">
              <select value={form.autoQa} onChange={(e) => setForm({ ...form, autoQa: e.target.value as AutoQa })}>
                <option value="off">Off</option>
                <option value="copilot">Copilot</option>
                <option value="autonomous">Autonomous</option>
              </select>
            </Field>
            {form.autoQa !== 'off' && (
              <Field label="AI evaluator" hint={c.evaluators.length ? 'An evaluator of this project answers for AutoQA.' : 'This project has no evaluator yet: create one under Evaluators.'}>
                <select required value={form.aiEvaluatorId} onChange={(e) => setForm({ ...form, aiEvaluatorId: e.target.value })}>
                  <option value="">Choose an evaluator…</option>
                  {c.evaluators.map((ev) => (
                    <option key={ev.id} value={ev.id}>
                      {ev.name}
                    </option>
                  ))}
                </select>
              </Field>
            )}
          </div>
          {form.revieweeIds.length === 0 && <p className="muted small" data-testid="workload-why">Choose at least one reviewee.</p>}
          <div className="row">
            <button type="submit" className="btn btn-primary" disabled={busy || form.revieweeIds.length === 0}>
              {busy ? 'Creating…' : 'Create workload'}
            </button>
            <button type="button" className="btn" onClick={onClose}>
              Cancel
            </button>
          </div>
          <InlineError error={error} />
        </form>
      )}
    </Dialog>
  );
}
