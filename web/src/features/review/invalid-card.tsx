import { useState } from 'react';
import { invalidAnnotations } from '../../api/robotics.ts';
import type { ApiState } from '../../app/use-api.ts';
import { toast } from '../../components/feedback.tsx';
import { InlineError } from '../../components/states.tsx';

type InvalidList = Awaited<ReturnType<typeof invalidAnnotations.list>>;

/**
 * Marks the shown annotation invalid with a reason, or withdraws the mark (reviewers and
 * managers; docs/robotics.md). An invalid answer leaves exports and quality metrics until the
 * annotator saves a new version; the task's "Invalid annotations" tab lists it.
 */
export function InvalidCard({ annotation, invalid, canReview, onChanged }: { annotation: { id: string; authorName: string }; invalid: ApiState<InvalidList>; canReview: boolean; onChanged: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const mark = invalid.data?.data.find((a) => a.id === annotation.id);
  const run = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    try {
      await what();
      toast(done);
      setReason('');
      invalid.reload();
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card stack" data-testid="invalid-card">
      <h3>Validity</h3>
      {mark ? (
        <>
          <p className="notice notice-warn" data-testid="invalid-mark">
            Marked invalid: “{mark.reason ?? 'no reason given'}”. Left out of exports and quality metrics until {annotation.authorName} saves a new version.
          </p>
          {canReview && (
            <button type="button" className="btn" disabled={busy} onClick={() => void run(() => invalidAnnotations.withdraw(annotation.id), 'The invalid mark is withdrawn.')}>
              Withdraw the invalid mark
            </button>
          )}
        </>
      ) : canReview ? (
        <>
          <label className="field">
            <span className="field-label">Why is {annotation.authorName}’s answer invalid?</span>
            <textarea rows={2} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. the gripper never closes" />
          </label>
          <button type="button" className="btn btn-danger" disabled={busy || !reason.trim()} onClick={() => void run(() => invalidAnnotations.invalidate(annotation.id, reason.trim()), 'Marked invalid.')}>
            Mark invalid
          </button>
          {!reason.trim() && <p className="muted small">A reason is needed: the annotator and the “Invalid annotations” tab show it.</p>}
        </>
      ) : (
        <p className="muted small">Valid. Reviewers and managers can mark an answer invalid.</p>
      )}
      <InlineError error={error} />
    </div>
  );
}
