import { createLoupeClient, LoupeError, toLoupeError, type LoupeClient } from '../../sdk/index.ts';

/** Where the CLI talks to, from flags or the environment (`LOUPE_URL`, `LOUPE_TOKEN`). */
export interface CliOptions {
  url: string;
  token?: string;
  json?: boolean;
}

export function cliOptions(opts: { url?: string; token?: string; json?: boolean }): CliOptions {
  return {
    url: opts.url ?? process.env.LOUPE_URL ?? 'http://127.0.0.1:3000',
    token: opts.token ?? process.env.LOUPE_TOKEN,
    json: opts.json,
  };
}

export function client(options: CliOptions): LoupeClient {
  if (!options.token) throw new Error('Set LOUPE_TOKEN (or pass --token) to an API token: the server printed one on first start.');
  return createLoupeClient(options.url, { token: options.token });
}

/** The data of an openapi-fetch result, or a readable LoupeError. */
export function data<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) throw toLoupeError(result.error, result.response);
  return result.data as T;
}

export { LoupeError };
