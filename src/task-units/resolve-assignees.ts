import type { Db } from '../db/client.ts';
import { ruleBroken } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { resolveUserRefs } from '../auth/auth.service.ts';
import { groupIdsInProject, memberIdsInProject } from '../projects/member-reads.ts';
import type { AssigneeKind } from './assignments.table.ts';

export interface Assignee {
  kind: AssigneeKind;
  id: string;
  /** The reference the caller gave (id or email), to key `allocation.workload`. */
  ref: string;
}

/**
 * Resolves assignee references, each a user id, an email or a group id of the project, in order
 * and without duplicates. Anything that is not a member or a group of the project answers 422
 * `validation_failed` listing the references.
 */
export async function resolveAssignees(db: Db, projectId: string, refs: string[]): Promise<Assignee[]> {
  if (!refs.length) return [];
  const ids = refs.filter(isId);
  const groupIds = await groupIdsInProject(db, projectId, ids);
  const userRefs = refs.filter((r) => !groupIds.has(r));
  const users = await resolveUserRefs(db, userRefs);
  const userIds = [...new Set(users.values())];
  const members = await memberIdsInProject(db, projectId, userIds);
  const out: Assignee[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const kind: AssigneeKind | null = groupIds.has(ref) ? 'group' : members.has(users.get(ref) ?? '') ? 'user' : null;
    if (!kind) {
      unknown.push(ref);
      continue;
    }
    const id = kind === 'group' ? ref : users.get(ref)!;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ kind, id, ref });
  }
  if (unknown.length) throw ruleBroken('Assignees must be members or groups of the project', { unknown });
  return out;
}
