/**
 * The one catalogue of error codes. Domain code throws `DomainError` with one of these codes and
 * knows nothing of HTTP; `src/api/problem.ts` maps each code to a status, and
 * `docs/errors.md` documents each one (a test fails when the three disagree).
 */
export const errorCodes = [
  // 400: malformed input
  'invalid_request',
  'invalid_filter',
  'invalid_import',
  'invalid_cursor',
  'idempotency_not_supported',
  // 401 / 403 / 404
  'unauthenticated',
  'invalid_credentials',
  'forbidden',
  'cross_origin',
  'not_found',
  // 409: conflicts of state
  'conflict',
  'email_taken',
  'last_owner',
  'invalid_transition',
  'task_locked',
  'status_set',
  'unresolved_issues',
  'open_issues',
  'dataset_in_use',
  'linked_tasks_unresolved',
  'dataset_has_work',
  'idempotency_key_reused',
  'idempotency_in_progress',
  'idempotency_answer_lost',
  'workload_has_evaluations',
  'evaluator_in_use',
  'eval_task_not_active',
  // 413 / 415 / 422 / 429
  'payload_too_large',
  'upload_timeout',
  'too_many_uploads',
  'unsupported_media_type',
  'validation_failed',
  'empty_annotation',
  'rate_limited',
  'auto_qa_unavailable',
  // 5xx
  'not_ready',
  'data_dir_lock_lost',
  'internal_error',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** A refusal the caller can act on. `details` is safe to show to the caller. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError('not_found', `${what} not found`);
export const forbidden = (why: string) => new DomainError('forbidden', why);
export const invalid = (message: string, details?: Record<string, unknown>) =>
  new DomainError('invalid_request', message, details);
export const ruleBroken = (message: string, details?: Record<string, unknown>) =>
  new DomainError('validation_failed', message, details);
