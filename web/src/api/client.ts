/**
 * The web app's one door to the server: the generated, typed client (`sdk/`) with the session
 * cookie, and `call()` which unwraps results into data or a readable `LoupeError`.
 */
import { plainWords } from './errors.ts';
import { createLoupeClient, LoupeError, toLoupeError, unwrap, type paths } from '../../../sdk/index.ts';

export { LoupeError, toLoupeError, unwrap };
export type { paths };

export const api = createLoupeClient(window.location.origin);

/** Listeners told when any call answers 401, so the app can return to the sign-in page. */
const unauthenticatedListeners = new Set<() => void>();
export function onUnauthenticated(listener: () => void) {
  unauthenticatedListeners.add(listener);
  return () => {
    unauthenticatedListeners.delete(listener);
  };
}

api.use({
  onResponse({ response }) {
    if (response.status === 401 && !response.url.endsWith('/auth/login')) for (const l of unauthenticatedListeners) l();
    return response;
  },
});

/**
 * Calls a route that is in the SPEC (section 9.1) but may not be in the generated document yet.
 * It goes through the same cookie, error and 401 handling; `T` is written by hand in
 * `types.ts` from the SPEC. Prefer `api.GET/POST/...` wherever the route is in `sdk/schema.d.ts`.
 */
export async function request<T>(method: string, path: string, body?: unknown, init: { idempotencyKey?: string; contentType?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  if (init.idempotencyKey) headers['idempotency-key'] = init.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'include',
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  } catch {
    throw new LoupeError({ status: 0, title: 'Network error', detail: 'The server cannot be reached. Check your connection and try again.' });
  }
  if (response.status === 401) for (const l of unauthenticatedListeners) l();
  const text = await response.text();
  let parsed: unknown = text;
  if (text && (response.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!response.ok) throw toLoupeError(parsed, response);
  return (text ? parsed : undefined) as T;
}

/** Builds a query string from defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const s = search.toString();
  return s ? `?${s}` : '';
}

/** A readable message for anything thrown: plain words, mapped from problem codes in `errors.ts`. */
export function messageOf(error: unknown): string {
  return plainWords(error);
}

/** A fresh id for idempotent retries (annotation ids, Idempotency-Key). */
export function clientId(): string {
  return crypto.randomUUID();
}
