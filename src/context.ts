
import type { Db, Tx } from './db/client.ts';
import type { Clock } from './core/clock.ts';
import type { Random } from './core/random.ts';
import type { JobQueue } from './jobs/jobs.ts';
import type { Role } from './core/shared/roles.ts';
import type { TaskType } from './core/shared/task-workflow.ts';
import type { SQL } from 'drizzle-orm';

/**
 * What every service function receives: the database and the side-effect ports. Production
 * wires real ones in `src/main`; tests hand in a manual clock or a fake port, never a mock of
 * our own SQL.
 */
export interface Ctx {
  db: Db;
  /**
   * Reads whose statement keeps one generic plan per connection (`Database.genericPlanDb`):
   * outside any transaction, and only statements planned the same for any values. Absent: `db`.
   */
  genericPlanDb?: Db;
  clock: Clock;
  /** Every random choice the domain makes (gold order, counter shards) draws from this port. */
  random: Random;
  jobs: JobQueue;
  /**
   * When a pull last swept each task's expired leases (task id → ms of `clock`), so a pull sweeps
   * its task at most every few seconds. Per process and per app: state the process keeps is
   * carried here, never in a module-level variable.
   */
  sweeps: SweepLog;
  /** What the tasks module answers about datasets and items (datasets sits below tasks). */
  datasetUse: DatasetUse;
  /** What the quality module answers before a pull (quality sits above assignments). */
  pullGate: PullGate;
  /**
   * What runs in the transaction of every item status change (quality scores, QA tasks, workload
   * cycles), in this order: the static list `api/modules.ts` collects, never a registry that
   * modules fill as they are imported.
   */
  statusListeners: readonly ItemStatusListener[];
  /** Evaluation results on spans (the evaluators module); absent: spans carry no evaluations. */
  spanEvaluations?: SpanEvaluationsPort;
  /** LLM judges' endpoint, limits and port; read from the environment when absent. */
  llm?: LlmSettings;
  /** Upload bounds for item imports (`docs/imports.md`); defaults when absent. */
  uploads?: Partial<UploadLimits>;
}

/** Task id → when (ms of the clock) a pull last swept that task's expired leases. */
export type SweepLog = Map<string, number>;

/** A port the pull calls and the composition root wires to the quality module's honeypot policy. */
export interface PullGate {
  /** True when the person's gold accuracy in this honeypot task fell below its threshold. */
  isPausedFromPulling(db: Db, taskId: string, userId: string): Promise<boolean>;
}

/**
 * A port the datasets module calls and the composition root wires to the tasks module: the
 * lower module asks, the higher one answers, and no import goes upward. The first two run in
 * the caller's transaction (the delete or undraft they guard).
 */
