import { sql, type SQL } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import type { TaskType } from '../core/shared/task-workflow.ts';

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
 * What a listener reads (and may delete) in the SAME statement that writes the unit, instead of
 * in round trips of its own: `with` is a data-modifying statement run as a CTE of it (e.g. a
 * `DELETE`), `select` an expression or a one-row, one-column query whose value is handed to the
 * listener (use `json_build_object` for several values). Both run
 * after the unit's lock was taken, from the statement's snapshot: they do not see the unit's new
 * status (the update is a sibling CTE), only what was committed or written before it.
 */
export interface StatusPrefetch {
  with?: SQL;
  select: SQL;
}

/**
 * A status listener: `run` is called inside the transaction that changes the status, after the
 * task item and its audit event are written, with the value of its `prefetch` (null when it has
 * none). A listener that throws rolls the change (and the event) back. The task's counter shard,
 * the assignment's counters and the hourly done buckets are written in the same statement as the
 * unit (before `run`). A listener with a write of its own that needs no decision in code should
 * put it in `prefetch.with`: it then costs no round trip.
 * Quality (score functions, "scores reset when the status changes") and reviews (QA tasks)
 * register here.
 */
export interface ItemStatusListener {
  prefetch?: (change: ItemStatusChange) => StatusPrefetch | null;
  run: (tx: Tx, change: ItemStatusChange, prefetched: unknown, ctx: Ctx) => Promise<void>;
}

const listeners: ItemStatusListener[] = [];

/** Registers a listener for every item status change; returns a function that unregisters it. */
export function onItemStatusChange(listener: ItemStatusListener): () => void {
  listeners.push(listener);
  return () => {
    const i = listeners.indexOf(listener);
    if (i >= 0) listeners.splice(i, 1);
  };
}

/**
 * The listeners of one change, with their prefetch parts for the statement that writes the unit:
 * `ctes` to add to its `WITH`, `columns` to select (`p0`, `p1`, …), and `emit` to call with that
 * statement's row once it ran.
 */
export function prepareItemStatusChange(change: ItemStatusChange) {
  const current = [...listeners];
  const parts = current.map((l) => l.prefetch?.(change) ?? null);
  const ctes = parts.flatMap((p, i) => (p?.with ? [sql`${sql.raw(`l${i}`)} as (${p.with})`] : []));
  const columns = parts.flatMap((p, i) => (p ? [sql`(${p.select}) as ${sql.raw(`p${i}`)}`] : []));
  return {
    ctes,
    columns,
    async emit(tx: Tx, ctx: Ctx, row: Record<string, unknown> | undefined) {
      for (const [i, listener] of current.entries()) await listener.run(tx, change, parts[i] ? (row?.[`p${i}`] ?? null) : null, ctx);
    },
  };
}
