import type { Db } from './db/client.ts';
import type { Clock } from './core/clock.ts';
import type { JobQueue } from './jobs/jobs.ts';
import type { Role } from './core/shared/roles.ts';
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
  /** What the tasks module answers about datasets and items (datasets sits below tasks). */
  datasetUse: DatasetUse;
  /** What the quality module answers before a pull (quality sits above assignments). */
  pullGate: PullGate;
  /** Upload bounds for item imports (`docs/imports.md`); defaults when absent. */
  uploads?: Partial<UploadLimits>;
}

/** A port the pull calls and the composition root wires to the quality module's honeypot policy. */
export interface PullGate {
  /** True when the person's gold accuracy in this honeypot task fell below its threshold. */
  isPausedFromPulling(db: Db, taskId: string, userId: string): Promise<boolean>;
}

/**
 * A port the datasets module calls and the composition root wires to the tasks module: the
 * lower module asks, the higher one answers, and no import goes upward. Both run in the
 * caller's transaction.
 */
export interface DatasetUse {
  /** True when some task over this dataset has analytics history (it cannot be deleted). */
  datasetHasTaskHistory(db: Db, datasetId: string): Promise<boolean>;
  /** Unresolved tickets linked to the item (it cannot be undrafted while any is open). */
  unresolvedLinkedTasks(db: Db, itemId: string): Promise<string[]>;
  /** True when the person annotates a qualification/honeypot task holding the item (its gold stays hidden from them). */
  annotatesGoldScoredItem(db: Db, itemId: string, userId: string): Promise<boolean>;
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
