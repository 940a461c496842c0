import { describe, expect, it } from 'vitest';
import { availableTransitions, checkTransition, frozenForAnnotators } from '../../src/core/shared/task-workflow.ts';

const annotator = { isManager: false, isAssignedAnnotator: true, isAssignedReviewer: false };
const reviewer = { isManager: false, isAssignedAnnotator: false, isAssignedReviewer: true };
const manager = { isManager: true, isAssignedAnnotator: false, isAssignedReviewer: false };
const stranger = { isManager: false, isAssignedAnnotator: false, isAssignedReviewer: false };
const ready = { everyItemHasStatus: true };

describe('task workflow state machine', () => {
  it('lets an assigned annotator start and submit, but not pass review', () => {
    expect(checkTransition('labeling', 'pending', 'in_progress', annotator, ready)).toEqual({ ok: true, name: 'start' });
    expect(checkTransition('labeling', 'in_progress', 'pending_review', annotator, ready).ok).toBe(true);
    expect(checkTransition('labeling', 'pending_review', 'review_passed', annotator, ready)).toMatchObject({ ok: false, code: 'forbidden' });
  });

  it('refuses submission while some item has no status', () => {
    expect(checkTransition('consensus', 'in_progress', 'pending_review', manager, { everyItemHasStatus: false })).toMatchObject({ ok: false, code: 'invalid_transition' });
  });

  it('requires a comment to fail a review', () => {
    expect(checkTransition('labeling', 'pending_review', 'in_progress', reviewer, ready)).toMatchObject({ ok: false, code: 'validation_failed' });
    expect(checkTransition('labeling', 'pending_review', 'in_progress', reviewer, { ...ready, comment: 'boxes too loose' })).toEqual({ ok: true, name: 'fail_review' });
  });

  it('answers invalid_transition for a wrong state whoever asks', () => {
    expect(checkTransition('labeling', 'pending', 'review_passed', stranger, ready)).toMatchObject({ code: 'invalid_transition' });
    expect(checkTransition('labeling', 'pending', 'data_submitted', manager, ready)).toMatchObject({ code: 'invalid_transition' });
  });

  it('lets only managers submit data after review passed', () => {
    expect(checkTransition('labeling', 'review_passed', 'data_submitted', reviewer, ready)).toMatchObject({ code: 'forbidden' });
    expect(checkTransition('labeling', 'review_passed', 'data_submitted', manager, ready).ok).toBe(true);
  });

  it('runs tickets open ⇄ in_progress → resolved → open', () => {
    expect(checkTransition('ticket', 'open', 'in_progress', annotator, ready).ok).toBe(true);
    expect(checkTransition('ticket', 'in_progress', 'open', annotator, ready).ok).toBe(true);
    expect(checkTransition('ticket', 'in_progress', 'resolved', annotator, ready).ok).toBe(true);
    expect(checkTransition('ticket', 'resolved', 'open', manager, ready).ok).toBe(true);
    expect(checkTransition('ticket', 'open', 'resolved', manager, ready)).toMatchObject({ code: 'invalid_transition' });
    expect(checkTransition('ticket', 'open', 'in_progress', stranger, ready)).toMatchObject({ code: 'forbidden' });
  });

  it('freezes annotators after review passed and lists the moves an actor has', () => {
    expect(frozenForAnnotators('labeling', 'review_passed')).toBe(true);
    expect(frozenForAnnotators('labeling', 'in_progress')).toBe(false);
    expect(availableTransitions('labeling', 'pending_review', reviewer, ready).map((t) => t.to).sort()).toEqual(['in_progress', 'review_passed']);
    expect(availableTransitions('labeling', 'pending_review', annotator, ready)).toEqual([]);
  });
});
