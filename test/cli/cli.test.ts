import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/loupe.mjs', import.meta.url));

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t?.close());

const loupe = (args: string[], token: string) =>
  run(process.execPath, [bin, ...args], { env: { ...process.env, LOUPE_URL: url, LOUPE_TOKEN: token } }).catch(
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe('the loupe CLI', () => {
  it('creates and lists projects over HTTP, as a table or as JSON', async () => {
    const user = await t.user();
    const created = await loupe(['--json', 'projects', 'create', 'From the CLI'], user.token);
    const project = JSON.parse(created.stdout);
    expect(project).toMatchObject({ name: 'From the CLI', role: 'owner' });
    const table = await loupe(['projects', 'list'], user.token);
    expect(table.stdout).toMatch(/^id\s+name\s+role/);
    expect(table.stdout).toContain(project.id);
  }, 60_000);

  it('prints the server’s problem as a readable message and exits 1', async () => {
    const user = await t.user();
    const result = (await loupe(['projects', 'summary', '00000000-0000-7000-8000-000000000000'], user.token)) as { code?: number; stderr: string };
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^loupe: Not Found: .*\(not_found\)/);
  }, 60_000);
});