export interface DatasetUse {
  /** True when some task over this dataset has analytics history (it cannot be deleted). */
  datasetHasTaskHistory(tx: Tx, datasetId: string): Promise<boolean>;
  /** Unresolved tickets linked to the item (it cannot be undrafted while any is open). */
  unresolvedLinkedTasks(tx: Tx, itemId: string): Promise<string[]>;
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

// Ports answered by higher modules, carried here so that no module imports upward.

/** One evaluation result attached to a span (filled by the evaluators module). */
export interface SpanEvaluation {
  evaluatorId: string;
  evalTaskId: string;
  runId: string;
  label: string | null;
  score: number | null;
  explanation: string | null;
}

/**
 * How traces reads the evaluation results of spans without importing the evaluators module
 * (which sits above traces). The composition root wires the evaluators' implementation into
 * `Ctx.spanEvaluations`; without one, spans carry no evaluations and label filters match nothing.
 */
export interface SpanEvaluationsPort {
  /** The results of these spans, keyed by `spanKey(traceId, spanId)`; spans without results may be absent. */
  forSpans(db: Db, projectId: string, keys: Array<{ traceId: string; spanId: string }>): Promise<Map<string, SpanEvaluation[]>>;
  /**
   * A subquery yielding `(trace_id, span_id)` pairs of the project's spans that have a result with
   * this label (from this evaluator when given); used as `WHERE (trace_id, span_id) IN (…)`.
   */
  filter(projectId: string, where: { evaluatorId?: string; label: string }): SQL;
}

/** One chat completion request, OpenAI-compatible. */
export interface ChatRequest {
  baseUrl: string;
  apiKey?: string;
  model: string;
  messages: Array<{ role: 'system' | 'user'; content: string }>;
}

/** What the server answered: the status, a `Retry-After` in ms when it sent one, and the text. */
export interface ChatReply {
  status: number;
  retryAfterMs: number | null;
  content: string | null;
  body: string;
}

/**
 * The one way evaluators reach an LLM. Production is `fetchLlmPort` (fetch with a hard timeout,
 * no redirects); tests use the same port against a stub server they start on 127.0.0.1.
 */
export interface LlmPort {
  chat(request: ChatRequest, signal: AbortSignal): Promise<ChatReply>;
}

export interface LlmSettings {
  /** `LOUPE_LLM_BASE_URL`: the default endpoint. */
  baseUrl?: string;
  /** `LOUPE_LLM_API_KEY`. */
  apiKey?: string;
  /** `LOUPE_LLM_ALLOWED_BASE_URLS`: other base URLs an evaluator may name. */
  allowedBaseUrls: string[];
  /** Hard timeout of one call (`LOUPE_LLM_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Retries after a 5xx, a 429 or a connection error (`LOUPE_LLM_MAX_RETRIES`). */
  maxRetries: number;
  /** Calls in flight at once, per process (`LOUPE_LLM_CONCURRENCY`). */
  concurrency: number;
  /** First backoff after a 5xx; doubles each retry. */
  backoffMs: number;
  /** Longest `Retry-After` honoured; a longer one ends the retries as `rate_limited`. */
  maxRetryAfterMs: number;
  port: LlmPort;
}

/** Upload bounds for item imports (docs/imports.md), answered by the datasets module's defaults. */
export interface UploadLimits {
  /** An upload that sends nothing for this long is cut (408 `upload_timeout`). */
  idleTimeoutMs: number;
  /** An upload that has not finished after this long is cut (408 `upload_timeout`). */
  totalTimeoutMs: number;
  /** Uploads one user may have in flight at once (per process); the next answers 429 `too_many_uploads`. */
  perUser: number;
  /** Bodies larger than this are imported by a background job (202 + `GET /api/v1/imports/{id}`). */
  jobThresholdBytes: number;
  /** Imports writing to the database at once (per process): a bound on the pool connections they take. */
  databaseSlots: number;
  /** Where staged bodies are written (a folder of its own per upload). */
  stagingDir: string;
}

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
 * A status listener (a port the tasks module calls and higher modules answer): `run` is called
 * inside the transaction that changes the status, after the task item and its audit event are
 * written, with the value of its `prefetch` (null when it has none). A listener that throws rolls
 * the change (and the event) back. The task's counter shard, the assignment's counters and the
 * hourly done buckets are written in the same statement as the unit (before `run`). A listener
 * with a write of its own that needs no decision in code should put it in `prefetch.with`: it
 * then costs no round trip. Quality (score functions, "scores reset when the status changes"),
 * reviews (QA tasks) and workloads (cycle counters) answer it; `Ctx.statusListeners` lists them.
 */
export interface ItemStatusListener {
  prefetch?: (change: ItemStatusChange) => StatusPrefetch | null;
  run: (tx: Tx, change: ItemStatusChange, prefetched: unknown, ctx: Ctx) => Promise<void>;
  /**
   * Whether `run` has work for this change, so that a status write can run as ONE autocommit
   * statement when no listener has any (docs/workflow.md "How a status write runs"): `false`
   * when it has none (its writes, if any, are all in `prefetch.with`), `true` when it has, or a
   * boolean SQL expression over `prefetched` (the SQL of its `prefetch.select` value in that
   * statement) that must be true whenever `run` would write or throw. When it is not `false`, the
   * statement refuses itself and the write runs again in a transaction that calls `run`.
   * Absent: `run` always has work (a listener that does not say never loses its call).
   */
  hasWork?: (change: ItemStatusChange, prefetched: SQL) => SQL | boolean;
}
