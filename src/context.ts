import type { Db } from './db/client.ts';
import type { Clock } from './core/clock.ts';
import type { JobQueue } from './jobs/jobs.ts';
import type { Role } from './projects/projects.table.ts';
import type { UploadLimits } from './datasets/import-staging.ts';

/**
 * What every service function receives: the database and the side-effect ports. Production
 * wires real ones in `src/main`; tests hand in a manual clock or a fake port, never a mock of
 * our own SQL.
 */
export interface Ctx {
  db: Db;
  clock: Clock;
  jobs: JobQueue;
  /** Upload bounds for item imports (`docs/imports.md`); defaults when absent. */
  uploads?: Partial<UploadLimits>;
}

/** Who is calling: a signed-in user (by token or session). */
export interface Caller {
  userId: string;
  isAdmin: boolean;
  /**
   * The caller's membership role in one project, as read by the API's access check for this
   * request (in the same statement as the token). `roleIn` answers from it instead of reading
   * the membership again; callers without it (CLI, workers, tests) are checked by a query.
   * Never set for administrators, whose effective role is not their membership.
   */
  projectRole?: { projectId: string; role: Role };
}
