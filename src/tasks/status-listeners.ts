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
 * Called inside the transaction that changes the status, after the task item and the counters
 * are written and before the audit event: a listener that throws rolls the change back. Quality
 * (score functions, "scores reset when the status changes") and reviews (QA tasks) register here.
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
