import { ruleBroken } from '../core/errors.ts';

export type { ChatRequest, ChatReply, LlmPort, LlmSettings } from '../context.ts';
import type { LlmSettings, LlmPort } from '../context.ts';

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
