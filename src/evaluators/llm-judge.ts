import type { Verdict } from './code-checks.ts';
import { Semaphore, type LlmSettings } from './llm-port.ts';

/** The judge gave up: `rateLimited` when 429s outlasted the retries (decision `rate_limited`). */
export class JudgeError extends Error {
  constructor(
    message: string,
    readonly rateLimited = false,
  ) {
    super(message);
  }
}

export interface JudgeConfig {
  baseUrl: string;
  model: string;
  labels: Record<string, number>;
}

const limiters = new WeakMap<LlmSettings, Semaphore>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The system prompt: answer in JSON with one of the labels. */
export function systemPrompt(labels: string[]) {
  return `You are an evaluator. Answer with JSON only: {"label": one of ${JSON.stringify(labels)}, "explanation": "one or two sentences"}.`;
}

/**
 * Reads a judge's answer: JSON `{label, explanation}` (possibly in a code fence or with text
 * around it), or plain text that names exactly one label (the longest label found wins ties
 * such as `hallucinated` against `not_hallucinated`). Returns null when no label can be read.
 */
export function parseJudgeAnswer(content: string, labels: Record<string, number>): Verdict | null {
  const names = Object.keys(labels);
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const jsonMatch = content.match(/\{[\s\S]*\}/);
  if (jsonMatch) {
    try {
      const parsed = JSON.parse(jsonMatch[0]) as { label?: unknown; explanation?: unknown };
      const label = typeof parsed.label === 'string' ? byLower.get(parsed.label.trim().toLowerCase()) : undefined;
      if (label !== undefined) {
        return { label, score: labels[label]!, explanation: typeof parsed.explanation === 'string' ? parsed.explanation : '' };
      }
    } catch {
      // not JSON after all: read it as text
    }
  }
  const lower = content.toLowerCase();
  const found = [...names]
    .sort((a, b) => b.length - a.length)
    .find((n) => new RegExp(`(^|[^a-z0-9_])${n.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-z0-9_])`).test(lower));
  if (found === undefined) return null;
  return { label: found, score: labels[found]!, explanation: content.trim().slice(0, 2000) };
}

/**
 * Asks the judge once, with the process-wide concurrency limit, a hard timeout per attempt,
 * retries with exponential backoff on 5xx and connection errors, and `Retry-After` honoured on
 * 429. Throws `JudgeError` (rate-limited or not) when it cannot get a label.
 */
export async function judge(settings: LlmSettings, config: JudgeConfig, prompt: string): Promise<Verdict> {
  let limiter = limiters.get(settings);
  if (!limiter) limiters.set(settings, (limiter = new Semaphore(settings.concurrency)));
  const labels = Object.keys(config.labels);
  const request = {
    baseUrl: config.baseUrl,
    apiKey: settings.apiKey,
    model: config.model,
    messages: [
      { role: 'system' as const, content: systemPrompt(labels) },
      { role: 'user' as const, content: prompt },
    ],
  };
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= settings.maxRetries;
    let reply;
    try {
      reply = await limiter.run(() => settings.port.chat(request, AbortSignal.timeout(settings.timeoutMs)));
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new JudgeError(`The LLM did not answer within ${settings.timeoutMs} ms`);
      if (last) throw new JudgeError(`The LLM could not be reached: ${(error as Error).message}`);
      await sleep(settings.backoffMs * 2 ** attempt);
      continue;
    }
    if (reply.status === 429) {
      const wait = reply.retryAfterMs ?? settings.backoffMs * 2 ** attempt;
      if (last || wait > settings.maxRetryAfterMs) throw new JudgeError(`The LLM answered 429 (rate limited) ${attempt + 1} times`, true);
      await sleep(wait);
      continue;
    }
    if (reply.status >= 500) {
      if (last) throw new JudgeError(`The LLM answered ${reply.status} after ${attempt + 1} attempts: ${reply.body.slice(0, 200)}`);
      await sleep(settings.backoffMs * 2 ** attempt);
      continue;
    }
    if (reply.status !== 200) throw new JudgeError(`The LLM answered ${reply.status}: ${reply.body.slice(0, 200)}`);
    if (reply.content === null) throw new JudgeError('The LLM answer has no choices[0].message.content');
    const verdict = parseJudgeAnswer(reply.content, config.labels);
    if (!verdict) throw new JudgeError(`The answer names none of the labels ${labels.join(', ')}: ${reply.content.slice(0, 200)}`);
    return verdict;
  }
}
