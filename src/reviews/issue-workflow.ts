/**
 * The issue lifecycle (docs/review-quality.md, Issues) as a pure state machine: `open` → `for_review` (the
 * annotator corrected it) → `resolved` (the reviewer accepts), or back to `open` (rejected
 * again). Reviewers and managers may also resolve an open issue (withdraw it) and reopen a
 * resolved one. Wrong state answers before the role is looked at, like the task workflow.
 */
import type { IssueStatus } from './reviews.table.ts';

/** What the actor is to one issue. Managers, owners and administrators are `isManager`. */
export interface IssueActor {
  isManager: boolean;
  /** Project reviewer or above, or assigned to review the task (or one of its QA tasks). */
  isReviewer: boolean;
  /** The author of the annotation the issue is on. */
  isAuthor: boolean;
}

type Who = 'author' | 'reviewer' | 'manager';

const transitions: Array<{ from: IssueStatus; to: IssueStatus; who: Who[] }> = [
  { from: 'open', to: 'for_review', who: ['author', 'manager'] },
  { from: 'for_review', to: 'resolved', who: ['reviewer', 'manager'] },
  { from: 'for_review', to: 'open', who: ['reviewer', 'manager'] },
  { from: 'open', to: 'resolved', who: ['reviewer', 'manager'] },
  { from: 'resolved', to: 'open', who: ['reviewer', 'manager'] },
];

export type IssueTransitionCheck = { ok: true } | { ok: false; code: 'invalid_transition' | 'forbidden'; reason: string };

export function checkIssueTransition(from: IssueStatus, to: IssueStatus, actor: IssueActor): IssueTransitionCheck {
  const t = transitions.find((x) => x.from === from && x.to === to);
  if (!t) return { ok: false, code: 'invalid_transition', reason: `An issue cannot go from ${from} to ${to}` };
  const may =
    (actor.isManager && t.who.includes('manager')) || (actor.isReviewer && t.who.includes('reviewer')) || (actor.isAuthor && t.who.includes('author'));
  if (!may) {
    const who = t.who.includes('author') ? 'the annotation’s author or a manager' : 'a reviewer or a manager';
    return { ok: false, code: 'forbidden', reason: `Only ${who} may move an issue to ${to}` };
  }
  return { ok: true };
}

/** How moving an issue between states moves the open / for-review counters. */
export function counterDelta(from: IssueStatus | null, to: IssueStatus) {
  const d = { openIssues: 0, forReview: 0 };
  if (from === 'open') d.openIssues--;
  if (from === 'for_review') d.forReview--;
  if (to === 'open') d.openIssues++;
  if (to === 'for_review') d.forReview++;
  return d;
}
