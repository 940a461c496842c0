import { useState, type FormEvent } from 'react';
import { recipes as recipesApi } from '../../api/resources.ts';
import type { Tool } from '../../api/types.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { useRole } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { humanize, sentence } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Field } from '../../components/widgets.tsx';

const allTools: Tool[] = ['classification', 'multi_classification', 'bbox', 'polygon', 'text_span', 'rating', 'free_text'];
const palette = ['#3b5bdb', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#1098ad', '#f08c00', '#5c940d', '#862e9c'];
const splitList = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** Recipes: the labels, tools, statuses and instructions that say how work is done. */
export function RecipesPage({ projectId }: { projectId: string }) {
  const { atLeast } = useRole(projectId);
  const list = useApi(() => recipesApi.list(projectId), [projectId]);
  const [name, setName] = useState('');
  const [labels, setLabels] = useState('positive, negative, neutral');
  const [tools, setTools] = useState<Tool[]>(['classification']);
  const [statuses, setStatuses] = useState('');
  const [instructionsUrl, setInstructionsUrl] = useState('');
  const [error, setError] = useState<unknown>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await recipesApi.create(projectId, {
        name,
        labels: splitList(labels).map((l, i) => ({ name: l, color: palette[i % palette.length] })),
        tools,
        statuses: splitList(statuses).map((s) => ({ name: s })),
        instructionsUrl: instructionsUrl || undefined,
      });
      setName('');
      list.reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Layout projectId={projectId}>
      <PageHead title="Recipes" />
      <div className="grid-2">
        <Async state={list} empty={(p) => (p.data.length === 0 ? <Empty title="No recipes yet">A recipe lists the labels and tools of a task.</Empty> : null)}>
          {(page) => (
            <ul className="card-list">
              {page.data.map((r) => (
                <li key={r.id} className="card stack">
                  <strong className="truncate">{r.name}</strong>
                  <span className="muted small">{r.tools.map(humanize).join(', ') || 'no tools'}</span>
                  <span className="label-row">
                    {r.labels.map((l) => (
                      <span key={l.name} className="label-chip">
                        <svg viewBox="0 0 10 10" className="swatch" aria-hidden="true">
                          <rect width="10" height="10" rx="2" fill={l.color ?? '#868e96'} />
                        </svg>
                        {l.name}
                      </span>
                    ))}
                  </span>
                  {(r.statuses?.length ?? 0) > 0 && <span className="muted small">Custom statuses: {r.statuses!.map((s) => s.name).join(', ')}</span>}
                </li>
              ))}
            </ul>
          )}
        </Async>
        {atLeast('manager') && (
          <form className="card stack" onSubmit={(e) => void create(e)}>
            <h2>New recipe</h2>
            <Field label="Name">
              <input name="recipeName" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field label="Labels" hint="Comma-separated">
              <input name="labels" value={labels} onChange={(e) => setLabels(e.target.value)} />
            </Field>
            <fieldset className="picks">
              <legend>Tools</legend>
              {allTools.map((t) => (
                <label key={t} className="chip">
                  <input type="checkbox" checked={tools.includes(t)} onChange={(e) => setTools(e.target.checked ? [...tools, t] : tools.filter((x) => x !== t))} />
                  {sentence(t)}
                </label>
              ))}
            </fieldset>
            <Field label="Custom statuses" hint="Comma-separated, offered beside the task type's own">
              <input name="statuses" value={statuses} onChange={(e) => setStatuses(e.target.value)} />
            </Field>
            <Field label="Instructions URL">
              <input type="url" name="instructionsUrl" value={instructionsUrl} onChange={(e) => setInstructionsUrl(e.target.value)} />
            </Field>
            <InlineError error={error} />
            <button type="submit" className="btn btn-primary">
              Create recipe
            </button>
          </form>
        )}
      </div>
    </Layout>
  );
}
