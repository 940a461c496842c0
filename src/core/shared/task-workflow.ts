/**
 * The task workflow (docs/workflow.md, Workflow) as a pure state machine: no I/O, so the service, the API and the
 * web app read the same rules. `checkTransition` answers whether one actor may move a task from
 * one state to another, and why not.
 */
export const taskTypes = ['labeling', 'review', 'consensus', 'qualification', 'honeypot', 'ticket'] as const;
export type TaskType = (typeof taskTypes)[number];

export const labelingStates = ['pending', 'in_progress', 'pending_review', 'review_passed', 'data_submitted'] as const;
export const ticketStates = ['open', 'in_progress', 'resolved'] as const;
export type WorkflowState = (typeof labelingStates)[number] | (typeof ticketStates)[number];

/** What the actor is to the task. Managers and owners (and administrators) are `manager`. */
export interface WorkflowActor {
  isManager: boolean;
  isAssignedAnnotator: boolean;
  isAssignedReviewer: boolean;
}

export interface WorkflowFacts {
  /** Every item of the task has a status (and the task has items). */
  everyItemHasStatus: boolean;
  comment?: string | null;
}

type Who = 'annotator' | 'reviewer' | 'manager' | 'assignee';

interface Transition {
  from: WorkflowState;
  to: WorkflowState;
  name: string;
  who: Who[];
  requiresAllStatuses?: boolean;
  requiresComment?: boolean;
}

const labelingTransitions: Transition[] = [
  { from: 'pending', to: 'in_progress', name: 'start', who: ['annotator', 'manager'] },
  { from: 'in_progress', to: 'pending_review', name: 'submit_for_review', who: ['annotator', 'manager'], requiresAllStatuses: true },
  { from: 'pending_review', to: 'review_passed', name: 'pass_review', who: ['reviewer', 'manager'] },
  { from: 'pending_review', to: 'in_progress', name: 'fail_review', who: ['reviewer', 'manager'], requiresComment: true },
  { from: 'review_passed', to: 'data_submitted', name: 'submit_data', who: ['manager'] },
];

const ticketTransitions: Transition[] = [
  { from: 'open', to: 'in_progress', name: 'start', who: ['assignee', 'manager'] },
  { from: 'in_progress', to: 'open', name: 'stop', who: ['assignee', 'manager'] },
  { from: 'in_progress', to: 'resolved', name: 'resolve', who: ['assignee', 'manager'] },
  { from: 'resolved', to: 'open', name: 'reopen', who: ['assignee', 'manager'] },
];

export const initialState = (type: TaskType): WorkflowState => (type === 'ticket' ? 'open' : 'pending');
export const statesOf = (type: TaskType): readonly WorkflowState[] => (type === 'ticket' ? ticketStates : labelingStates);
const transitionsOf = (type: TaskType) => (type === 'ticket' ? ticketTransitions : labelingTransitions);

const allowed = (who: Who[], actor: WorkflowActor) =>
  (actor.isManager && who.includes('manager')) ||
  (actor.isAssignedAnnotator && (who.includes('annotator') || who.includes('assignee'))) ||
  (actor.isAssignedReviewer && (who.includes('reviewer') || who.includes('assignee')));

export type TransitionCheck =
  | { ok: true; name: string }
  | { ok: false; code: 'invalid_transition' | 'forbidden' | 'validation_failed'; reason: string };

/**
 * Whether `actor` may move a task of `type` from `from` to `to`. Wrong state answers
 * `invalid_transition` before the role is looked at, so the answer does not depend on who asks.
 */
export function checkTransition(type: TaskType, from: string, to: string, actor: WorkflowActor, facts: WorkflowFacts): TransitionCheck {
  const t = transitionsOf(type).find((x) => x.from === from && x.to === to);
  if (!t) return { ok: false, code: 'invalid_transition', reason: `A ${type} task cannot go from ${from} to ${to}` };
  if (!allowed(t.who, actor)) return { ok: false, code: 'forbidden', reason: `You may not ${t.name.replace(/_/g, ' ')} this task` };
  if (t.requiresAllStatuses && !facts.everyItemHasStatus) {
    return { ok: false, code: 'invalid_transition', reason: 'Every item needs a status before the task is submitted for review' };
  }
  if (t.requiresComment && !facts.comment?.trim()) {
    return { ok: false, code: 'validation_failed', reason: 'Failing a review needs a comment for the annotator' };
  }
  return { ok: true, name: t.name };
}

/** The states this actor may move the task to now (for buttons in the UI). */
export function availableTransitions(type: TaskType, from: string, actor: WorkflowActor, facts: WorkflowFacts) {
  return transitionsOf(type)
    .filter((t) => t.from === from)
    .filter((t) => checkTransition(type, from, t.to, actor, { comment: 'x', ...facts, ...(t.requiresComment ? { comment: 'x' } : {}) }).ok)
    .map((t) => ({ to: t.to, name: t.name, requiresComment: Boolean(t.requiresComment) }));
}

/** After `review_passed` annotators can change nothing in the task (docs/workflow.md, Workflow). */
export const frozenForAnnotators = (type: TaskType, state: string) =>
  type !== 'ticket' && (state === 'review_passed' || state === 'data_submitted');

/** A task whose workflow is in one of these states counts as unresolved for the undraft gate. */
export const isResolved = (type: TaskType, state: string) => (type === 'ticket' ? state === 'resolved' : state === 'data_submitted');
