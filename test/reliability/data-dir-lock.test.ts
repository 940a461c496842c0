import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockSocketPath } from '../../src/db/data-dir-lock.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';

/**
 * One owner per PGlite data directory (docs/data-directory.md), with real processes: the lock
 * does not go stale while its owner is stopped, and is released when the owner dies.
 */
const TOKEN = 'lp_data_dir_lock_test_0123456789abcdefXYZ';
const dir = mkdtempSync(join(tmpdir(), 'loupe-lock-'));
const running: ServerProcess[] = [];
afterAll(async () => {
  for (const s of running) {
    s.child.kill('SIGCONT');
    s.child.kill('SIGKILL');
    await s.exited.catch(() => {});
  }
  rmSync(dir, { recursive: true, force: true });
});

const start = async (dataDir: string) => {
  const server = await startServer({ LOUPE_DATA_DIR: dataDir, LOUPE_ADMIN_TOKEN: TOKEN }, 600_000);
  running.push(server);
  return server;
};
const refused = (dataDir: string) =>
  startServer({ LOUPE_DATA_DIR: dataDir, LOUPE_ADMIN_TOKEN: TOKEN }, 300_000).then(
    (s) => {
      running.push(s);
      return { code: 0, output: s.output() };
    },
    (error: { code: number; output: string }) => error,
  );
const createProject = (url: string, name: string) =>
  fetch(`${url}/api/v1/projects`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
const projectNames = async (url: string) => {
  const res = await fetch(`${url}/api/v1/projects?limit=500`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (((await res.json()) as { data: Array<{ name: string }> }).data).map((p) => p.name);
};

describe('the PGlite data directory lock', () => {
  it('refuses a second process while the owner is stopped past the old stale time, and hands over when the owner is killed', async () => {
    const dataDir = join(dir, 'a');
    const first = await start(dataDir);
    expect((await createProject(first.url, 'before-stop')).status).toBe(201);
    first.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 13_000));
    const second = await refused(dataDir);
    expect(second.code).toBe(1);
    expect(second.output).toContain('Another Loupe process is using the data directory');
    first.child.kill('SIGCONT');
    expect((await createProject(first.url, 'after-cont')).status).toBe(201);
    expect(await projectNames(first.url)).toEqual(expect.arrayContaining(['before-stop', 'after-cont']));

    first.child.kill('SIGKILL');
    await first.exited;
    const third = await start(dataDir);
    expect(await projectNames(third.url)).toEqual(expect.arrayContaining(['before-stop', 'after-cont']));
    expect((await createProject(third.url, 'third')).status).toBe(201);
  }, 600_000);

  it('stops taking writes at once when its lock is compromised, and keeps answering reads', async () => {
    const dataDir = join(dir, 'b');
    const server = await start(dataDir);
    expect((await createProject(server.url, 'ok')).status).toBe(201);
    unlinkSync(lockSocketPath(resolve(dataDir)));
    await new Promise((r) => setTimeout(r, 1500));
    const write = await createProject(server.url, 'after-loss');
    expect(write.status).toBe(503);
    expect(((await write.json()) as { code: string }).code).toBe('data_dir_lock_lost');
    expect(await projectNames(server.url)).toContain('ok');
  }, 400_000);
});
