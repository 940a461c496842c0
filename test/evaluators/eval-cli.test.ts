import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { executeRun } from '../../src/evaluators/eval-runner.ts';
import { datasetProject, testCase } from './helpers.ts';

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
  run(process.execPath, [bin, ...args], { env: { ...process.env, LOUPE_URL: url, LOUPE_TOKEN: token } }).catch((error: { code: number; stdout: string; stderr: string }) => error);
const json = (result: { stdout: string; stderr: string }) => {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`the command printed no JSON; stderr: ${result.stderr}`);
  }
};

describe('loupe evaluators and eval-tasks', () => {
  it('creates and lists evaluators and tasks, starts a backfill and reads its runs and logs', async () => {
    const { project, token, datasetId } = await datasetProject(t, [testCase('Paris'), testCase('Lyon')]);
    const dir = mkdtempSync(`${tmpdir()}/loupe-eval-cli-`);
    writeFileSync(`${dir}/evaluator.json`, JSON.stringify({ name: 'exact', kind: 'code', check: 'exact_match', params: {} }));
    const evaluator = json(await loupe(['--json', 'evaluators', 'create', project.id, `${dir}/evaluator.json`], token));
    expect(evaluator).toMatchObject({ name: 'exact', kind: 'code' });
    expect((await loupe(['evaluators', 'list', project.id], token)).stdout).toContain(evaluator.id);

    writeFileSync(`${dir}/task.json`, JSON.stringify({ name: 'regression', evaluatorIds: [evaluator.id], target: { kind: 'dataset', datasetId }, samplingRate: 1 }));
    const task = json(await loupe(['--json', 'eval-tasks', 'create', project.id, `${dir}/task.json`], token));
    expect(task).toMatchObject({ name: 'regression', status: 'active' });
    expect((await loupe(['eval-tasks', 'list', project.id], token)).stdout).toMatch(/regression\s+dataset\s+active/);

    const started = json(await loupe(['--json', 'eval-tasks', 'backfill', task.id], token));
    expect(started).toMatchObject({ kind: 'dataset', status: 'queued' });
    await executeRun(t.ctx, started.id);
    const runs = await loupe(['eval-tasks', 'runs', task.id], token);
    expect(runs.stdout).toContain('completed');
    expect(runs.stdout).toContain('scored=2');
    const logs = await loupe(['eval-tasks', 'logs', started.id], token);
    expect(logs.stdout).toContain('Completed: 2 considered');
  }, 90_000);
});
