import { ruleBroken } from '../core/errors.ts';

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

const normalize = (url: string) => url.trim().replace(/\/+$/, '');

/** Reads the LLM settings from the environment (docs/evaluators.md lists them). */
export function llmSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, port: LlmPort = fetchLlmPort): LlmSettings {
  const int = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return Number.isFinite(v) && v >= 0 ? v : fallback;
  };
  return {
    baseUrl: env.LOUPE_LLM_BASE_URL ? normalize(env.LOUPE_LLM_BASE_URL) : undefined,
    apiKey: env.LOUPE_LLM_API_KEY || undefined,
    allowedBaseUrls: (env.LOUPE_LLM_ALLOWED_BASE_URLS ?? '').split(',').map(normalize).filter(Boolean),
    timeoutMs: int('LOUPE_LLM_TIMEOUT_MS', 30_000),
    maxRetries: int('LOUPE_LLM_MAX_RETRIES', 3),
    concurrency: Math.max(1, int('LOUPE_LLM_CONCURRENCY', 4)),
    backoffMs: 500,
    maxRetryAfterMs: 60_000,
    port,
  };
}

/**
 * The base URL an evaluator may use: the configured one, or one on the allow-list. Anything
 * else is refused (422), so the server never calls a URL an operator did not configure.
 */
export function allowedBaseUrl(settings: LlmSettings, requested: string | null | undefined): string {
  if (requested) {
    const url = normalize(requested);
    if (url === settings.baseUrl || settings.allowedBaseUrls.includes(url)) return url;
    throw ruleBroken('This baseUrl is not LOUPE_LLM_BASE_URL nor in LOUPE_LLM_ALLOWED_BASE_URLS', { field: 'baseUrl' });
  }
  if (!settings.baseUrl) throw ruleBroken('No LLM endpoint: set LOUPE_LLM_BASE_URL or give an allowed baseUrl', { field: 'baseUrl' });
  return settings.baseUrl;
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

/** Production port: `POST {baseUrl}/chat/completions` with fetch; redirects are errors, not followed. */
export const fetchLlmPort: LlmPort = {
  async chat(request, signal) {
    const response = await fetch(`${request.baseUrl}/chat/completions`, {
      method: 'POST',
      redirect: 'error',
      signal,
      headers: { 'content-type': 'application/json', ...(request.apiKey ? { authorization: `Bearer ${request.apiKey}` } : {}) },
      body: JSON.stringify({ model: request.model, messages: request.messages, temperature: 0 }),
    });
    const body = await response.text();
    let content: string | null = null;
    if (response.ok) {
      try {
        const parsed = JSON.parse(body) as { choices?: Array<{ message?: { content?: unknown } }> };
        const c = parsed.choices?.[0]?.message?.content;
        content = typeof c === 'string' ? c : null;
      } catch {
        content = null;
      }
    }
    return { status: response.status, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')), content, body: body.slice(0, 500) };
  },
};

/** A counting semaphore: the LLM concurrency limit of this process. */
export class Semaphore {
  private waiting: Array<() => void> = [];
  private active = 0;
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
