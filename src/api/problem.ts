import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { DomainError, type ErrorCode } from '../core/errors.ts';

/** The only place error codes meet HTTP statuses. */
export const statusOf: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_filter: 400,
  invalid_import: 400,
  invalid_cursor: 400,
  idempotency_not_supported: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  cross_origin: 403,
  not_found: 404,
  conflict: 409,
  email_taken: 409,
  last_owner: 409,
  invalid_transition: 409,
  task_locked: 409,
  status_set: 409,
  unresolved_issues: 409,
  open_issues: 409,
  dataset_in_use: 409,
  linked_tasks_unresolved: 409,
  dataset_has_work: 409,
  idempotency_key_reused: 422,
  idempotency_in_progress: 409,
  idempotency_answer_lost: 409,
  workload_has_evaluations: 409,
  auto_qa_unavailable: 422,
  evaluator_in_use: 409,
  eval_task_not_active: 409,
  payload_too_large: 413,
  upload_timeout: 408,
  too_many_uploads: 429,
  unsupported_media_type: 415,
  validation_failed: 422,
  empty_annotation: 422,
  rate_limited: 429,
  not_ready: 503,
  data_dir_lock_lost: 503,
  internal_error: 500,
};

const titles: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  [extra: string]: unknown;
}

export function problem(code: ErrorCode, detail: string, extra: Record<string, unknown> = {}): Problem {
  const status = statusOf[code];
  return { type: `/docs/errors#${code}`, title: titles[status] ?? 'Error', status, detail, code, ...extra };
}

export function sendProblem(reply: FastifyReply, p: Problem) {
  if ((p.code === 'rate_limited' || p.code === 'too_many_uploads') && typeof p.retryAfter === 'number') reply.header('retry-after', String(p.retryAfter));
  return reply.code(p.status).type('application/problem+json').serializer(JSON.stringify).send(p);
}

/** Turns anything thrown into RFC 9457 problem+json. Routes never catch. */
export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof DomainError) return problem(error.code, error.message, error.details ?? {});
  const err = error as FastifyError & { validation?: unknown; validationContext?: string };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      in: err.validationContext,
      path: v.instancePath || '/',
      message: v.message,
    }));
    return problem('invalid_request', `The request ${err.validationContext ?? 'input'} is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`, { errors });
  }
  if (isResponseSerializationError(err)) {
    request.log.error({ err, issues: err.cause }, 'response failed its schema');
    return problem('internal_error', 'The server produced a response that breaks its own schema');
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload_too_large', 'The request body is larger than this route accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('unsupported_media_type', `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('invalid_request', 'The body is empty but JSON was declared');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem('invalid_request', `The body is not valid JSON: ${err.message}`);
  }
  if (err instanceof SyntaxError || (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)) {
    return problem('invalid_request', err.message);
  }
  request.log.error({ err }, 'unhandled error');
  return problem('internal_error', 'Something went wrong on our side; the request changed nothing it could not finish');
}
