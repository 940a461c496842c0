import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { createTestApp, type TestApp, type TestAppOptions } from './test-app.ts';

/**
 * The one harness of the CLI tests: runs `bin/loupe.mjs` as a child process against a test app
 * listening on 127.0.0.1 (a real HTTP round trip through the SDK, as a user's shell would).
 */
const run = promisify(execFile);
export const loupeBin = fileURLToPath(new URL('../../bin/loupe.mjs', import.meta.url));

/** What a command did: its exit code (0 on success), and what it printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `loupe args…` with exactly this environment; never throws for a non-zero exit. */
export async function runLoupe(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  try {
    const r = await run(process.execPath, [loupeBin, ...args], { env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw error; // the process could not even start
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** The JSON a command printed; when it printed none, an error carrying its stderr. */
export function printedJson(result: CliRun) {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`the command printed no JSON (exit ${result.code}); stderr: ${result.stderr}`);
  }
}

export interface CliHarness {
  /** The test app (set in `beforeAll`). */
  readonly t: TestApp;
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Runs `loupe args…` as the holder of `token` (LOUPE_URL and LOUPE_TOKEN set; `env` on top). */
  loupe(args: string[], token: string, env?: NodeJS.ProcessEnv): Promise<CliRun>;
}

/**
 * Registers the file's `beforeAll` (a test app listening on a free port) and `afterAll` (closing
 * it); call once at the top of a test file.
 */
export function cliHarness(options: TestAppOptions = {}): CliHarness {
  let app: TestApp | undefined;
  let url = '';
  beforeAll(async () => {
    app = await createTestApp(options);
    url = await app.app.listen({ port: 0, host: '127.0.0.1' });
  }, 180_000);
  afterAll(() => app?.close());
  return {
    get t() {
      if (!app) throw new Error('the CLI harness starts its app in beforeAll');
      return app;
    },
    get url() {
      return url;
    },
    loupe: (args, token, env = {}) => runLoupe(args, { ...process.env, LOUPE_URL: url, LOUPE_TOKEN: token, ...env }),
  };
}
