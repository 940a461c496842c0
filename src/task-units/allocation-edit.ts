import { and, eq } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { ruleBroken } from '../core/errors.ts';
import { taskAssignees } from './assignments.table.ts';
import { assignmentsOf, sharesOf } from './assignment-rows.ts';
import { distributeUnits } from './distribute.ts';
import { resolveAssignees } from './resolve-assignees.ts';
import type { TaskRow } from './task-access.ts';

/**
 * Sets the annotators' workload percentages (docs/hardening.md): `workload` keyed by assignee
 * (id, email or group id; every key must be a current annotator), or null for a balanced split.
 * A distributed task's items with no status are then redistributed among the current
 * annotators by those shares. Returns the number of items moved.
 */
export async function setAnnotatorWorkloads(tx: Tx, task: TaskRow, workload: Record<string, number> | null): Promise<number> {
  const annotators = await assignmentsOf(tx, task.id, 'annotator');
  const byAssignee = new Map<string, number>();
  if (workload) {
    const named = await resolveAssignees(tx, task.projectId, Object.keys(workload));
    const current = new Set(annotators.map((a) => a.assigneeId));
    const unknown = named.filter((n) => !current.has(n.id)).map((n) => n.ref);
    if (unknown.length) throw ruleBroken('allocation.workload names people who are not assignees', { unknown });
    for (const n of named) byAssignee.set(n.id, Math.round(workload[n.ref] ?? workload[n.id] ?? 0));
  }
  for (const a of annotators) {
    const share = workload ? (byAssignee.get(a.assigneeId) ?? 0) : null;
    await tx.update(taskAssignees).set({ workload: share }).where(and(eq(taskAssignees.id, a.id), eq(taskAssignees.taskId, task.id)));
    a.workload = share;
  }
  if (task.allocation.method !== 'distribution' || task.type === 'qualification' || !annotators.length) return 0;
  return distributeUnits(tx, task.id, sharesOf(annotators), { onlyUnassigned: false });
}
