/**
 * Loupe's typed client, generated from the server's OpenAPI document (`sdk/schema.d.ts`) and
 * built on openapi-fetch: every path, parameter, body and response is checked by the compiler.
 *
 * ```ts
 * const loupe = createLoupeClient('http://127.0.0.1:3000', { token: process.env.LOUPE_TOKEN });
 * const me = unwrap(await loupe.GET('/api/v1/me'));
 * ```
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.d.ts';

export type { components, paths };
export type LoupeClient = Client<paths>;

export interface LoupeClientOptions {
  /** An API token (`Authorization: Bearer`). Without it the browser's session cookie is used. */
  token?: string;
  /** A fetch implementation (tests, Node without global fetch). */
  fetch?: typeof globalThis.fetch;
}

/** Creates a client. `credentials: 'include'` sends the session cookie set by `POST /api/v1/auth/login`. */
export function createLoupeClient(baseUrl: string, options: LoupeClientOptions = {}): LoupeClient {
  return createClient<paths>({
    baseUrl: baseUrl.replace(/\/$/, ''),
    credentials: 'include',
    headers: options.token ? { authorization: `Bearer ${options.token}` } : undefined,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** An RFC 9457 problem document as Loupe sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  [extra: string]: unknown;
}

/** A failed call: `message` is readable ("Conflict: The task is locked (task_locked)"); `problem` keeps every field. */
export class LoupeError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(describeProblem(problem));
    this.name = 'LoupeError';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }
}

/** A readable sentence for a problem document (or any error body a proxy may have sent instead). */
export function describeProblem(problem: Partial<Problem> & { status?: number }): string {
  const detail = typeof problem.detail === 'string' && problem.detail ? problem.detail : undefined;
  const title = typeof problem.title === 'string' && problem.title ? problem.title : `HTTP ${problem.status ?? 'error'}`;
  const issues = Array.isArray(problem.errors)
    ? (problem.errors as Array<{ path?: unknown; message?: unknown }>)
        .slice(0, 3)
        .map((e) => [Array.isArray(e.path) ? e.path.join('.') : e.path, e.message].filter(Boolean).join(': '))
        .filter(Boolean)
    : [];
  const main = detail ? `${title}: ${detail}` : title;
  return [main, ...issues].join(' — ') + (problem.code ? ` (${problem.code})` : '');
}

/** Turns whatever came back as an error body into a `LoupeError`. */
export function toLoupeError(error: unknown, response: Response): LoupeError {
  if (error && typeof error === 'object') {
    const body = error as Partial<Problem>;
    return new LoupeError({ ...body, status: typeof body.status === 'number' ? body.status : response.status });
  }
  const text = typeof error === 'string' && error.trim() ? error.trim().slice(0, 300) : response.statusText;
  return new LoupeError({ status: response.status, title: `HTTP ${response.status}`, detail: text || undefined });
}

/**
 * Unwraps an openapi-fetch result: the data, or a thrown `LoupeError`.
 *
 * ```ts
 * const task = unwrap(await loupe.GET('/api/v1/tasks/{taskId}', { params: { path: { taskId } } }));
 * ```
 */
export function unwrap<D, E>(result: { data?: D; error?: E; response: Response }): D {
  if (result.error !== undefined || !result.response.ok) throw toLoupeError(result.error, result.response);
  return result.data as D;
}

/** The typed name for a problem+json failure: `LoupeError` under the name the docs use. */
export { LoupeError as LoupeProblem };

/**
 * Every row of a `{ data, nextCursor }` list, page after page, as an async iterator: `fetchPage`
 * gets the cursor (undefined for the first page) and returns an openapi-fetch result.
 *
 * ```ts
 * for await (const task of paginate((cursor) => loupe.GET('/api/v1/projects/{projectId}/tasks', { params: { path: { projectId }, query: { cursor, limit: 500 } } }))) {
 *   console.log(task.name);
 * }
 * ```
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ data?: { data: T[]; nextCursor: string | null }; error?: unknown; response: Response }>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = unwrap(await fetchPage(cursor));
    for (const row of page.data) yield row;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** A fresh idempotency key for a creating POST: send it again with a retry and get the first answer. */
export function idempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * Options for a creating POST that may be retried safely: `{ headers: { 'Idempotency-Key': key } }`.
 *
 * ```ts
 * const key = idempotencyKey();
 * const task = unwrap(await loupe.POST('/api/v1/projects/{projectId}/tasks', { params: { path: { projectId } }, body, ...idempotent(key) }));
 * ```
 */
export function idempotent(key: string = idempotencyKey()) {
  return { headers: { 'Idempotency-Key': key } };
}
