import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible server on 127.0.0.1 for the LLM judge's tests. It answers by cue
 * words in the user message:
 * - `cue:429`   → 429 with `Retry-After: 0`, every time;
 * - `cue:500`   → 500, every time;
 * - `cue:flaky` → 500 the first time it sees this exact prompt, then a label;
 * - `cue:slow`  → answers after 5 s (longer than the tests' timeout);
 * - `cue:text`  → plain text naming a label instead of JSON;
 * - `cue:hold`  → held without an answer while `holding` is true; `release()` answers them all;
 * - otherwise   → JSON `{label, explanation}`: `hallucinated` when the prompt holds `bad`, else `factual`.
 */
export interface LlmStub {
  url: string;
  calls: number;
  prompts: string[];
  /** While true, `cue:hold` prompts wait for `release()`. */
  holding: boolean;
  /** Requests waiting on `cue:hold` right now. */
  held: number;
  release(): void;
  close(): Promise<void>;
}

export async function startLlmStub(): Promise<LlmStub> {
  const seen = new Set<string>();
  const waiting: Array<() => void> = [];
  const stub: LlmStub = {
    url: '',
    calls: 0,
    prompts: [],
    holding: true,
    held: 0,
    release() {
      stub.holding = false;
      for (const answer of waiting.splice(0)) answer();
      stub.held = 0;
    },
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      stub.calls++;
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const parsed = JSON.parse(body) as { messages: Array<{ role: string; content: string }> };
      const prompt = parsed.messages.find((m) => m.role === 'user')?.content ?? '';
      stub.prompts.push(prompt);
      const answer = (content: string) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
      };
      const label = prompt.includes('bad') ? 'hallucinated' : 'factual';
      if (prompt.includes('cue:429')) {
        res.writeHead(429, { 'retry-after': '0', 'content-type': 'application/json' }).end('{"error":"slow down"}');
      } else if (prompt.includes('cue:500')) {
        res.writeHead(500).end('boom');
      } else if (prompt.includes('cue:flaky') && !seen.has(prompt)) {
        seen.add(prompt);
        res.writeHead(503).end('warming up');
      } else if (prompt.includes('cue:slow')) {
        const timer = setTimeout(() => answer(JSON.stringify({ label, explanation: 'late' })), 2000);
        res.on('close', () => clearTimeout(timer));
      } else if (prompt.includes('cue:hold') && stub.holding) {
        stub.held++;
        waiting.push(() => answer(JSON.stringify({ label, explanation: 'held, then answered' })));
      } else if (prompt.includes('cue:text')) {
        answer(`After reading it, I would call this ${label}: the answer strays from the source.`);
      } else {
        answer(JSON.stringify({ label, explanation: `the stub says ${label}` }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}
