import type { Db } from './db/client.ts';
import type { Clock } from './core/clock.ts';
import type { JobQueue } from './jobs/jobs.ts';

/**
 * What every service function receives: the database and the side-effect ports. Production
 * wires real ones in `src/main`; tests hand in a manual clock or a fake port, never a mock of
 * our own SQL.
 */
export interface Ctx {
  db: Db;
  clock: Clock;
  jobs: JobQueue;
}

/** Who is calling: a signed-in user (by token or session). */
export interface Caller {
  userId: string;
  isAdmin: boolean;
}
