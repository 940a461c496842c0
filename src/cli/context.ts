import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createLoupeClient, LoupeError, toLoupeError, type LoupeClient } from '../../sdk/index.ts';

/** Where the CLI talks to: flags, then the environment (`LOUPE_URL`, `LOUPE_TOKEN`), then `loupe login`'s config file. */
export interface CliOptions {
  url: string;
  token?: string;
  json?: boolean;
}

/** `LOUPE_CONFIG`, or `~/.config/loupe/config.json` (docs/cli.md#login). */
export const configPath = () => process.env.LOUPE_CONFIG ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'loupe', 'config.json');

export function readConfigFile(): { url?: string; token?: string } {
  const file = configPath();
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { url?: string; token?: string };
  } catch {
    throw new UsageError(`${file} is not valid JSON: run loupe login again`);
  }
}

/** Writes the config file readable by its owner only (0600, in a 0700 folder). */
export function writeConfigFile(config: { url: string; token: string }) {
  const file = configPath();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function cliOptions(opts: { url?: string; token?: string; json?: boolean }): CliOptions {
  const saved = opts.url && opts.token ? {} : readConfigFile();
  return {
    url: opts.url ?? process.env.LOUPE_URL ?? saved.url ?? 'http://127.0.0.1:3000',
    token: opts.token ?? process.env.LOUPE_TOKEN ?? saved.token,
    json: opts.json,
  };
}

/** Wrong use of the command itself (exit 1). */
export class UsageError extends Error {}

/** The server could not be reached (exit 3). */
export class UnreachableError extends Error {}

export function client(options: CliOptions): LoupeClient {
  if (!options.token) throw new UsageError('No API token: run `loupe login --url <url> --token <token>`, set LOUPE_TOKEN or pass --token.');
  const base = createLoupeClient(options.url, { token: options.token, fetch: reachable(options.url) });
  return base;
}

/** fetch, with a network failure turned into an `UnreachableError` naming the URL. */
export function reachable(url: string): typeof fetch {
  return async (input, init) => {
    try {
      return await fetch(input, init);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UnreachableError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
  };
}

/** The data of an openapi-fetch result, or a readable LoupeError. */
export function data<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) throw toLoupeError(result.error, result.response);
  return result.data as T;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One API call through the SDK, for commands that pass a path, its parameters, a query and a
 * body straight through. Answers the data (undefined for 204) or throws a LoupeError.
 */
export async function call<T = any>(o: CliOptions, method: Method, path: string, init: { path?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
  const api = client(o) as unknown as Record<Method, (p: string, i: unknown) => Promise<{ data?: T; error?: unknown; response: Response }>>;
  const query = init.query ? Object.fromEntries(Object.entries(init.query).filter(([, v]) => v !== undefined)) : undefined;
  const result = await api[method](path, { params: { path: init.path, query }, body: init.body, headers: init.headers });
  if (result.response.status === 204) return undefined as T;
  return data(result);
}

export { LoupeError };
