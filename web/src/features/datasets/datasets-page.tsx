import { useState, type FormEvent } from 'react';
import { datasets as datasetsApi } from '../../api/resources.ts';
import type { Dataset } from '../../api/types.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { navigate } from '../../app/router.tsx';
import { useRole } from '../../app/session.tsx';
import { FileImport } from './file-import.tsx';
import { useApi } from '../../app/use-api.ts';
import { count, formatDate, humanize } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { CopyId, Field } from '../../components/widgets.tsx';

const example = '[\n  {"externalId": "t1", "kind": "text", "payload": {"text": "The parcel arrived late and damaged."}}\n]';

/** Datasets: create one, import items (JSON, JSON Lines or CSV), glance at its items. */
export function DatasetsPage({ projectId }: { projectId: string }) {
  const { atLeast } = useRole(projectId);
  const list = useApi(() => datasetsApi.list(projectId), [projectId]);
  const [open, setOpen] = useState<string | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const d = await datasetsApi.create(projectId, name);
      setName('');
      setOpen(d.id);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };

  return (
    <Layout projectId={projectId}>
      <PageHead title="Datasets">
        {atLeast('manager') && (
          <button type="button" className="btn btn-primary" disabled={!chosen.length} title="Create a task over the selected datasets" onClick={() => navigate(`/p/${projectId}/tasks?create=1&datasetIds=${chosen.join(',')}`)}>
            Annotate{chosen.length ? ` (${chosen.length})` : ''}
          </button>
        )}
      </PageHead>
      <div className="grid-2">
        <Async state={list} empty={(p) => (p.data.length === 0 ? <Empty title="No datasets yet">Create one and import items into it.</Empty> : null)}>
          {(page) => (
            <ul className="card-list">
              {page.data.map((d) => (
                <li key={d.id} className={`card${open === d.id ? ' card-active' : ''}`}>
                  <button type="button" className="card-button" onClick={() => setOpen(open === d.id ? null : d.id)}>
                    <strong className="truncate">{d.name}</strong>
                    <span className="muted">
                      {count(d.itemCount ?? 0)} items · {formatDate(d.createdAt)}
                    </span>
                  </button>
                  <CopyId id={d.id} />
                  {atLeast('manager') && (
                    <label className="chip">
                      <input type="checkbox" checked={chosen.includes(d.id)} onChange={(e) => setChosen(e.target.checked ? [...chosen, d.id] : chosen.filter((x) => x !== d.id))} /> select
                    </label>
                  )}
                  {open === d.id && <DatasetPanel dataset={d} canImport={atLeast('manager')} onImported={list.reload} />}
                </li>
              ))}
            </ul>
          )}
        </Async>
        {atLeast('manager') && (
          <form className="card stack" onSubmit={(e) => void create(e)}>
            <h2>New dataset</h2>
            <input aria-label="Dataset name" placeholder="Dataset name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
            <button type="submit" className="btn btn-primary">
              Create dataset
            </button>
            <InlineError error={error} />
          </form>
        )}
      </div>
    </Layout>
  );
}

function DatasetPanel({ dataset, canImport, onImported }: { dataset: Dataset; canImport: boolean; onImported: () => void }) {
  const items = useApi(() => datasetsApi.items(dataset.id), [dataset.id]);
  const [body, setBody] = useState(example);
  const [format, setFormat] = useState('application/json');
  const [partial, setPartial] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await datasetsApi.importItems(dataset.id, body, format, partial);
      setResult(`${r.created} created${r.updated ? `, ${r.updated} updated` : ''}${r.failed.length ? `; ${r.failed.length} failed: ${r.failed.slice(0, 3).map((f) => `line ${f.line}: ${f.error}`).join('; ')}` : ''}`);
      items.reload();
      onImported();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack panel">
      {canImport && <FileImport datasetId={dataset.id} onImported={() => (items.reload(), onImported())} />}
      {canImport && (
        <details className="stack">
          <summary className="muted">Or paste items</summary>
          <Field label="Items to import">
            <textarea className="mono" rows={6} value={body} onChange={(e) => setBody(e.target.value)} aria-label="Items to import" />
          </Field>
          <div className="row">
            <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value)}>
              <option value="application/json">JSON array</option>
              <option value="application/x-ndjson">JSON Lines</option>
              <option value="text/csv">CSV</option>
            </select>
            <label className="chip">
              <input type="checkbox" checked={partial} onChange={(e) => setPartial(e.target.checked)} /> keep good lines
            </label>
            <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void run()}>
              {busy ? 'Importing…' : 'Import'}
            </button>
          </div>
          {result && (
            <p className="notice" role="status">
              {result}
            </p>
          )}
          <InlineError error={error} />
        </details>
      )}
      <Async state={items} empty={(p) => (p.data.length === 0 ? <Empty title="No items in this dataset" /> : null)}>
        {(page) => (
          <table className="table table-compact">
            <thead>
              <tr>
                <th>Kind</th>
                <th>External id</th>
                <th>Draft</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((i) => (
                <tr key={i.id}>
                  <td>{humanize(i.kind)}</td>
                  <td className="truncate">{i.externalId ?? '—'}</td>
                  <td>{i.draft ? 'draft' : ''}</td>
                  <td>{formatDate(i.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </div>
  );
}
