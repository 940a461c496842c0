import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AddressRefused, resolveDeliveryAddress } from './address-guard.ts';

/** `Loupe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (docs/webhooks.md#signatures). */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

export interface SendResult {
  ok: boolean;
  responseCode: number | null;
  durationMs: number;
  error: string | null;
  /** The address was refused: retrying cannot help. */
  refused: boolean;
}

export interface SendOptions {
  timeoutMs: number;
  allowHosts: Set<string>;
}

/**
 * POSTs one signed body. Resolves the host and checks the address first, then connects to that
 * very address (the `lookup` hook answers with it; TLS still verifies the host name). Redirects
 * are not followed: a 3xx is a failed delivery. The response body is read and dropped (at most 64 KiB).
 */
export async function sendWebhook(url: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, responseCode: null, durationMs: 0, error: 'invalid URL', refused: true };
  }
  let resolved: { address: string; family: 4 | 6 };
  try {
    resolved = await resolveDeliveryAddress(target.hostname, options.allowHosts);
  } catch (error) {
    const refused = error instanceof AddressRefused;
    return { ok: false, responseCode: null, durationMs: elapsed(), error: (error as Error).message, refused };
  }
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Loupe-Webhooks/1', ...headers },
        timeout: options.timeoutMs,
        lookup: ((_host: string, opts: { all?: boolean } | undefined, cb: (...args: unknown[]) => void) => {
          if (opts?.all) cb(null, [{ address: resolved.address, family: resolved.family }]);
          else cb(null, resolved.address, resolved.family);
        }) as unknown as LookupFunction,
        agent: false,
      },
      (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > 64 * 1024) response.destroy();
        });
        const done = () => {
          const code = response.statusCode ?? 0;
          const ok = code >= 200 && code < 300;
          resolve({ ok, responseCode: code, durationMs: elapsed(), error: ok ? null : code >= 300 && code < 400 ? `redirect to ${response.headers.location ?? '?'} not followed` : `HTTP ${code}`, refused: false });
        };
        response.on('end', done);
        response.on('close', done);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, responseCode: null, durationMs: elapsed(), error: error.message, refused: false }));
    request.end(body);
  });
}
