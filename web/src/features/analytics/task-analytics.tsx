import { useState } from 'react';
import { tasks as tasksApi } from '../../api/resources.ts';
import type { Scores, Task } from '../../api/types.ts';
import { Link } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDuration, ratio } from '../../components/format.ts';
import { Async, Empty } from '../../components/states.tsx';
import { Stat } from '../../components/widgets.tsx';
import { Histogram, Matrix, ProgressLine } from './charts.tsx';

/** Analytics and scores of one task merged: either endpoint may answer alone. */
async function loadScores(taskId: string): Promise<Scores> {
  const [analytics, scores] = await Promise.allSettled([tasksApi.analytics(taskId), tasksApi.scores(taskId)]);
  if (analytics.status === 'rejected' && scores.status === 'rejected') throw analytics.reason;
  return { ...(analytics.status === 'fulfilled' ? analytics.value : {}), ...(scores.status === 'fulfilled' ? scores.value : {}) };
}

export function TaskAnalytics({ task, names }: { task: Task; names: Map<string, string> }) {
  const state = useApi(() => loadScores(task.id), [task.id, task.updatedAt]);
  const [cell, setCell] = useState<[number, number] | null>(null);
  return (
    <Async state={state}>
      {(s) => {
        const confusion = s.confusionMatrix;
        const selected = cell && confusion ? confusion.cells[cell[0]]?.[cell[1]] : undefined;
        const contributors = s.contributorsMatrix;
        const anyData = Boolean(s.progressOverTime?.length || s.histogram?.length || s.annotators?.length || confusion?.labels.length);
        return (
          <div className="stack">
            <section className="stats">
              <Stat label="Done" value={`${task.progress.done}/${task.progress.total}`} />
              <Stat label="ETA" value={formatDuration(task.progress.etaSeconds)} />
              <Stat label="Pairwise agreement" value={ratio(s.agreement?.pairwise)} />
              <Stat label="Cohen's κ" value={ratio(s.agreement?.cohenKappa)} />
              <Stat label="Fleiss' κ" value={ratio(s.agreement?.fleissKappa)} />
              <Stat label="Krippendorff's α" value={ratio(s.agreement?.krippendorffAlpha)} />
            </section>
            {!anyData && <Empty title="No analytics yet">Charts fill in as items get statuses and scores.</Empty>}
            <div className="charts">
              <figure className="card">
                <figcaption>Progress over time</figcaption>
                <ProgressLine points={s.progressOverTime ?? []} total={task.progress.total} label="Items done over time" />
              </figure>
              <figure className="card">
                <figcaption>Score histogram</figcaption>
                <Histogram bins={s.histogram ?? []} label="Distribution of item scores" />
              </figure>
              <figure className="card">
                <figcaption>Contributors agreement</figcaption>
                <Matrix
                  label="Agreement between each pair of annotators"
                  rows={(contributors?.users ?? []).map((u, i) => contributors?.names?.[i] ?? names.get(u) ?? u)}
                  cols={(contributors?.users ?? []).map((u, i) => contributors?.names?.[i] ?? names.get(u) ?? u)}
                  values={contributors?.values ?? []}
                  format={(v) => ratio(v)}
                />
              </figure>
              <figure className="card">
                <figcaption>Labels confusion matrix {confusion?.labels.length ? <span className="muted small">— click a cell for its items</span> : null}</figcaption>
                <Matrix
                  label="How often one annotator's label met another's"
                  rows={confusion?.labels ?? []}
                  cols={confusion?.labels ?? []}
                  values={(confusion?.cells ?? []).map((r) => r.map((c) => c.count))}
                  onCell={(r, c) => setCell([r, c])}
                  selected={cell}
                />
                {selected && cell && confusion && (
                  <div className="cell-items">
                    <strong>
                      {confusion.labels[cell[0]]} × {confusion.labels[cell[1]]}: {selected.count} item(s)
                    </strong>
                    <ul>
                      {(selected.itemIds ?? []).slice(0, 50).map((id) => (
                        <li key={id}>
                          <Link to={`/tasks/${task.id}/annotate?item=${id}`} className="mono truncate">
                            {id}
                          </Link>
                        </li>
                      ))}
                    </ul>
                  </div>
                )}
              </figure>
            </div>
            {(s.annotators?.length ?? 0) > 0 && (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Annotator</th>
                      <th>Items done</th>
                      <th>Mean score</th>
                      <th>Accuracy</th>
                      <th>Per hour</th>
                      <th>Median time</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.annotators!.map((a) => (
                      <tr key={a.userId}>
                        <td className="truncate">{a.name ?? names.get(a.userId) ?? a.userId}</td>
                        <td>{a.itemsDone ?? '—'}</td>
                        <td>{ratio(a.meanScore)}</td>
                        <td>{ratio(a.accuracy)}</td>
                        <td>{ratio(a.throughputPerHour, 1)}</td>
                        <td>{formatDuration(a.medianSecondsPerItem)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        );
      }}
    </Async>
  );
}
