import { useState } from 'react';
import type { paths } from '../../api/client.ts';
import { analytics as analyticsApi } from '../../api/resources.ts';
import type { Scores, Task } from '../../api/types.ts';
import { Link } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { count, formatDuration, ratio } from '../../components/format.ts';
import { Async, Empty } from '../../components/states.tsx';
import { Stat } from '../../components/widgets.tsx';
import { Histogram, Matrix, ProgressLine } from './charts.tsx';

type AnalyticsOut = paths['/api/v1/tasks/{taskId}/analytics']['get']['responses'][200]['content']['application/json'];
type ScoresOut = paths['/api/v1/tasks/{taskId}/scores']['get']['responses'][200]['content']['application/json'];

/** The analytics and scores endpoints, reshaped for the charts. Either may answer alone. */
async function loadScores(taskId: string): Promise<Scores> {
  const [a, s] = await Promise.allSettled([analyticsApi.task(taskId), analyticsApi.scores(taskId)]);
  if (a.status === 'rejected' && s.status === 'rejected') throw a.reason;
  const analytics: AnalyticsOut | undefined = a.status === 'fulfilled' ? a.value : undefined;
  const scores: ScoresOut | undefined = s.status === 'fulfilled' ? s.value : undefined;
  const buckets = analytics?.histograms.find((h) => h.against === 'annotators')?.buckets ?? analytics?.histograms[0]?.buckets ?? [];
  const users = scores?.contributors?.annotators ?? [];
  const pair = (x: string, y: string) =>
    x === y ? 1 : scores?.contributors?.pairs.find((p) => (p.annotatorA === x && p.annotatorB === y) || (p.annotatorA === y && p.annotatorB === x))?.agreement ?? null;
  const cm = scores?.confusionMatrix;
  return {
    agreement: scores?.agreement
      ? { pairwise: scores.agreement.percentAgreement, cohenKappa: scores.agreement.cohensKappa, fleissKappa: scores.agreement.fleissKappa, krippendorffAlpha: scores.agreement.krippendorffAlpha.nominal }
      : undefined,
    annotators: (analytics?.annotators ?? []).map((x) => ({
      userId: x.annotatorId,
      name: x.name ?? undefined,
      itemsDone: x.done,
      meanScore: x.agreement,
      accuracy: x.accuracy,
      throughputPerHour: x.throughputPerHour,
      medianSecondsPerItem: x.medianSecondsPerItem,
    })),
    histogram: buckets.some((b) => b > 0) ? buckets.map((count, i) => ({ from: i / buckets.length, to: (i + 1) / buckets.length, count })) : [],
    progressOverTime: (analytics?.progress ?? []).map((p) => ({ at: p.at, done: p.cumulative })),
    contributorsMatrix: users.length > 1 ? { users, values: users.map((x) => users.map((y) => pair(x, y))) } : undefined,
    confusionMatrix: cm && cm.labels.length
      ? { labels: cm.labels, cells: cm.labels.map((r) => cm.labels.map((c) => { const cell = cm.cells.find((x) => x.row === r && x.column === c); return { count: cell?.count ?? 0, itemIds: cell?.itemIds ?? [] }; })) }
      : undefined,
  };
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
              <Stat label="Done" value={`${count(task.progress.done)} / ${count(task.progress.total)}`} />
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
                <ProgressLine points={s.progressOverTime?.length ? [{ at: task.createdAt, done: 0 }, ...s.progressOverTime] : []} total={task.progress.total} label="Items done over time" />
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
                        <td>{count(a.itemsDone)}</td>
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
