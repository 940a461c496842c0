import { forbidden } from '../core/errors.ts';
import type { TaskActor, TaskRow } from '../task-units/task-access.ts';

/**
 * Scores against gold are the test, not feedback for the people taking it. An annotator of a
 * qualification or honeypot task who could read them (scores per item, scored-unit counts,
 * accuracy) would see which of their items are gold — honeypot gold is unannounced — and whether
 * their answer matches it, and could remove the status and change the answer. So on those tasks
 * the score and analytics reads answer 403 to annotators (project role `annotator`, or anyone
 * below manager who is one of the task's annotators); managers, owners, reviewers and viewers
 * read them. Other task types are unaffected.
 */
export function assertMayReadGoldScores(task: Pick<TaskRow, 'type'>, actor: Pick<TaskActor, 'role' | 'isManager' | 'isAssignedAnnotator'>) {
  if (task.type !== 'qualification' && task.type !== 'honeypot') return;
  if (actor.isManager) return;
  if (actor.role === 'annotator' || actor.isAssignedAnnotator) {
    throw forbidden(`Scores of a ${task.type} task are scored against gold: managers and reviewers read them, its annotators do not`);
  }
}
