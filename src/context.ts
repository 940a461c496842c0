import type { Db } from './db/client.ts';
import type { Clock } from './core/clock.ts';
import type { JobQueue } from './jobs/jobs.ts';
import type { Role } from './projects/projects.table.ts';
import type { SpanEvaluationsPort } from './traces/span-evaluations.port.ts';
import type { LlmSettings } from './evaluators/llm-port.ts';

/**
 * What every service function receives: the database and the side-effect ports. Production
 * wires real ones in `src/main`; tests hand in a manual clock or a fake port, never a mock of
 * our own SQL.
 */
export interface Ctx {
  db: Db;
  clock: Clock;
  jobs: JobQueue;
  /** Evaluation results on spans (the evaluators module); absent: spans carry no evaluations. */
  spanEvaluations?: SpanEvaluationsPort;
  /** LLM judges' endpoint, limits and port; read from the environment when absent. */
  llm?: LlmSettings;
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
