/**
 * Problem codes in plain words, in one place: pages show `plainWords(error)` and keep the
 * server's own title, detail and code behind a disclosure (`technicalDetail(error)`).
 */
import { LoupeError } from '../../../sdk/index.ts';

const sentences: Record<string, string> = {
  invalid_request: 'Some of what was entered is not valid. Check the fields and try again.',
  invalid_filter: 'The filter could not be read. Check its spelling.',
  invalid_import: 'The file could not be imported as it is.',
  invalid_cursor: 'This page of results has expired. Go back to the first page.',
  unauthenticated: 'Your session has ended. Sign in again.',
  invalid_credentials: 'The email or password is not right.',
  forbidden: 'Your role in this project does not allow this.',
  not_found: 'This no longer exists, or you do not have access to it.',
  conflict: 'Someone else changed this at the same time. Reload and try again.',
  email_taken: 'A user with this email already exists.',
  last_owner: 'A project needs at least one owner: make someone else owner first.',
  invalid_transition: 'This step is not possible from the current state.',
  task_locked: 'The task is locked. Unlock it first.',
  status_set: 'The item already has a status. Clear it before editing.',
  empty_annotation: 'Nothing is labeled on this item: add a label or shape first (or discard the item).',
  open_issues: 'The task still has open issues. Resolve them before passing the review.',
  unresolved_issues: 'There are open issues. Resolve them first.',
  dataset_in_use: 'Tasks still use this dataset.',
  linked_tasks_unresolved: 'Linked tasks are not finished yet.',
  idempotency_key_reused: 'This request was already sent with different content.',
  idempotency_in_progress: 'The same request is still being handled. Wait a moment.',
  workload_has_evaluations: 'This workload has evaluations and cannot be changed that way.',
  payload_too_large: 'That is too large to send in one go.',
  unsupported_media_type: 'That file type is not supported here.',
  validation_failed: 'This breaks one of the project’s rules.',
  rate_limited: 'Too many requests. Wait a moment and try again.',
  auto_qa_unavailable: 'Automatic checks are not available right now.',
  not_ready: 'The server is starting. Try again in a moment.',
  internal_error: 'Something failed on the server. Try again; if it keeps failing, tell an administrator.',
};

const byStatus: Record<number, string> = {
  0: 'The server cannot be reached. Check your connection and try again.',
  400: sentences.invalid_request!,
  401: sentences.unauthenticated!,
  403: sentences.forbidden!,
  404: sentences.not_found!,
  409: sentences.conflict!,
  413: sentences.payload_too_large!,
  422: sentences.validation_failed!,
  429: sentences.rate_limited!,
};

/**
 * State and rule names in plain words: "cannot go from data_submitted to review_passed" reads
 * "cannot go from data submitted to review passed" (the disclosure keeps the server's words).
 */
export const plainNames = (text: string) => text.replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (name) => name.replace(/_/g, ' '));

/** One sentence a person can act on. Rules the server explains (422/409 details) keep their detail. */
export function plainWords(error: unknown): string {
  if (error instanceof LoupeError) {
    const sentence = (error.code && sentences[error.code]) ?? byStatus[error.status] ?? (error.status >= 500 ? sentences.internal_error! : undefined);
    const detail = typeof error.problem.detail === 'string' ? error.problem.detail : '';
    // A rule refusal names the rule in its detail: that is the useful part.
    if ((error.code === 'validation_failed' || error.code === 'invalid_transition' || error.code === 'invalid_import') && detail) return `${sentence ?? ''} ${plainNames(detail)}`.trim();
    return sentence ?? 'That did not work. Try again.';
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The server's own words (title, detail, field errors, code) for the disclosure. */
export function technicalDetail(error: unknown): string | null {
  if (error instanceof LoupeError) return error.message;
  return null;
}
