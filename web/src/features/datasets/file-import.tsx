import { useState } from 'react';
import { countLines, failedLinesOf, formatOf, imports, uploadItems, type FailedLine } from '../../api/uploads.ts';
import { toast } from '../../components/feedback.tsx';
import { InlineError } from '../../components/states.tsx';

type Phase = { step: 'idle' } | { step: 'counting'; bytes: number } | { step: 'sending'; sent: number } | { step: 'importing'; bytes: number; lines: number } | { step: 'done' };
interface Outcome {
  created: number;
  updated: number;
  failedCount: number;
  failed: FailedLine[];
}

const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;
const int = (n: number) => n.toLocaleString();

/**
 * Imports a file as it is: the browser streams it to the server (never into the page) with a
 * progress bar in bytes and lines, a background import is followed to its end, and the lines the
 * server refused are listed with their reasons.
 */
export function FileImport({ datasetId, onImported }: { datasetId: string; onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [partial, setPartial] = useState(false);
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [total, setTotal] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [refused, setRefused] = useState<FailedLine[]>([]);
  const busy = phase.step !== 'idle' && phase.step !== 'done';

  const run = async (f: File) => {
    setError(null);
    setOutcome(null);
    setRefused([]);
    try {
      setPhase({ step: 'counting', bytes: 0 });
      const lines = await countLines(f, (bytes) => setPhase({ step: 'counting', bytes }));
      setTotal(lines);
      setPhase({ step: 'sending', sent: 0 });
      const answer = await uploadItems(datasetId, f, formatOf(f.name), partial, (sent) => setPhase({ step: 'sending', sent }));
      let result: Outcome;
      if (answer.status === 202) {
        for (;;) {
          const rec = await imports.get(answer.body.importId);
          setPhase({ step: 'importing', bytes: rec.progress.bytes, lines: rec.progress.lines });
          if (rec.status === 'completed') {
            result = rec;
            break;
          }
          if (rec.status === 'failed') {
            setRefused(rec.failed);
            throw new Error(rec.error?.detail ?? 'The import failed.');
          }
          await new Promise((r) => window.setTimeout(r, 500));
        }
      } else result = answer.body;
      setOutcome(result);
      toast(`${int(result.created)} items created${result.updated ? `, ${int(result.updated)} updated` : ''}`);
      onImported();
    } catch (e) {
      setError(e);
      setRefused((r) => (r.length ? r : failedLinesOf(e)));
    } finally {
      setPhase({ step: 'done' });
    }
  };

  const size = file?.size ?? 0;
  const fraction = phase.step === 'counting' ? phase.bytes / Math.max(1, size) : phase.step === 'sending' ? phase.sent / Math.max(1, size) : phase.step === 'importing' ? phase.bytes / Math.max(1, size) : phase.step === 'done' && outcome ? 1 : 0;
  const label =
    phase.step === 'counting'
      ? `Reading the file: ${mb(phase.bytes)} of ${mb(size)}`
      : phase.step === 'sending'
        ? `Uploading: ${mb(phase.sent)} of ${mb(size)}${total ? ` · ${int(total)} lines` : ''}`
        : phase.step === 'importing'
          ? `Importing: line ${int(phase.lines)}${total ? ` of ${int(total)}` : ''} · ${mb(phase.bytes)} of ${mb(size)}`
          : null;

  return (
    <div className="stack file-import" data-testid="file-import">
      <div className="row">
        <label className="btn">
          Choose a file…
          <input type="file" className="visually-hidden" aria-label="File to import" accept=".json,.jsonl,.ndjson,.csv" onChange={(e) => (setFile(e.target.files?.[0] ?? null), setOutcome(null), setError(null), setRefused([]), setPhase({ step: 'idle' }))} />
        </label>
        <span className="muted small truncate">{file ? `${file.name} · ${mb(file.size)}` : 'JSON array, JSON Lines or CSV; sent as it is read'}</span>
        <label className="chip">
          <input type="checkbox" checked={partial} onChange={(e) => setPartial(e.target.checked)} /> keep good lines
        </label>
        <button type="button" className="btn btn-primary" disabled={!file || busy} onClick={() => file && void run(file)}>
          {busy ? 'Importing…' : 'Import file'}
        </button>
      </div>
      {(busy || outcome) && (
        <div className="stack">
          <progress className="upload-progress" max={1} value={fraction} aria-label="Import progress" data-testid="import-progress" />
          {label && (
            <span className="muted small" role="status" data-testid="import-progress-label">
              {label}
            </span>
          )}
        </div>
      )}
      {outcome && (
        <p className="notice" role="status" data-testid="import-outcome">
          {int(outcome.created)} created{outcome.updated ? `, ${int(outcome.updated)} updated` : ''}
          {outcome.failedCount ? `; ${int(outcome.failedCount)} lines refused (below)` : ''}.
        </p>
      )}
      <InlineError error={error} />
      {(refused.length > 0 || (outcome?.failed.length ?? 0) > 0) && (
        <div className="table-wrap" data-testid="failed-lines">
          <table className="table table-compact">
            <caption className="muted small">Refused lines{partial ? '' : ': nothing was imported (tick “keep good lines” to import the rest)'}</caption>
            <thead>
              <tr>
                <th>Line</th>
                <th>Why</th>
              </tr>
            </thead>
            <tbody>
              {(refused.length ? refused : (outcome?.failed ?? [])).map((f) => (
                <tr key={`${f.line}-${f.error}`}>
                  <td>{f.line}</td>
                  <td>{f.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
