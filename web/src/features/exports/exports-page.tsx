import { useState } from 'react';
import { exportFormats, exportsApi, type Comparison, type ExportFormat, type ExportRow } from '../../api/exports.ts';
import { tasks as tasksApi } from '../../api/resources.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { useSearch } from '../../app/router.tsx';
import { useApi, usePolling } from '../../app/use-api.ts';
import { formatDateTime } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Badge, Field, ProgressBar } from '../../components/widgets.tsx';

const formatBytes = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 ** 2).toFixed(1)} MB`);
const percentOf = (e: ExportRow) => (e.status === 'completed' ? 100 : e.progress.total ? (100 * e.progress.done) / e.progress.total : 0);

/** Exports of a project (docs/exports.md): create one, watch its progress, download it; versions of a definition. */
export function ExportsPage({ projectId }: { projectId: string }) {
  const { search, set } = useSearch();
  const definitionId = search.get('definition');
  const list = useApi(() => exportsApi.list(projectId), [projectId]);
  const running = list.data?.data.some((e) => e.status === 'queued' || e.status === 'running') ?? false;
  usePolling(running ? list.reload : noop, 1500);
  return (
    <Layout projectId={projectId}>
      <PageHead title="Exports" sub="Files of a project's annotations, written in the background" />
      <div className="grid-2">
        <section className="stack" aria-label="History">
          <h2>History</h2>
          <Async state={list} empty={(p) => (p.data.length === 0 ? <Empty title="No exports yet">Create one with the form: it runs as a background job and appears here.</Empty> : null)}>
            {(page) => (
              <table className="table" aria-label="Exports">
                <thead>
                  <tr>
                    <th>Created</th>
                    <th>Format</th>
                    <th>Version</th>
                    <th>Status</th>
                    <th>Progress</th>
                    <th>Rows</th>
                    <th>Size</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((e) => (
                    <tr key={e.id}>
                      <td>{formatDateTime(e.createdAt)}</td>
                      <td>{e.format}</td>
                      <td>
                        {e.definitionId ? (
                          <button type="button" className="btn btn-ghost" onClick={() => set({ definition: e.definitionId })}>
                            v{e.version}
                          </button>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td>
                        <Badge value={e.status} />
                      </td>
                      <td>
                        <ProgressBar progress={{ done: e.progress.done, total: e.progress.total, percent: percentOf(e) }} />
                      </td>
                      <td>{e.status === 'completed' ? e.rows : '—'}</td>
                      <td>{e.status === 'completed' ? formatBytes(e.bytes) : '—'}</td>
                      <td>
                        {e.status === 'completed' && !e.fileDeleted ? (
                          <a className="btn" href={exportsApi.downloadUrl(e.id)} download={e.fileName}>
                            Download
                          </a>
                        ) : e.status === 'failed' ? (
                          <span className="muted" title={e.error ?? ''}>
                            {e.error ?? 'Failed'}
                          </span>
                        ) : e.fileDeleted ? (
                          <span className="muted">File expired</span>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Async>
        </section>
        <div className="stack">
          <CreateExport projectId={projectId} onCreated={(definition) => (definition ? set({ definition }) : list.reload())} />
          {definitionId && <Versions key={definitionId} definitionId={definitionId} onChanged={list.reload} onClose={() => set({ definition: null })} />}
        </div>
      </div>
    </Layout>
  );
}

const noop = () => {};

function CreateExport({ projectId, onCreated }: { projectId: string; onCreated: (definitionId: string | null) => void }) {
  const taskList = useApi(() => tasksApi.list(projectId, { limit: 200 }), [projectId]);
  const [taskIds, setTaskIds] = useState<string[]>([]);
  const [format, setFormat] = useState<ExportFormat>('jsonl');
  const [scope, setScope] = useState<'all' | 'since_last'>('all');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const body = { taskIds, format, scope: { kind: scope } };
      if (name.trim()) {
        const definition = await exportsApi.createDefinition(projectId, { ...body, name: name.trim() });
        await exportsApi.newVersion(definition.id);
        onCreated(definition.id);
      } else {
        await exportsApi.create(projectId, body);
        onCreated(null);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card stack" aria-label="New export">
      <h2>New export</h2>
      <Async state={taskList} empty={(p) => (p.data.length === 0 ? <Empty title="No tasks">Exports read the annotations of tasks: create a task first.</Empty> : null)}>
        {(page) => (
          <form
            className="form-grid"
            onSubmit={(e) => {
              e.preventDefault();
              void submit();
            }}
          >
            <Field label="Tasks">
              <select multiple aria-label="Tasks" value={taskIds} onChange={(e) => setTaskIds([...e.target.selectedOptions].map((o) => o.value))} size={Math.min(6, page.data.length)}>
                {page.data.map((t) => (
                  <option key={t.id} value={t.id}>
                    {t.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Format">
              <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
                {exportFormats.map((f) => (
                  <option key={f} value={f}>
                    {f}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Scope">
              <select aria-label="Scope" value={scope} onChange={(e) => setScope(e.target.value as 'all' | 'since_last')}>
                <option value="all">Everything</option>
                <option value="since_last">Changed since the last export</option>
              </select>
            </Field>
            <Field label="Definition name (optional)" hint="Named exports are versioned: v1, v2, … and can be compared.">
              <input aria-label="Definition name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Weekly training set" />
            </Field>
            <InlineError error={error} />
            <button type="submit" className="btn btn-primary" disabled={busy || taskIds.length === 0}>
              {busy ? 'Queuing…' : 'Export'}
            </button>
          </form>
        )}
      </Async>
    </section>
  );
}

function Versions({ definitionId, onChanged, onClose }: { definitionId: string; onChanged: () => void; onClose: () => void }) {
  const definition = useApi(() => exportsApi.definition(definitionId), [definitionId]);
  const pending = definition.data?.versions.some((v) => v.status === 'queued' || v.status === 'running') ?? false;
  usePolling(pending ? definition.reload : noop, 1500);
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [error, setError] = useState<unknown>();
  const act = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section className="card stack" aria-label="Versions">
      <Async state={definition}>
        {(d) => {
          const completed = d.versions.filter((v) => v.status === 'completed');
          return (
            <>
              <div className="row">
                <h2>{d.name}</h2>
                <span className="muted">{d.format}</span>
                <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close versions">
                  ×
                </button>
              </div>
              <ul className="card-list" aria-label="Version list">
                {d.versions.map((v) => (
                  <li key={v.id} className="row">
                    <strong>v{v.version}</strong>
                    <Badge value={v.status} />
                    <span className="muted">{formatDateTime(v.createdAt)}</span>
                    {v.manifest && (
                      <code className="muted" title={`sha256 ${v.manifest.sha256}`}>
                        {v.manifest.rows} rows · sha256 {v.manifest.sha256.slice(0, 12)}…
                      </code>
                    )}
                  </li>
                ))}
              </ul>
              <div className="row">
                <button type="button" className="btn" onClick={() => void act(async () => (await exportsApi.newVersion(d.id), definition.reload(), onChanged()))}>
                  New version
                </button>
                {completed.length >= 2 && (
                  <button type="button" className="btn" onClick={() => void act(async () => setComparison(await exportsApi.compare(d.id, completed[1]!.version!, completed[0]!.version!)))}>
                    Compare v{completed[1]!.version} → v{completed[0]!.version}
                  </button>
                )}
              </div>
              <InlineError error={error} />
              {comparison && (
                <p aria-label="Comparison">
                  v{comparison.from} → v{comparison.to}: {comparison.added.length} added, {comparison.changed.length} changed, {comparison.removed.length} removed
                  {comparison.truncated ? ' (first 10,000)' : ''}
                </p>
              )}
            </>
          );
        }}
      </Async>
    </section>
  );
}
