/** A task's priorities (no priority is `null`). Not in the table file, so the API schema can name them. */
export const priorities = ['high', 'medium', 'low'] as const;
export type Priority = (typeof priorities)[number];
/** Sort rank of a priority: high first, "none" last (stored so the list can keyset on it). */
export const priorityRank = (p: Priority | null | undefined) => (p === 'high' ? 0 : p === 'medium' ? 1 : p === 'low' ? 2 : 3);
