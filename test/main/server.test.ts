import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';

/** These start real server processes on a fresh PGlite directory: slow (initdb), so few. */
const dir = mkdtempSync(`${tmpdir()}/loupe-server-`);
const running: ServerProcess[] = [];
afterAll(() => {
  for (const s of running) s.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the server process', () => {
  it('starts on a fresh data directory, prints how to sign in, refuses a second process on the same directory, and stops cleanly on SIGTERM', async () => {
    const env = { LOUPE_DATA_DIR: `${dir}/data`, LOUPE_ADMIN_TOKEN: 'lp_test_admin_token_0123456789abcdef' };
    const server = await startServer(env);
    running.push(server);
    expect(server.output()).toContain('First start: created the administrator admin@localhost');
    expect(server.output()).toMatch(/as admin@localhost with the password \S+/);

    const me = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: 'Bearer lp_test_admin_token_0123456789abcdef' } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe('admin@localhost');

    const second = await startServer(env).then(
      (s) => {
        running.push(s);
        return { code: 0, output: s.output() };
      },
      (error: { code: number; output: string }) => error,
    );
    expect(second.code).toBe(1);
    expect(second.output).toContain('Another Loupe process is using the data directory');

    // A request in flight when SIGTERM arrives still gets its answer.
    const inFlight = fetch(`${server.url}/readyz`);
    server.child.kill('SIGTERM');
    expect((await inFlight).status).toBe(200);
    expect(await server.exited).toBe(0);
  }, 120_000);
});
