import { useState } from 'react';
import { tasks as tasksApi } from '../../api/resources.ts';
import type { Task } from '../../api/types.ts';
import { InlineError } from '../../components/states.tsx';
import { Dialog, Field } from '../../components/widgets.tsx';

/** The task page's dialogs: fail a review with a comment, create a QA task, edit the task. */
export function FailDialog({ onClose, onSubmit }: { onClose: () => void; onSubmit: (comment: string) => Promise<unknown> }) {
  const [comment, setComment] = useState('');
  return (
    <Dialog title="Fail the review" onClose={onClose}>
      <form className="stack" onSubmit={(e) => (e.preventDefault(), void onSubmit(comment))}>
        <Field label="Comment for the annotators (required)">
          <textarea required rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
        </Field>
        <div className="dialog-actions">
          <button type="submit" className="btn btn-danger" disabled={!comment.trim()}>
            Fail review
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function QaDialog({ members, onClose, onSubmit }: { members: Array<{ userId: string; name: string; email: string }>; onClose: () => void; onSubmit: (ids: string[]) => Promise<void> }) {
  const [ids, setIds] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog title="Create a QA task" onClose={onClose}>
      <div className="stack">
        <fieldset className="picks">
          <legend>Reviewers</legend>
          {members.map((m) => (
            <label key={m.userId} className="chip">
              <input type="checkbox" checked={ids.includes(m.userId)} onChange={(e) => setIds(e.target.checked ? [...ids, m.userId] : ids.filter((x) => x !== m.userId))} />
              {m.name || m.email}
            </label>
          ))}
        </fieldset>
        <InlineError error={error} />
        <div className="dialog-actions">
          <button type="button" className="btn btn-primary" disabled={ids.length === 0} onClick={() => void onSubmit(ids).catch(setError)}>
            Create QA task
          </button>
        </div>
      </div>
    </Dialog>
  );
}

export function EditDialog({ task, onClose, onSubmit }: { task: Task; onClose: () => void; onSubmit: (patch: Parameters<typeof tasksApi.patch>[1]) => Promise<unknown> }) {
  const [name, setName] = useState(task.name);
  const [priority, setPriority] = useState(task.priority ?? '');
  const [dueDate, setDueDate] = useState(task.dueDate ? task.dueDate.slice(0, 10) : '');
  const [lockAfterDueDate, setLockAfterDueDate] = useState(task.lockAfterDueDate);
  const [description, setDescription] = useState(task.description ?? '');
  return (
    <Dialog title="Edit task" onClose={onClose}>
      <form
        className="form-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void onSubmit({
            name,
            priority: (priority || null) as Task['priority'],
            dueDate: dueDate ? new Date(`${dueDate}T23:59:59`).toISOString() : null,
            lockAfterDueDate,
            description: description || null,
          });
        }}
      >
        <Field label="Name">
          <input required maxLength={300} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <PriorityAndDueFields priority={priority} dueDate={dueDate} onPriority={setPriority} onDueDate={setDueDate} />
        <label className="chip">
          <input type="checkbox" checked={lockAfterDueDate} onChange={(e) => setLockAfterDueDate(e.target.checked)} /> Lock after the due date
        </label>
        <Field label="Description">
          <textarea rows={3} maxLength={20000} value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** A task's priority (or none) and due date (a day), as the create and edit dialogs both ask. */
export function PriorityAndDueFields({ priority, dueDate, onPriority, onDueDate }: { priority: string; dueDate: string; onPriority: (v: string) => void; onDueDate: (v: string) => void }) {
  return (
    <div className="row">
      <Field label="Priority">
        <select name="priority" value={priority} onChange={(e) => onPriority(e.target.value)}>
          <option value="">none</option>
          <option>high</option>
          <option>medium</option>
          <option>low</option>
        </select>
      </Field>
      <Field label="Due date">
        <input type="date" value={dueDate} onChange={(e) => onDueDate(e.target.value)} />
      </Field>
    </div>
  );
}
