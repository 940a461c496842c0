import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { sleep } from './support.ts';

/** `loupe serve --workers N` / `LOUPE_WORKERS` (docs/deployment.md#several-processes). */
const root = fileURLToPath(new URL('../..', import.meta.url));
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const running: ServerProcess[] = [];
afterAll(() => {
  for (const s of running) s.child.kill('SIGKILL');
});

/** The child processes of `pid` (Linux: /proc). */
const childrenOf = (pid: number) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('several worker processes on the embedded database', () => {
  it('are refused with a message that says why, from the environment and from the command line', async () => {
    const env = { LOUPE_DATA_DIR: 'memory://', DATABASE_URL: '', LOUPE_WORKERS: '2' };
    const refused = await startServer(env).then(
      (s) => {
        running.push(s);
        return { code: 0, output: s.output() };
      },
      (error: { code: number; output: string }) => error,
    );
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('LOUPE_WORKERS=2 needs PostgreSQL: the embedded database (PGlite) lives inside one process');

    const cli = spawnSync(process.execPath, ['bin/loupe.mjs', 'serve', '--workers', '3'], { cwd: root, env: { ...process.env, ...env, LOUPE_WORKERS: '' }, encoding: 'utf8', timeout: 60_000 });
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('LOUPE_WORKERS=3 needs PostgreSQL');
  }, 120_000);
});

describe.skipIf(!onPostgres)('a cluster of worker processes on PostgreSQL (skipped on PGlite: one process per embedded database)', () => {
  it('serves on one port from two workers, replaces a worker killed with -9, and stops every worker on SIGTERM', async () => {
    const server = await startServer({ DATABASE_URL: inject('testDatabaseUrl'), LOUPE_WORKERS: '2', LOG_LEVEL: 'fatal' }, 120_000);
    running.push(server);
    expect(server.output()).toContain('2 worker processes');
    const primary = server.child.pid!;
    const workers = childrenOf(primary);
    expect(workers).toHaveLength(2);

    // New connections each time, some of them accepted while a worker dies: none may be left
    // hanging (through the primary's round-robin one was: it had handed it to the dying worker).
    const burst = async () => (await Promise.all(Array.from({ length: 40 }, () => fetch(`${server.url}/readyz`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(15_000) }).then((r) => r.status, () => 0)))).filter((s) => s !== 200);
    expect(await burst()).toEqual([]);

    process.kill(workers[0]!, 'SIGKILL');
    // The survivor keeps answering while the primary starts a replacement.
    expect(await burst()).toEqual([]);
    let now: number[] = [];
    for (let i = 0; i < 120 && now.length < 2; i++) {
      await sleep(500);
      now = childrenOf(primary);
    }
    expect(now).toHaveLength(2);
    expect(now).toContain(workers[1]);
    expect(now).not.toContain(workers[0]);
    expect(server.output()).toMatch(/worker \d+ exited \(SIGKILL\); starting another/);
    // The replacement listens too: wait for it, then every request is answered.
    await sleep(5000);
    expect(await burst()).toEqual([]);
    // The banner is the primary's, printed once.
    expect(server.output().match(/Loupe is running at/g)).toHaveLength(1);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(now.filter(alive)).toEqual([]);
  }, 240_000);
});
