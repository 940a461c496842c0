import type { Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import type { TaskType } from './tasks.table.ts';

/** One item status being set, changed or removed in a task. */
export interface ItemStatusChange {
  projectId: string;
  taskId: string;
  taskType: TaskType;
  taskItemId: string;
  itemId: string;
  assignmentId: string | null;
  /** Who worked the unit (the annotator whose answer this is). */
  workerId: string | null;
  actorId: string;
  /** null: the item had no status (set) / has none now (removed). */
  before: string | null;
  after: string | null;
  beforeDone: boolean;
  afterDone: boolean;
  at: Date;
}

/**
 * Called inside the transaction that changes the status, after the task item is written and
 * before the audit event: a listener that throws rolls the change back. The task's and the
 * assignment's counters (and the hourly done buckets) are written after the listeners, just
 * before commit, so that the task row — which every status write of the task needs — is locked
 * for one statement only: a listener must not read those counters expecting this change in them.
 * Quality (score functions, "scores reset when the status changes") and reviews (QA tasks)
 * register here.
 */
export type ItemStatusListener = (tx: Tx, change: ItemStatusChange, ctx: Ctx) => Promise<void>;

const listeners: ItemStatusListener[] = [];

/** Registers a listener for every item status change; returns a function that unregisters it. */
export function onItemStatusChange(listener: ItemStatusListener): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}

export async function emitItemStatusChange(tx: Tx, change: ItemStatusChange, ctx: Ctx) {
  for (const listener of listeners) await listener(tx, change, ctx);
}
