/**
 * When an item's answer is the work (docs/workflow.md, "No empty done answers"): pure domain the
 * server's status check and the web app's status buttons both read.
 */
import type { TaskType } from './task-workflow.ts';

/** Task types whose items are done only with an answer on them. */
export const answerIsTheWork: ReadonlySet<string> = new Set<TaskType>(['labeling', 'consensus', 'qualification', 'honeypot']);

/**
 * Whether setting `status` (which counts as done when `countsAsDone`) on an item with
 * `shapeCount` shapes must be refused as `empty_annotation`.
 */
export function refusesEmptyAnswer(fact: { taskType: string; allowEmpty: boolean; status: string; countsAsDone: boolean; shapeCount: number }): boolean {
  return answerIsTheWork.has(fact.taskType) && !fact.allowEmpty && fact.countsAsDone && fact.status !== 'discarded' && fact.shapeCount === 0;
}
